"""A campaign's dialer: dials its waiting contacts when its pacer allows.

The contacts exist already (the campaign's ``Ingestor`` created them through
BatchPutContact when their requests arrived); dialing takes the oldest ones
from the core's queue (FIFO per campaign), claims what each dial holds (a
line, and in progressive and preview mode an agent RESERVED for it), and
hands each to the telephony. The dialer wakes whenever something its pacer
depends on changes (an agent frees, a line frees, contacts are created, the
campaign resumes); wakes within one instant coalesce into one decision.

A v2 campaign's dialing day (docs/connect.md): under calling hours the core
hands out only contacts whose zone is open, and the dialer sets one timer for
the next opening of a closed zone that has contacts (so it sleeps while every
such zone is closed, and never polls); before its ``schedule`` starts it
sleeps until the start, and from its end it dials nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from sim.connect import OutboundCore
from sim.domain import WaitingContact
from sim.engine.agents import Agent
from sim.engine.campaigns import CampaignRuntime
from sim.engine.clock import Clock, Slot
from sim.engine.pacing import Pacer

Start = Callable[[CampaignRuntime, WaitingContact, Agent | None], None]


class Dialer:
    """Dials a campaign's waiting contacts, as many as its ``Pacer`` allows."""

    def __init__(
        self,
        runtime: CampaignRuntime,
        pacer: Pacer,
        *,
        clock: Clock,
        core: OutboundCore,
        start: Start,
        end_ts: float,
    ) -> None:
        self.runtime = runtime
        self.pacer = pacer
        self.clock = clock
        self.core = core
        self._start = start
        self.end_ts = end_ts
        self.campaign_id = runtime.id
        self.scheduled = False
        self.quiet: Slot | None = None  # the place of a decision skipped this instant
        self.view = core.campaign(runtime.id)  # the core's live record (v2 settings)
        self.wake_at = -math.inf  # the pending timer for an opening, if in the future
        # A preview is dialed up to the review timeout after it is taken: under
        # calling hours take only contacts whose window is still open by then.
        self.lead = runtime.preview.timeout if runtime.preview is not None else 0.0

    def kick(self, _arg: Any = None) -> None:
        """Something changed: decide again, once per instant.

        A decision that would dial nothing, in a state only a kick can change
        (``_idle``), is not scheduled but reserved (``quiet``): its place in
        the instant's order is kept, and a kick before the run reaches it
        that finds the state changed schedules the decision there, where it
        would have run had it been scheduled.
        """
        if self.scheduled:
            return
        clock = self.clock
        quiet = self.quiet
        if quiet is not None and clock.passed(quiet):
            quiet = self.quiet = None
        if self._idle():
            if quiet is None:
                self.quiet = clock.reserve()
            return
        self.scheduled = True
        if quiet is None:
            clock.call_in(0.0, self._pace)
        else:
            self.quiet = None
            clock.call_slot(quiet, self._pace)

    def _idle(self) -> bool:
        """A decision now would do nothing, and only what kicks could change that:
        the campaign is not running (it resumes through ``_follow_state``,
        which kicks) or the run is past its end; no contact waits (only their
        creation adds any, and it kicks); or the pacer is saturated
        (``Pacer.saturated``) outside calling hours (a gated decision may set
        a timer before it finds no capacity)."""
        if not self.runtime.running or self.clock.now >= self.end_ts:
            return True  # a deleted campaign stops running; the core forgets it
        if not self.core.waiting_count(self.campaign_id):
            return True
        view = self.view
        return self.pacer.saturated() and view.communication_time is None and view.schedule is None

    def _pace(self, _arg: Any = None) -> None:
        self.scheduled = False
        now = self.clock.now
        if not self.runtime.running or now >= self.end_ts:
            return
        if not self.core.waiting_count(self.campaign_id):
            return
        view = self.view
        gated = view.communication_time is not None or view.schedule is not None
        if gated and not self._in_dialing_day(now):
            return
        wanted = self.pacer.capacity()
        if wanted <= 0:
            return
        contacts = self.core.take_contacts(self.campaign_id, wanted, now, self.lead)
        if not contacts:
            return
        agents = self.pacer.claim([c.contact_id for c in contacts])
        start, runtime = self._start, self.runtime
        for contact, agent in zip(contacts, agents, strict=True):
            start(runtime, contact, agent)

    def _in_dialing_day(self, now: float) -> bool:
        """Within the schedule (else sleep to its start); a timer set for the next
        opening of a closed zone that has contacts."""
        schedule = self.view.schedule
        if schedule is not None:
            if now >= schedule.end:
                return False
            if now < schedule.start:
                self._wake(schedule.start)
                return False
        opening = self.core.next_opening(self.campaign_id, now, self.lead)
        if opening is not None:
            self._wake(opening)
        return True

    def _wake(self, at: float) -> None:
        if at >= self.end_ts:
            return
        if self.wake_at <= self.clock.now or at < self.wake_at:
            self.wake_at = at
            self.clock.call_at(at, self.kick)
