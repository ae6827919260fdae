"""The fold from the event log to the projection tables (pure: no database).

``Projector.feed`` takes events in log order and returns the projection rows
that became final; ``close`` ends the fold at the run's ``sim_end``. The live
``EventWriter`` and ``replay`` both drive this one class, so a rebuilt
projection equals the stored one by construction unless the log or the rows
were changed.

Memory is bounded by what is in flight, never by the length of the run:
a contact's state is dropped at its COMPLETED, a dial request is remembered
only while one of its attempts is being dialed, agents keep one open span
each, and interval counters grow with simulated time / ``interval_s``.
A contact still only INITIATED ``FREEZE_AFTER`` events after its creation
(waiting for its calling window, say) moves to the compact
``InitiatedTable`` (~70 bytes instead of ~450) until its next event.

Rows are tuples in the column order of ``sim.store.schema`` without ``run_id``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sim.domain import AgentState, Event, EventType, Outcome
from sim.store import contact as fold
from sim.store.contact import C_ABANDONED, C_CAMPAIGN, C_LIVE, C_OUTCOME, C_SEQ, State
from sim.store.initiated import InitiatedTable
from sim.store.schema import ALL_CAMPAIGNS, COUNTER_COLUMNS

_TIME = itemgetter(3)  # an event's time
_BORN = itemgetter(C_SEQ)  # an open contact's birth number (its seq once emitted)
# Events after which a contact that is still only INITIATED is frozen: one
# dialed within that never pays for freezing.
FREEZE_AFTER = 32_768

Row = tuple[Any, ...]

_K = {name: i for i, name in enumerate(COUNTER_COLUMNS)}
K_ACCEPTED, K_REJECTED, K_EXPIRED, K_FAILED = (
    _K["accepted"],
    _K["rejected"],
    _K["expired"],
    _K["failed"],
)
K_DIALS, K_CONNECTED, K_BACKLOG = _K["dials"], _K["connected"], _K["backlog"]
K_LIVE, K_ABANDONED = _K["live_answers"], _K["abandoned"]
_AMD_HANGUP = Outcome.AMD_HANGUP.value

# Counters bumped when DISCONNECTED reveals the outcome (live answers and
# abandonment come from the contact's flags instead).
_OUTCOME_COUNTERS: dict[str, tuple[int, ...]] = {
    str(o): tuple(
        idx
        for flag, idx in (
            (o == Outcome.VOICEMAIL, _K["voicemail"]),
            (o == Outcome.NO_ANSWER, _K["no_answer"]),
            (o in (Outcome.BUSY, Outcome.INVALID_NUMBER), _K["busy_invalid"]),
        )
        if flag
    )
    for o in Outcome
}

# Agent-seconds slots of the '*' rows; logged-in time is every state but OFFLINE.
_STATE_SLOT = {
    AgentState.AVAILABLE.value: 0,
    AgentState.RESERVED.value: 1,
    AgentState.ON_CONTACT.value: 2,
    AgentState.AFTER_CONTACT_WORK.value: 3,
    AgentState.ON_BREAK.value: 4,
}
_LOGGED_IN = 5
_OFFLINE = AgentState.OFFLINE.value


@dataclass(slots=True)
class ProjectionRows:
    """Rows that became final, per projection table, ready to insert."""

    contacts: list[Row] = field(default_factory=list)
    agent_intervals: list[Row] = field(default_factory=list)
    interval_kpis: list[Row] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.contacts) + len(self.agent_intervals) + len(self.interval_kpis)


class ProjectorClosed(RuntimeError):
    """``feed`` or ``close`` was called after ``close``."""


class Projector:
    """Fold events into contacts, agent intervals and per-interval KPIs.

    Interval ``k`` covers ``[k * interval_s, (k + 1) * interval_s)`` in POSIX
    seconds, so intervals align to the clock (15-minute intervals start at
    :00, :15, ...). An event counts in the interval holding its time.
    """

    def __init__(self, interval_s: float) -> None:
        if not interval_s > 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s!r}")
        self.interval_s = float(interval_s)
        self._contacts: dict[str, State] = {}
        self._frozen = InitiatedTable()  # contacts long only INITIATED
        self._born = 0  # contacts opened so far (their order at close)
        self._young: list[str] = []  # contacts INITIATED in this feed
        self._aging: deque[tuple[int, list[str]]] = deque()  # (events fed, young of a feed)
        self._fed = 0
        self._dialing: set[str] = set()  # requests with an attempt in progress
        self._agents: dict[str, tuple[str, float, Any, int]] = {}  # open span per agent
        self._counters: dict[tuple[int, str | None], list[int]] = {}
        self._agent_secs: dict[int, list[float]] = {}
        self._first_k: int | None = None
        self._last_k: int | None = None
        self._contact_seq = 0
        self._span_seq = 0
        self._out = ProjectionRows()
        self._closed = False
        # plain str keys: the fast dict lookup of str-only dicts
        self._handlers: dict[str, Callable[[Event], None]] = {
            EventType.INITIATED.value: self._initiated,
            EventType.RINGING.value: self._ringing,
            EventType.CONNECTED_TO_SYSTEM.value: self._connected_to_system,
            EventType.QUEUED.value: self._queued,
            EventType.CONNECTED_TO_AGENT.value: self._connected_to_agent,
            EventType.DISCONNECTED.value: self._disconnected,
            EventType.COMPLETED.value: self._completed,
            EventType.DIAL_REQUEST_ACCEPTED.value: self._accepted,
            EventType.DIAL_REQUEST_REJECTED.value: self._rejected,
            EventType.DIAL_REQUEST_DIALED.value: self._dialed,
            EventType.DIAL_REQUEST_EXPIRED.value: self._expired,
            EventType.DIAL_REQUEST_FAILED.value: self._failed,
            EventType.DIAL_REQUEST_COMPLETED.value: self._request_completed,
            EventType.STATE_CHANGE.value: self._state_change,
        }

    @property
    def in_flight(self) -> int:
        """Contacts and dialing requests currently held (for memory checks)."""
        return len(self._contacts) + len(self._frozen) + len(self._dialing)

    def feed(self, events: Iterable[Event]) -> ProjectionRows:
        """Fold ``events`` (in log order); return the rows that became final."""
        if self._closed:
            raise ProjectorClosed("feed() after close()")
        handlers = self._handlers.get
        events = events if isinstance(events, list) else list(events)
        for ev in events:
            handler = handlers(ev[2])
            if handler is not None:
                handler(ev)
        if events:
            times = list(map(_TIME, events))
            self._span_ks(self._bucket(min(times)), self._bucket(max(times)))
            self._age(len(events))
        return self._take()

    def _age(self, fed: int) -> None:
        """Freeze the contacts still only INITIATED ``FREEZE_AFTER`` events on."""
        self._fed += fed
        if self._young:
            self._aging.append((self._fed, self._young))
            self._young = []
        aging, contacts, freeze = self._aging, self._contacts, self._frozen.freeze
        while aging and self._fed - aging[0][0] >= FREEZE_AFTER:
            for contact_id in aging.popleft()[1]:
                st = contacts.get(contact_id)
                if st is not None and freeze(st):
                    del contacts[contact_id]

    def close(self, sim_end: float) -> ProjectionRows:
        """End the fold at ``sim_end``; return every row not yet returned.

        Contacts without COMPLETED are emitted as they stand; open agent spans
        (other than OFFLINE) end at ``sim_end``; interval KPIs are emitted for
        every interval from the first event's to the one holding ``sim_end``.
        """
        if self._closed:
            raise ProjectorClosed("close() called twice")
        self._closed = True
        states = [*self._contacts.values(), *self._frozen.drain()]
        states.sort(key=_BORN)  # the order they were opened in
        for st in states:
            self._emit_contact(st)
        self._contacts.clear()
        self._aging.clear()
        for agent_id, (state, start, contact_id, version) in self._agents.items():
            if state != _OFFLINE:
                self._emit_span(agent_id, state, start, max(start, sim_end), contact_id, version)
        self._agents.clear()
        if self._first_k is not None:
            self._span_ks(
                self._first_k, max(self._first_k, math.ceil(sim_end / self.interval_s) - 1)
            )
        self._out.interval_kpis = self._interval_rows()
        return self._take()

    # -- plumbing -------------------------------------------------------------

    def _take(self) -> ProjectionRows:
        out, self._out = self._out, ProjectionRows()
        return out

    def _bucket(self, t: float) -> int:
        return int(t // self.interval_s)

    def _span_ks(self, lo: int, hi: int) -> None:
        if self._first_k is None or lo < self._first_k:
            self._first_k = lo
        if self._last_k is None or hi > self._last_k:
            self._last_k = hi

    def _row(self, t: float, campaign: str | None) -> list[int]:
        """The counters of ``campaign`` in the interval holding ``t``."""
        key = (int(t // self.interval_s), campaign)
        row = self._counters.get(key)
        if row is None:
            row = self._counters[key] = [0] * len(COUNTER_COLUMNS)
        return row

    def _count(self, t: float, campaign: str | None, slot: int, delta: int = 1) -> None:
        self._row(t, campaign)[slot] += delta

    # -- contact stream -------------------------------------------------------

    def _contact(self, ev: Event) -> State:
        st = self._contacts.get(ev[0])
        if st is None:
            st = self._frozen.thaw(ev[0]) if self._frozen.live else None
            if st is None:  # a new contact (or a log without INITIATED: keep folding)
                st = fold.new_state(ev[0])
                self._born += 1
                st[C_SEQ] = self._born  # until emitted, when it becomes the seq
            self._contacts[ev[0]] = st
        return st

    def _initiated(self, ev: Event) -> None:
        fold.initiated(self._contact(ev), ev)
        self._young.append(ev[0])

    def _ringing(self, ev: Event) -> None:
        fold.ringing(self._contact(ev), ev)

    def _connected_to_system(self, ev: Event) -> None:
        fold.connected_to_system(self._contact(ev), ev)

    def _queued(self, ev: Event) -> None:
        fold.queued(self._contact(ev), ev)

    def _connected_to_agent(self, ev: Event) -> None:
        st = self._contact(ev)
        fold.connected_to_agent(st, ev)
        self._count(ev[3], st[C_CAMPAIGN], K_CONNECTED)

    def _disconnected(self, ev: Event) -> None:
        st = self._contact(ev)
        fold.disconnected(st, ev)
        outcome = st[C_OUTCOME]
        row = self._row(ev[3], st[C_CAMPAIGN])
        for slot in _OUTCOME_COUNTERS.get(outcome, ()):
            row[slot] += 1
        if st[C_LIVE]:
            row[K_LIVE] += 1
            if st[C_ABANDONED] or outcome == _AMD_HANGUP:
                row[K_ABANDONED] += 1

    def _completed(self, ev: Event) -> None:
        st = self._contacts.pop(ev[0], None)
        if st is None:
            st = self._frozen.thaw(ev[0])
        if st is None:
            st = fold.new_state(ev[0])
        fold.completed(st, ev)
        self._emit_contact(st)

    def _emit_contact(self, st: State) -> None:
        fold.finish(st)
        self._contact_seq += 1
        st[C_SEQ] = self._contact_seq
        self._out.contacts.append(tuple(st))

    # -- dial-request stream --------------------------------------------------

    def _accepted(self, ev: Event) -> None:
        row = self._row(ev[3], ev[4].get("campaign_id"))
        row[K_ACCEPTED] += 1
        row[K_BACKLOG] += 1

    def _rejected(self, ev: Event) -> None:
        self._count(ev[3], ev[4].get("campaign_id"), K_REJECTED)

    def _dialed(self, ev: Event) -> None:
        p = ev[4]
        row = self._row(ev[3], p.get("campaign_id"))
        row[K_DIALS] += 1
        row[K_BACKLOG] -= 1
        self._dialing.add(ev[0])
        contact_id = p.get("contact_id")
        st = self._contacts.get(contact_id)  # type: ignore[arg-type]
        if st is None and self._frozen.live:
            st = self._frozen.thaw(contact_id)
            if st is not None:
                self._contacts[contact_id] = st  # type: ignore[index]
        if st is not None:
            fold.dialed(st, ev)

    def _ended_unfinished(self, ev: Event, slot: int) -> None:
        campaign = ev[4].get("campaign_id")
        self._count(ev[3], campaign, slot)
        if ev[0] in self._dialing:  # ended mid-attempt: it had already left the backlog
            self._dialing.discard(ev[0])
        else:
            self._count(ev[3], campaign, K_BACKLOG, -1)

    def _expired(self, ev: Event) -> None:
        self._ended_unfinished(ev, K_EXPIRED)

    def _failed(self, ev: Event) -> None:
        self._ended_unfinished(ev, K_FAILED)

    def _request_completed(self, ev: Event) -> None:
        self._dialing.discard(ev[0])

    # -- agent stream ---------------------------------------------------------

    def _state_change(self, ev: Event) -> None:
        agent_id, t = ev[0], ev[3]
        p = ev[4]
        agents = self._agents
        span = agents.get(agent_id)
        if span is not None:
            self._emit_span(agent_id, span[0], span[1], t, span[2], span[3])
        agents[agent_id] = (str(p.get("state")), t, p.get("contact_id"), ev[1])

    def _emit_span(
        self, agent_id: str, state: str, start: float, end: float, contact_id: Any, version: int
    ) -> None:
        self._span_seq += 1
        self._out.agent_intervals.append(
            (agent_id, version, self._span_seq, state, start, end, contact_id)
        )
        if state != _OFFLINE:
            self._add_agent_time(_STATE_SLOT.get(state), start, end)

    def _add_agent_time(self, slot: int | None, start: float, end: float) -> None:
        """Add ``[start, end)`` to the agent seconds, split at interval boundaries."""
        size = self.interval_s
        k = int(start // size)
        while True:
            boundary = (k + 1) * size
            piece_end = end if end <= boundary else boundary
            secs = self._agent_secs.get(k)
            if secs is None:
                secs = self._agent_secs[k] = [0.0] * 6
            if slot is not None:
                secs[slot] += piece_end - start
            secs[_LOGGED_IN] += piece_end - start
            if end <= boundary:
                return
            start, k = boundary, k + 1

    # -- interval KPIs --------------------------------------------------------

    def _interval_rows(self) -> list[Row]:
        if self._first_k is None or self._last_k is None:
            return []
        first = min([self._first_k, *(k for k, _ in self._counters), *self._agent_secs])
        last = max([self._last_k, *(k for k, _ in self._counters), *self._agent_secs])
        campaigns = sorted({c for _, c in self._counters if c is not None})
        keys: list[str | None] = [*campaigns, None]
        backlog = dict.fromkeys(keys, 0)
        rows: list[Row] = []
        zero = [0] * len(COUNTER_COLUMNS)
        for k in range(first, last + 1):
            start = k * self.interval_s
            total = [0] * len(COUNTER_COLUMNS)
            per_campaign: list[Row] = []
            for c in keys:
                counts = list(self._counters.get((k, c), zero))
                backlog[c] += counts[K_BACKLOG]  # deltas -> level at interval end
                counts[K_BACKLOG] = backlog[c]
                total = [a + b for a, b in zip(total, counts, strict=True)]
                if c is not None:
                    per_campaign.append((start, c, *counts, *(None,) * 7))
            rows.append((start, ALL_CAMPAIGNS, *total, *self._agent_columns(k)))
            rows.extend(per_campaign)
        return rows

    def _agent_columns(self, k: int) -> tuple[float | None, ...]:
        secs = self._agent_secs.get(k, [0.0] * 6)
        busy = secs[2] + secs[3]
        occupancy = busy / secs[_LOGGED_IN] if secs[_LOGGED_IN] > 0 else None
        return (*secs, occupancy)
