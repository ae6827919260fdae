"""Hand-built event logs: full lifecycles of requests, contacts and agents.

Each builder appends to a ``Log`` that keeps the per-stream version counters,
so the events follow the contract in docs/ARCHITECTURE.md (versions from 1,
no gaps, payload keys as in ``PAYLOAD_KEYS``).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sim.domain import Event, Outcome

START = 1_767_250_800.0  # 2026-01-01 07:00:00 UTC, a multiple of 900 s
RING_S = 8.0
TALK_S = 120.0
ACW_S = 30.0
PATIENCE_S = 6.0

THRESHOLD_S = 2.0
INGEST_S = 1.0  # acceptance to the contact's creation (BatchPutContact at ingestion)
DIAL_S = 5.0  # acceptance to the dial

# outcome -> (steps after the dial, disconnect_reason, AMD status, who answered)
PATHS: dict[Outcome, tuple[tuple[str, ...], str, str, bool | None]] = {
    Outcome.CONNECTED: (
        ("RINGING", "CONNECTED_TO_SYSTEM", "QUEUED", "CONNECTED_TO_AGENT"),
        "CUSTOMER_DISCONNECT",
        "HUMAN_ANSWERED",
        True,
    ),
    Outcome.MACHINE_CONNECTED: (
        ("RINGING", "CONNECTED_TO_SYSTEM", "QUEUED", "CONNECTED_TO_AGENT"),
        "AGENT_DISCONNECT",
        "HUMAN_ANSWERED",
        False,
    ),
    Outcome.ABANDONED: (
        ("RINGING", "CONNECTED_TO_SYSTEM", "QUEUED"),
        "CUSTOMER_DISCONNECT",
        "HUMAN_ANSWERED",
        True,
    ),
    Outcome.AMD_HANGUP: (
        ("RINGING", "CONNECTED_TO_SYSTEM"),
        "CONTACT_FLOW_DISCONNECT",
        "VOICEMAIL_NO_BEEP",
        True,
    ),
    Outcome.VOICEMAIL: (
        ("RINGING", "CONNECTED_TO_SYSTEM"),
        "CONTACT_FLOW_DISCONNECT",
        "VOICEMAIL_BEEP",
        False,
    ),
    Outcome.DELIVERED: (
        ("RINGING", "CONNECTED_TO_SYSTEM"),
        "CONTACT_FLOW_DISCONNECT",
        "HUMAN_ANSWERED",
        True,
    ),
    Outcome.NO_ANSWER: (("RINGING",), "TELECOM_ORIGINATOR_CANCEL", "AMD_UNANSWERED", None),
    Outcome.BUSY: (("RINGING",), "TELECOM_BUSY", "SIT_TONE_BUSY", None),
    Outcome.INVALID_NUMBER: (
        ("RINGING",),
        "TELECOM_NUMBER_INVALID",
        "SIT_TONE_INVALID_NUMBER",
        None,
    ),
    Outcome.RESOURCE_ERROR: ((), "OUTBOUND_RESOURCE_ERROR", "AMD_NOT_APPLICABLE", None),
    Outcome.DISCARDED: ((), "OUTBOUND_PREVIEW_DISCARDED", "AMD_NOT_APPLICABLE", None),
    Outcome.EXPIRED: ((), "EXPIRED", "AMD_NOT_APPLICABLE", None),
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
    created: float
    dialed: float | None
    disconnected: float
    completed: float
    agent_on: float | None  # connected to agent
    threshold: float | None


def initiated(log: Log, contact_id: str, request_id: str, campaign: str, t: float) -> None:
    """BatchPutContact created the contact (at ingestion)."""
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


def dialed(
    log: Log, contact_id: str, outcome: Outcome, t: float, agent: str | None = None
) -> ContactTimes:
    """A created contact's stream from its dial at ``t`` to COMPLETED along ``outcome``'s path."""
    steps, reason, amd, live = PATHS[outcome]
    now, agent_on, threshold = t, None, None
    answered = None
    for step in steps:
        if step == "RINGING":
            log.emit(contact_id, step, now, agent_id=None)
        elif step == "CONNECTED_TO_SYSTEM":
            now += RING_S
            answered = now
            log.emit(contact_id, step, now)
        elif step == "QUEUED":
            now += 0.25
            assert answered is not None
            threshold = answered + THRESHOLD_S
            log.emit(
                contact_id, step, now, queue_id="queue-1", amd_status=amd, threshold_at=threshold
            )
        else:
            now += 1.0
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
        amd_status=amd,
        outcome=outcome.value,
        live_person=live,
    )
    acw = ACW_S if agent_on is not None else 0.0
    log.emit(contact_id, "COMPLETED", gone + acw, after_contact_work_s=acw)
    return ContactTimes(t, t, gone, gone + acw, agent_on, threshold)


def accepted(log: Log, request_id: str, campaign: str, t: float, token: str = "token") -> None:
    log.emit(
        request_id,
        "DIAL_REQUEST_ACCEPTED",
        t,
        campaign_id=campaign,
        client_token=token,
        phone_number="+15550100",
        expiration_time=t + 86400.0,
        api="v2",
    )


def expired_contact(log: Log, request_id: str, campaign: str, t: float, expires: float) -> str:
    """A request accepted at ``t`` whose contact was created and never dialed."""
    contact_id = f"{request_id}-c1"
    accepted(log, request_id, campaign, t)
    initiated(log, contact_id, request_id, campaign, t + INGEST_S)
    log.emit(
        contact_id,
        "DISCONNECTED",
        expires,
        disconnect_reason="EXPIRED",
        amd_status="AMD_NOT_APPLICABLE",
        outcome="EXPIRED",
        live_person=None,
    )
    log.emit(contact_id, "COMPLETED", expires, after_contact_work_s=0.0)
    log.emit(request_id, "DIAL_REQUEST_EXPIRED", expires, campaign_id=campaign, reason="expired")
    return contact_id


def request(
    log: Log,
    request_id: str,
    campaign: str,
    t: float,
    outcomes: list[Outcome],
    agent: str | None = None,
    contact_prefix: str | None = None,
) -> list[tuple[str, ContactTimes]]:
    """A number dialed once per outcome: a request accepted at ``t``, its contact
    created at ingestion and dialed; each redial is a new request the client
    submits (``<request_id>-r<n>``) after a RETRY_SCHEDULED on the one before."""
    made = []
    now = t
    for attempt, outcome in enumerate(outcomes, start=1):
        rid = request_id if attempt == 1 else f"{request_id}-r{attempt}"
        contact_id = f"{contact_prefix or request_id}-c{attempt}"
        accepted(log, rid, campaign, now, token=f"token-{attempt}")
        initiated(log, contact_id, rid, campaign, now + INGEST_S)
        if outcome == Outcome.EXPIRED:
            raise ValueError("an expired contact is never dialed: use expired_contact")
        dial_at = now + DIAL_S
        log.emit(
            rid,
            "DIAL_REQUEST_DIALED",
            dial_at,
            campaign_id=campaign,
            contact_id=contact_id,
            attempt=attempt,
            waited_s=DIAL_S,
        )
        times = dialed(log, contact_id, outcome, dial_at, agent)
        times = dataclasses.replace(times, created=now + INGEST_S)
        made.append((contact_id, times))
        now = times.completed
        if attempt < len(outcomes):
            log.emit(
                rid,
                "DIAL_REQUEST_RETRY_SCHEDULED",
                now,
                campaign_id=campaign,
                attempt=attempt + 1,
                retry_at=now + 600.0,
                outcome=outcome.value,
                client_token=f"token-{attempt + 1}",
            )
        log.emit(
            rid,
            "DIAL_REQUEST_COMPLETED",
            now,
            campaign_id=campaign,
            outcome=outcome.value,
            attempts=attempt,
        )
        now += 600.0
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

    c1: r1 CONNECTED (agent a1), r2 ABANDONED, r3 NO_ANSWER then VOICEMAIL (a redial);
    c2: r4 BUSY, r5 AMD_HANGUP, r6 rejected, r7 expired (its contact never dialed), r8 failed.
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
    expired_contact(log, "r7", "c2", START + 70.0, START + 1000.0)
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
