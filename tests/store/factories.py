"""Hand-built event logs: full lifecycles of requests, contacts and agents.

Each builder appends to a ``Log`` that keeps the per-stream version counters,
so the events follow the contract in docs/ARCHITECTURE.md (versions from 1,
no gaps, payload keys as in ``PAYLOAD_KEYS``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sim.domain import Event, Outcome

START = 1_767_250_800.0  # 2026-01-01 07:00:00 UTC, a multiple of 900 s
RING_S = 8.0
TALK_S = 120.0
ACW_S = 30.0
PATIENCE_S = 6.0

# outcome -> (steps after INITIATED, disconnect_reason, amd at system, amd at disconnect)
PATHS: dict[Outcome, tuple[tuple[str, ...], str, str | None, str]] = {
    Outcome.CONNECTED: (
        ("RINGING", "CONNECTED_TO_SYSTEM", "QUEUED", "CONNECTED_TO_AGENT"),
        "CUSTOMER_DISCONNECT",
        "HUMAN_ANSWERED",
        "HUMAN_ANSWERED",
    ),
    Outcome.MACHINE_CONNECTED: (
        ("RINGING", "CONNECTED_TO_SYSTEM", "QUEUED", "CONNECTED_TO_AGENT"),
        "AGENT_DISCONNECT",
        "HUMAN_ANSWERED",
        "HUMAN_ANSWERED",
    ),
    Outcome.ABANDONED: (
        ("RINGING", "CONNECTED_TO_SYSTEM", "QUEUED"),
        "CUSTOMER_DISCONNECT",
        "HUMAN_ANSWERED",
        "HUMAN_ANSWERED",
    ),
    Outcome.AMD_HANGUP: (
        ("RINGING", "CONNECTED_TO_SYSTEM"),
        "OUTBOUND_ATTEMPT_FAILED",
        "VOICEMAIL_BEEP",
        "VOICEMAIL_BEEP",
    ),
    Outcome.VOICEMAIL: (
        ("RINGING", "CONNECTED_TO_SYSTEM"),
        "OUTBOUND_ATTEMPT_FAILED",
        "VOICEMAIL_BEEP",
        "VOICEMAIL_BEEP",
    ),
    Outcome.DELIVERED: (
        ("RINGING", "CONNECTED_TO_SYSTEM"),
        "CONTACT_FLOW_DISCONNECT",
        "HUMAN_ANSWERED",
        "HUMAN_ANSWERED",
    ),
    Outcome.NO_ANSWER: (("RINGING",), "OUTBOUND_ATTEMPT_FAILED", None, "AMD_UNANSWERED"),
    Outcome.BUSY: (("RINGING",), "OUTBOUND_DESTINATION_ENDPOINT_ERROR", None, "SIT_TONE_BUSY"),
    Outcome.INVALID_NUMBER: (
        ("RINGING",),
        "OUTBOUND_DESTINATION_ENDPOINT_ERROR",
        None,
        "SIT_TONE_INVALID_NUMBER",
    ),
    Outcome.RESOURCE_ERROR: ((), "OUTBOUND_RESOURCE_ERROR", None, "AMD_NOT_APPLICABLE"),
    Outcome.DISCARDED: ((), "OUTBOUND_PREVIEW_DISCARDED", None, "AMD_NOT_APPLICABLE"),
}


@dataclass
class Log:
    """Events in emission order plus the version counter of every stream."""

    events: list[Event] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def emit(self, stream: str, type_: str, t: float, **payload: Any) -> Event:
        self.versions[stream] += 1
        ev = Event(stream, self.versions[stream], type_, t, payload)
        self.events.append(ev)
        return ev


@dataclass(frozen=True)
class ContactTimes:
    initiated: float
    disconnected: float
    completed: float
    agent_on: float | None  # connected to agent


def contact(
    log: Log,
    contact_id: str,
    request_id: str,
    campaign: str,
    outcome: Outcome,
    t: float,
    agent: str | None = None,
) -> ContactTimes:
    """One contact's stream from INITIATED to COMPLETED along ``outcome``'s path."""
    steps, reason, amd_system, amd_final = PATHS[outcome]
    log.emit(
        contact_id,
        "INITIATED",
        t,
        campaign_id=campaign,
        request_identifier=request_id,
        instance_id="instance-1",
        queue_id="queue-1",
        customer_endpoint="+15550100",
        system_endpoint="+15550199",
    )
    now, agent_on = t, None
    for step in steps:
        if step == "RINGING":
            now += 0.5
            log.emit(contact_id, step, now, agent_id=None)
        elif step == "CONNECTED_TO_SYSTEM":
            now += RING_S
            log.emit(contact_id, step, now, amd_status=amd_system)
        elif step == "QUEUED":
            now += 0.25
            log.emit(contact_id, step, now, queue_id="queue-1")
        else:
            now += 2.0
            agent_on = now
            log.emit(contact_id, step, now, agent_id=agent)
    if agent_on is not None:
        now += TALK_S
    elif "QUEUED" in steps:
        now += PATIENCE_S
    elif steps == ("RINGING",):
        now += 30.0
    else:
        now += 1.0
    gone = now
    log.emit(
        contact_id,
        "DISCONNECTED",
        gone,
        disconnect_reason=reason,
        amd_status=amd_final,
        outcome=outcome.value,
    )
    acw = ACW_S if agent_on is not None else 0.0
    log.emit(contact_id, "COMPLETED", gone + acw, after_contact_work_s=acw)
    return ContactTimes(t, gone, gone + acw, agent_on)


def request(
    log: Log,
    request_id: str,
    campaign: str,
    t: float,
    outcomes: list[Outcome],
    agent: str | None = None,
    contact_prefix: str | None = None,
) -> list[tuple[str, ContactTimes]]:
    """A dial request accepted at ``t`` and dialed once per outcome (retries between)."""
    log.emit(
        request_id,
        "DIAL_REQUEST_ACCEPTED",
        t,
        campaign_id=campaign,
        client_token="token",
        phone_number="+15550100",
        expiration_time=t + 86400.0,
        api="v2",
    )
    made = []
    now = t + 5.0
    for attempt, outcome in enumerate(outcomes, start=1):
        contact_id = f"{contact_prefix or request_id}-c{attempt}"
        first = len(log.events)
        times = contact(log, contact_id, request_id, campaign, outcome, now, agent)
        # DIALED follows BatchPutContact's answer, i.e. right after INITIATED.
        dialed = Event(
            request_id,
            0,
            "DIAL_REQUEST_DIALED",
            now,
            {
                "campaign_id": campaign,
                "contact_id": contact_id,
                "attempt": attempt,
                "waited_s": now - t,
            },
        )
        log.versions[request_id] += 1
        log.events.insert(first + 1, dialed._replace(version=log.versions[request_id]))
        made.append((contact_id, times))
        now = times.completed
        if attempt < len(outcomes):
            log.emit(
                request_id,
                "DIAL_REQUEST_RETRY_SCHEDULED",
                now,
                campaign_id=campaign,
                attempt=attempt,
                retry_at=now + 600.0,
                outcome=outcome.value,
            )
            now += 600.0
    log.emit(
        request_id,
        "DIAL_REQUEST_COMPLETED",
        now,
        campaign_id=campaign,
        outcome=outcomes[-1].value,
        attempts=len(outcomes),
    )
    return made


def agent_states(log: Log, agent: str, changes: list[tuple[float, str, str | None]]) -> None:
    """LOGIN, one STATE_CHANGE per (time, state, contact_id), LOGOUT after an OFFLINE change."""
    log.emit(agent, "LOGIN", changes[0][0], group="g1", queue_id="queue-1")
    previous = "OFFLINE"
    for t, state, contact_id in changes:
        log.emit(agent, "STATE_CHANGE", t, state=state, previous=previous, contact_id=contact_id)
        previous = state
    if previous == "OFFLINE":
        log.emit(agent, "LOGOUT", changes[-1][0], group="g1")


def agent_for_contact(log: Log, agent: str, contact_id: str, times: ContactTimes) -> None:
    """The STATE_CHANGEs of an agent taking one contact (ON_CONTACT, ACW, AVAILABLE)."""
    assert times.agent_on is not None
    prev = "AVAILABLE"
    for t, state, cid in (
        (times.agent_on, "ON_CONTACT", contact_id),
        (times.disconnected, "AFTER_CONTACT_WORK", contact_id),
        (times.completed, "AVAILABLE", None),
    ):
        log.emit(agent, "STATE_CHANGE", t, state=state, previous=prev, contact_id=cid)
        prev = state


def sorted_by_time(events: list[Event]) -> list[Event]:
    """Stable time order (emission order within a stream is kept)."""
    return sorted(events, key=lambda e: e.time)


def sample_run() -> Log:
    """A small two-campaign run: every kind of request ending, one agent, dialer calls.

    c1: r1 CONNECTED (agent a1), r2 ABANDONED, r3 NO_ANSWER then VOICEMAIL (a retry);
    c2: r4 BUSY, r5 AMD_HANGUP, r6 rejected, r7 expired, r8 failed.
    """
    log = Log()
    for cid in ("c1", "c2"):
        log.emit(
            cid,
            "CAMPAIGN_CREATED",
            START,
            name=cid,
            mode="PROGRESSIVE",
            queue_id="queue-1",
            api="v2",
        )
    agent = Log(versions=log.versions)
    agent.emit("a1", "LOGIN", START, group="g1", queue_id="queue-1")
    agent.emit("a1", "STATE_CHANGE", START, state="AVAILABLE", previous="OFFLINE", contact_id=None)
    ((cid1, t1),) = request(log, "r1", "c1", START + 10.0, [Outcome.CONNECTED], agent="a1")
    agent_for_contact(agent, "a1", cid1, t1)
    request(log, "r2", "c1", START + 20.0, [Outcome.ABANDONED])
    request(log, "r3", "c1", START + 30.0, [Outcome.NO_ANSWER, Outcome.VOICEMAIL])
    request(log, "r4", "c2", START + 40.0, [Outcome.BUSY])
    request(log, "r5", "c2", START + 50.0, [Outcome.AMD_HANGUP])
    log.emit(
        "r6",
        "DIAL_REQUEST_REJECTED",
        START + 60.0,
        campaign_id="c2",
        client_token="t-refused",
        failure_code="InvalidInput",
        reason="bad phone number",
    )
    log.emit(
        "r7",
        "DIAL_REQUEST_ACCEPTED",
        START + 70.0,
        campaign_id="c2",
        client_token="t",
        phone_number="+15550101",
        expiration_time=START + 1000.0,
        api="v2",
    )
    log.emit("r7", "DIAL_REQUEST_EXPIRED", START + 1000.0, campaign_id="c2", reason="expired")
    log.emit(
        "r8",
        "DIAL_REQUEST_ACCEPTED",
        START + 80.0,
        campaign_id="c2",
        client_token="t",
        phone_number="+15550102",
        expiration_time=START + 9000.0,
        api="v2",
    )
    log.emit(
        "r8",
        "DIAL_REQUEST_FAILED",
        START + 85.0,
        campaign_id="c2",
        failure_code="InvalidInput",
        reason="refused",
    )
    for attempt, error in ((1, "LimitExceededException"), (2, None)):
        log.emit(
            "dialer:c1",
            "BATCH_PUT_CONTACT_CALLED",
            START + 14.0 + attempt,
            campaign_id="c1",
            client_token="bpc-1",
            items=1,
            succeeded=0 if error else 1,
            failed=0,
            error=error,
            attempt=attempt,
        )
    agent.emit(
        "a1",
        "STATE_CHANGE",
        START + 1500.0,
        state="ON_BREAK",
        previous="AVAILABLE",
        contact_id=None,
    )
    agent.emit(
        "a1", "STATE_CHANGE", START + 2400.0, state="OFFLINE", previous="ON_BREAK", contact_id=None
    )
    agent.emit("a1", "LOGOUT", START + 2400.0, group="g1")
    return Log(sorted_by_time(log.events + agent.events), log.versions)


SAMPLE_END = START + 3600.0
