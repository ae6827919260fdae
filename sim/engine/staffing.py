"""Staffing on the simulated clock: each group's headcount changes and breaks.

Shifts and breaks repeat every day of the horizon in the start's timezone.
Shrinkage is applied to every scheduled headcount: that share of the
scheduled agents is not logged in.
"""

from __future__ import annotations

from sim.engine.agents import AgentRoster
from sim.engine.clock import Clock
from sim.engine.sources import DAY_S, local_midnight
from sim.scenario import AgentGroup, Scenario, staffing_changes


class Staffing:
    """Schedules the roster's logins, logouts and breaks for the scenario's groups."""

    def __init__(self, clock: Clock, roster: AgentRoster, scenario: Scenario) -> None:
        self.clock = clock
        self.roster = roster
        self.scenario = scenario

    def schedule(self, group: AgentGroup) -> None:
        """Every headcount change, then every break, of ``group`` over the horizon."""
        for when, scheduled in staffing_changes(self.scenario, group):
            headcount = scheduled - round(scheduled * group.shrinkage)
            self.clock.call_at(when, self._staff, (group.name, group.queue, headcount))
        self._schedule_breaks(group)

    def _schedule_breaks(self, group: AgentGroup) -> None:
        """Each break, every day of the horizon, at its time of day."""
        start_ts, end_ts = self.scenario.start_ts, self.scenario.end_ts
        midnight = local_midnight(self.scenario.start)
        days = int((end_ts - midnight) // DAY_S) + 1
        for day in range(days):
            for pause in group.breaks:
                when = midnight + day * DAY_S + pause.start
                if start_ts <= when < end_ts:
                    arg = (group.name, pause.duration, pause.agents_fraction)
                    self.clock.call_at(when, self._break, arg)

    def _staff(self, arg: tuple[str, str, int]) -> None:
        group, queue, headcount = arg
        self.roster.set_headcount(group, queue, headcount)

    def _break(self, arg: tuple[str, float, float]) -> None:
        self.roster.start_break(*arg)
