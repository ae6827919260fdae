"""A campaign's dialer: dials its waiting contacts when its pacer allows.

The contacts exist already (the campaign's ``Ingestor`` created them through
BatchPutContact when their requests arrived); dialing takes the oldest ones
from the core's queue (FIFO per campaign), claims what each dial holds (a
line, and in progressive and preview mode an agent RESERVED for it), and
hands each to the telephony. The dialer wakes whenever something its pacer
depends on changes (an agent frees, a line frees, contacts are created, the
campaign resumes); wakes within one instant coalesce into one decision.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sim.connect import OutboundCore
from sim.domain import WaitingContact
from sim.engine.agents import Agent
from sim.engine.campaigns import CampaignRuntime
from sim.engine.clock import Clock
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

    def kick(self, _arg: Any = None) -> None:
        """Something changed: decide again, once per instant."""
        if not self.scheduled:
            self.scheduled = True
            self.clock.call_in(0.0, self._pace)

    def _pace(self, _arg: Any = None) -> None:
        self.scheduled = False
        now = self.clock.now
        if not self.runtime.running or now >= self.end_ts:
            return
        if not self.core.waiting_count(self.campaign_id):
            return
        wanted = self.pacer.capacity()
        if wanted <= 0:
            return
        contacts = self.core.take_contacts(self.campaign_id, wanted, now)
        if not contacts:
            return
        agents = self.pacer.claim([c.contact_id for c in contacts])
        start, runtime = self._start, self.runtime
        for contact, agent in zip(contacts, agents, strict=True):
            start(runtime, contact, agent)
