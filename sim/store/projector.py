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

Rows are tuples in the column order of ``sim.store.schema`` without ``run_id``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sim.domain import LIVE_OUTCOMES, AgentState, Event, Outcome
from sim.store.schema import ALL_CAMPAIGNS, COUNTER_COLUMNS

_TIME = itemgetter(3)  # an event's time

Row = tuple[Any, ...]

# Slots of a contact's state list, in ``contacts`` column order (minus run_id).
(
    C_ID,
    C_SEQ,
    C_CAMPAIGN,
    C_REQUEST,
    C_ATTEMPT,
    C_INSTANCE,
    C_QUEUE,
    C_AGENT,
    C_CUSTOMER,
    C_SYSTEM,
    C_INITIATED,
    C_RING,
    C_SYSTEM_TS,
    C_ENQUEUE,
    C_AGENT_TS,
    C_DISCONNECT,
    C_ACW_START,
    C_ACW_END,
    C_ACW_S,
    C_REASON,
    C_AMD,
    C_OUTCOME,
    C_QUEUE_WAIT,
    C_TALK,
) = range(24)
_CONTACT_WIDTH = 24

_K = {name: i for i, name in enumerate(COUNTER_COLUMNS)}
K_ACCEPTED, K_REJECTED, K_EXPIRED, K_FAILED = (
    _K["accepted"],
    _K["rejected"],
    _K["expired"],
    _K["failed"],
)
K_DIALS, K_CONNECTED, K_BACKLOG = _K["dials"], _K["connected"], _K["backlog"]

# Counters bumped when DISCONNECTED reveals the outcome.
_OUTCOME_COUNTERS: dict[str, tuple[int, ...]] = {
    str(o): tuple(
        idx
        for flag, idx in (
            (o in LIVE_OUTCOMES, _K["live_answers"]),
            (o == Outcome.ABANDONED, _K["abandoned"]),
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
        self._contacts: dict[str, list[Any]] = {}
        self._pending_attempts: dict[str, Any] = {}  # contact id -> attempt, DIALED first
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
        self._handlers: dict[str, Callable[[Event], None]] = {
            "INITIATED": self._initiated,
            "RINGING": self._ringing,
            "CONNECTED_TO_SYSTEM": self._connected_to_system,
            "QUEUED": self._queued,
            "CONNECTED_TO_AGENT": self._connected_to_agent,
            "DISCONNECTED": self._disconnected,
            "COMPLETED": self._completed,
            "DIAL_REQUEST_ACCEPTED": self._accepted,
            "DIAL_REQUEST_REJECTED": self._rejected,
            "DIAL_REQUEST_DIALED": self._dialed,
            "DIAL_REQUEST_RETRY_SCHEDULED": self._retry_scheduled,
            "DIAL_REQUEST_EXPIRED": self._expired,
            "DIAL_REQUEST_FAILED": self._failed,
            "DIAL_REQUEST_COMPLETED": self._request_completed,
            "STATE_CHANGE": self._state_change,
        }

    @property
    def in_flight(self) -> int:
        """Contacts and dialing requests currently held (for memory checks)."""
        return len(self._contacts) + len(self._dialing) + len(self._pending_attempts)

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
        return self._take()

    def close(self, sim_end: float) -> ProjectionRows:
        """End the fold at ``sim_end``; return every row not yet returned.

        Contacts without COMPLETED are emitted as they stand; open agent spans
        (other than OFFLINE) end at ``sim_end``; interval KPIs are emitted for
        every interval from the first event's to the one holding ``sim_end``.
        """
        if self._closed:
            raise ProjectorClosed("close() called twice")
        self._closed = True
        for st in list(self._contacts.values()):
            self._emit_contact(st)
        self._contacts.clear()
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

    def _contact(self, ev: Event) -> list[Any]:
        st = self._contacts.get(ev[0])
        if st is None:  # log without INITIATED (truncated or tampered): keep folding
            st = self._contacts[ev[0]] = [None] * _CONTACT_WIDTH
            st[C_ID] = ev[0]
        return st

    def _initiated(self, ev: Event) -> None:
        p = ev[4]
        st = self._contact(ev)
        st[C_CAMPAIGN] = p.get("campaign_id")
        st[C_REQUEST] = p.get("request_identifier")
        st[C_INSTANCE] = p.get("instance_id")
        st[C_QUEUE] = p.get("queue_id")
        st[C_CUSTOMER] = p.get("customer_endpoint")
        st[C_SYSTEM] = p.get("system_endpoint")
        st[C_INITIATED] = ev[3]
        attempt = self._pending_attempts.pop(ev[0], None)
        if attempt is not None:
            st[C_ATTEMPT] = attempt

    def _ringing(self, ev: Event) -> None:
        st = self._contact(ev)
        st[C_RING] = ev[3]
        agent = ev[4].get("agent_id")
        if agent is not None:
            st[C_AGENT] = agent

    def _connected_to_system(self, ev: Event) -> None:
        st = self._contact(ev)
        st[C_SYSTEM_TS] = ev[3]
        st[C_AMD] = ev[4].get("amd_status")

    def _queued(self, ev: Event) -> None:
        st = self._contact(ev)
        st[C_ENQUEUE] = ev[3]
        queue = ev[4].get("queue_id")
        if queue is not None:
            st[C_QUEUE] = queue

    def _connected_to_agent(self, ev: Event) -> None:
        st = self._contact(ev)
        st[C_AGENT_TS] = ev[3]
        st[C_AGENT] = ev[4].get("agent_id")
        self._count(ev[3], st[C_CAMPAIGN], K_CONNECTED)

    def _disconnected(self, ev: Event) -> None:
        p = ev[4]
        st = self._contact(ev)
        st[C_DISCONNECT] = ev[3]
        st[C_REASON] = p.get("disconnect_reason")
        amd = p.get("amd_status")
        if amd is not None:
            st[C_AMD] = amd
        outcome = p.get("outcome")
        # A plain str (the engine may pass an Outcome member), so rows hold
        # builtins only and ship cheaply to a writer process.
        st[C_OUTCOME] = outcome if outcome is None else str(outcome)
        slots = _OUTCOME_COUNTERS.get(outcome, ())  # type: ignore[arg-type]
        if slots:
            row = self._row(ev[3], st[C_CAMPAIGN])
            for slot in slots:
                row[slot] += 1

    def _completed(self, ev: Event) -> None:
        st = self._contacts.pop(ev[0], None)
        if st is None:
            st = [None] * _CONTACT_WIDTH
            st[C_ID] = ev[0]
        if st[C_AGENT] is not None:  # after-contact work only when an agent was on it
            st[C_ACW_START] = st[C_DISCONNECT]
            st[C_ACW_END] = ev[3]
            acw = ev[4].get("after_contact_work_s")
            if acw is None and st[C_DISCONNECT] is not None:
                acw = ev[3] - st[C_DISCONNECT]
            st[C_ACW_S] = acw
        self._emit_contact(st)

    def _emit_contact(self, st: list[Any]) -> None:
        enqueue, to_agent, gone = st[C_ENQUEUE], st[C_AGENT_TS], st[C_DISCONNECT]
        if enqueue is not None:
            end = to_agent if to_agent is not None else gone
            st[C_QUEUE_WAIT] = None if end is None else end - enqueue
        if to_agent is not None and gone is not None:
            st[C_TALK] = gone - to_agent
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
        contact_id, attempt = p.get("contact_id"), p.get("attempt")
        st = self._contacts.get(contact_id)  # type: ignore[arg-type]
        if st is not None:
            st[C_ATTEMPT] = attempt
        elif contact_id is not None:
            self._pending_attempts[contact_id] = attempt

    def _retry_scheduled(self, ev: Event) -> None:
        self._dialing.discard(ev[0])
        self._count(ev[3], ev[4].get("campaign_id"), K_BACKLOG)

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
