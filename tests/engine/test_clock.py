"""The clock's reserved slots: a skipped zero-delay callback keeps its place.

The dialer skips a wake that would dial nothing (no contact waits) but
reserves its place in the instant's order; if contacts are created before
the run reaches that place, the wake runs there, exactly where it would have
run had it been scheduled (so the event log does not change).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import simpy

from sim.engine.clock import Clock
from sim.engine.dialer import Dialer
from sim.scenario import load_scenario

from .conftest import SCENARIOS, Ran, run


def make_clock() -> Clock:
    return Clock(simpy.Environment(initial_time=100.0))


def test_a_slot_called_later_runs_in_its_reserved_place() -> None:
    clock = make_clock()
    order: list[str] = []
    slots: list[Any] = []

    def first(_arg: Any) -> None:
        slots.append(clock.reserve())  # reserved before "other" is scheduled
        clock.call_in(0.0, lambda _a: order.append("other"))
        clock.call_in(0.0, lambda _a: order.append("late"))

    def fill(_arg: Any) -> None:
        assert not clock.passed(slots[0])
        clock.call_slot(slots[0], lambda _a: order.append("slot"))

    clock.call_in(0.0, first)
    clock.call_in(0.0, fill)  # runs before the reserved place
    clock.env.run()
    assert order == ["slot", "other", "late"]


def test_a_slot_is_passed_once_a_later_callback_of_its_instant_ran() -> None:
    clock = make_clock()
    seen: list[bool] = []
    slots: list[Any] = []

    def first(_arg: Any) -> None:
        slots.append(clock.reserve())
        clock.call_in(0.0, lambda _a: seen.append(clock.passed(slots[0])))
        clock.call_in(5.0, lambda _a: seen.append(clock.passed(slots[0])))

    clock.call_in(0.0, first)
    clock.env.run()
    assert seen == [True, True]


def test_reserving_keeps_later_event_ids() -> None:
    """A reserved place uses up its event id, as a scheduled callback would."""
    ids: list[int] = []
    for reserve in (False, True):
        clock = make_clock()
        if reserve:
            clock.reserve()
        else:
            clock.call_in(0.0, lambda _a: None)
        event = clock.call_in(1.0, lambda _a: None)
        ids.append(event.eid)  # type: ignore[attr-defined]
    assert ids[0] == ids[1]


def test_times_are_floats() -> None:
    clock = Clock(simpy.Environment(initial_time=100))
    assert isinstance(clock.now, float)


# -- the dialer's skipped wakes leave the log as it was -------------------------

# Progressive (agents busy, lines freed), predictive, agentless, and calling
# hours: every kind of pacer and gate the dialer's idle test looks at.
SKIP_SCENARIOS = ["quickstart", "predictive_vs_progressive", "agentless_blast", "national_4zones"]


@pytest.mark.parametrize("name", SKIP_SCENARIOS)
def test_skipping_idle_wakes_changes_no_event(
    name: str, scenario_run: Callable[[str], Ran], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same run with every dialer wake scheduled (as before wakes were
    skipped) gives the same log, event for event."""
    skipped = scenario_run(name).events()
    monkeypatch.setattr(Dialer, "_idle", lambda self: False)
    scheduled = run(load_scenario(SCENARIOS / f"{name}.yaml")).events()
    assert len(skipped) == len(scheduled)
    for i, (a, b) in enumerate(zip(skipped, scheduled, strict=True)):
        assert a == b, f"event {i} differs:\n{a}\n{b}"


def test_simpy_queues_events_as_the_clock_assumes() -> None:
    """The clock pushes onto SimPy's private queue (simpy pinned < 5): an entry is
    (time, priority, event id, event), ids come from ``_eid``, and a timeout
    and a clock callback of one instant run in the order of their ids."""
    env = simpy.Environment(initial_time=5.0)
    clock = Clock(env)
    order: list[str] = []
    timeout = env.timeout(0.0)
    timeout.callbacks.append(lambda _e: order.append("simpy"))
    clock.call_in(0.0, lambda _a: order.append("clock"))
    (at, priority, eid, event), *_ = sorted(env._queue, key=lambda e: e[2])
    assert (at, priority, event) == (5.0, simpy.events.NORMAL, timeout)
    assert isinstance(eid, int)
    clock.run(env.timeout(1.0))
    assert order == ["simpy", "clock"]
