"""Checks of the event contract (docs/ARCHITECTURE.md) over one run's log.

Each ``check_*`` takes the log in position order and raises AssertionError
with the first violation found. They are shared by the property tests (small
random scenarios) and the scenario tests (scenarios/*.yaml).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Sequence

from sim.domain import Event
from sim.scenario import Scenario

TERMINAL = frozenset({"DIAL_REQUEST_COMPLETED", "DIAL_REQUEST_EXPIRED", "DIAL_REQUEST_FAILED"})
BUSY = frozenset({"RESERVED", "ON_CONTACT", "AFTER_CONTACT_WORK"})
# The contact stream's steps, in the only order they may come.
CONTACT_STEPS = (
    "INITIATED",
    "RINGING",
    "CONNECTED_TO_SYSTEM",
    "QUEUED",
    "CONNECTED_TO_AGENT",
    "DISCONNECTED",
    "COMPLETED",
)
EPS = 1e-9


def by_stream(events: Sequence[Event]) -> dict[str, list[Event]]:
    streams: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        streams[event.stream_id].append(event)
    return streams


def check_streams(events: Sequence[Event]) -> None:
    """Within a stream: versions 1..n without gaps, in log order; time never decreases."""
    for stream, evs in by_stream(events).items():
        versions = [e.version for e in evs]
        assert versions == list(range(1, len(evs) + 1)), f"{stream}: versions {versions}"
        for a, b in itertools.pairwise(evs):
            assert b.time >= a.time, f"{stream}: time goes back {a} -> {b}"


def request_endings(events: Sequence[Event]) -> tuple[set[str], Counter[str]]:
    """(ids of accepted requests, terminal events per request id)."""
    accepted = {e.stream_id for e in events if e.type == "DIAL_REQUEST_ACCEPTED"}
    ends = Counter(e.stream_id for e in events if e.type in TERMINAL)
    return accepted, ends


def check_terminal(events: Sequence[Event], drained: bool) -> None:
    """Every accepted request ends once (drained) or at most once; nothing follows the end."""
    accepted, ends = request_endings(events)
    assert set(ends) <= accepted, f"terminal without acceptance: {set(ends) - accepted}"
    twice = [r for r, n in ends.items() if n > 1]
    assert not twice, f"requests ended more than once: {twice[:5]}"
    if drained:
        open_ = accepted - set(ends)
        assert not open_, f"drained run left {len(open_)} requests open, e.g. {sorted(open_)[:3]}"
    streams = by_stream(events)
    for request in ends:
        last = streams[request][-1]
        assert last.type in TERMINAL, f"{request}: event after its terminal one: {last}"
    rejected = [e for e in events if e.type == "DIAL_REQUEST_REJECTED"]
    for e in rejected:
        assert len(streams[e.stream_id]) == 1, f"REJECTED is not alone on {e.stream_id}"


# Disconnect reasons of the contact-record data model the simulator uses (docs/connect.md).
REASONS = frozenset(
    {
        "CUSTOMER_DISCONNECT",
        "AGENT_DISCONNECT",
        "CONTACT_FLOW_DISCONNECT",
        "TELECOM_ORIGINATOR_CANCEL",
        "TELECOM_TIMEOUT",
        "TELECOM_BUSY",
        "TELECOM_NUMBER_INVALID",
        "OUTBOUND_RESOURCE_ERROR",
        "OUTBOUND_PREVIEW_DISCARDED",
        "EXPIRED",
    }
)


def check_contacts(events: Sequence[Event], drained: bool = False) -> None:
    """Contacts exist before their dial, and each ends exactly once.

    - every contact is INITIATED first (BatchPutContact at ingestion), and is
      dialed at most once, never before its INITIATED, by its own request;
    - its steps come in the documented order; a dialed contact always ends
      (DISCONNECTED, COMPLETED: in-flight calls finish, at the horizon too);
      one never dialed ends EXPIRED with no call step, or is still waiting at
      the end of a run that did not drain;
    - every disconnect reason is one of the documented set;
    - every expired request whose contact was created has exactly one contact,
      ended EXPIRED.
    """
    streams = by_stream(events)
    position = {id(e): i for i, e in enumerate(events)}
    initiated = {e.stream_id: e for e in events if e.type == "INITIATED"}
    dialed = [e for e in events if e.type == "DIAL_REQUEST_DIALED"]
    contact_of = Counter(e.payload["contact_id"] for e in dialed)
    assert set(contact_of) <= set(initiated), "a dial of a contact that was never created"
    assert max(contact_of.values(), default=1) == 1, "a contact dialed twice"
    for e in dialed:
        init = initiated[e.payload["contact_id"]]
        assert init.payload["request_identifier"] == e.stream_id, (e, init)
        assert position[id(init)] < position[id(e)] and init.time <= e.time, (e, init)
        assert e.payload["attempt"] >= 1, e
    assert max(Counter(e.stream_id for e in dialed).values(), default=1) == 1
    contact_of_request = {e.payload["request_identifier"]: c for c, e in initiated.items()}
    for contact in initiated:
        evs = streams[contact]
        types = [e.type for e in evs]
        ranks = [CONTACT_STEPS.index(t) for t in types]
        assert ranks == sorted(set(ranks)), f"{contact}: steps {types}"
        ended = [e for e in evs if e.type == "DISCONNECTED"]
        if contact in contact_of:
            assert types[-2:] == ["DISCONNECTED", "COMPLETED"], f"{contact}: {types}"
        elif ended:
            assert types == ["INITIATED", "DISCONNECTED", "COMPLETED"], f"{contact}: {types}"
            assert ended[0].payload["disconnect_reason"] == "EXPIRED", ended[0]
        else:
            assert not drained and types == ["INITIATED"], f"{contact}: {types}"
        for e in ended:
            assert e.payload["disconnect_reason"] in REASONS, e
    for e in events:
        if e.type == "DIAL_REQUEST_EXPIRED" and e.stream_id in contact_of_request:
            contact = contact_of_request[e.stream_id]
            ends = [x for x in streams[contact] if x.type == "DISCONNECTED"]
            assert len(ends) == 1 and ends[0].payload["disconnect_reason"] == "EXPIRED", (
                f"expired request {e.stream_id}: its contact ended {ends}"
            )


def check_counts(events: Sequence[Event]) -> dict[str, int]:
    """accepted = completed + expired + failed + still open; the figures, with the
    redials the client scheduled whose clientToken was never accepted."""
    counts = Counter(e.type for e in events)
    accepted, ends = request_endings(events)
    open_ = len(accepted - set(ends))
    ended = sum(counts[t] for t in TERMINAL)
    assert counts["DIAL_REQUEST_ACCEPTED"] == ended + open_
    assert counts["DIAL_REQUEST_DIALED"] <= counts["INITIATED"] <= counts["DIAL_REQUEST_ACCEPTED"]
    assert counts["DISCONNECTED"] == counts["COMPLETED"] <= counts["INITIATED"]
    tokens = {e.payload["client_token"] for e in events if e.type == "DIAL_REQUEST_ACCEPTED"}
    redials = [e for e in events if e.type == "DIAL_REQUEST_RETRY_SCHEDULED"]
    unaccepted = sum(e.payload["client_token"] not in tokens for e in redials)
    return {"accepted": len(accepted), "ended": ended, "open": open_, "redials": unaccepted}


def check_agents(events: Sequence[Event]) -> None:
    """Fold each agent's STATE_CHANGEs: previous matches, one contact at a time,
    and at every point busy agents <= logged-in agents."""
    state: dict[str, str] = {}
    contact: dict[str, str | None] = {}
    logged_in: set[str] = set()
    busy: set[str] = set()
    # An agent's contacts from RINGING/CONNECTED_TO_AGENT to DISCONNECTED, by position.
    talking: dict[str, str] = {}
    for e in events:
        p = e.payload
        if e.type == "LOGIN":
            assert e.stream_id not in logged_in, f"double LOGIN {e}"
            logged_in.add(e.stream_id)
        elif e.type == "LOGOUT":
            assert state.get(e.stream_id) == "OFFLINE", f"LOGOUT while {state.get(e.stream_id)}"
            logged_in.discard(e.stream_id)
        elif e.type == "STATE_CHANGE":
            agent, new = e.stream_id, p["state"]
            assert p["previous"] == state.get(agent, "OFFLINE"), f"previous mismatch {e}"
            assert agent in logged_in, f"state change of a logged-out agent {e}"
            old_contact = contact.get(agent)
            if new == "ON_CONTACT":
                assert p["contact_id"], e
                assert state.get(agent) in ("AVAILABLE", "RESERVED"), f"double contact {e}"
                assert old_contact in (None, p["contact_id"]), f"agent on two contacts: {e}"
            if new == "AFTER_CONTACT_WORK":
                assert state.get(agent) == "ON_CONTACT", e
                assert old_contact == p["contact_id"], f"ACW of another contact: {e}"
            if new == "RESERVED":
                assert state.get(agent) in ("AVAILABLE", "RESERVED"), f"reserved while busy {e}"
            state[agent] = new
            contact[agent] = p["contact_id"] if new in BUSY else None
            if new in BUSY:
                busy.add(agent)
            else:
                busy.discard(agent)
            assert len(busy) <= len(logged_in), f"{len(busy)} busy > {len(logged_in)} logged in"
        elif e.type in ("RINGING", "CONNECTED_TO_AGENT") and p.get("agent_id"):
            agent = p["agent_id"]
            other = talking.get(agent)
            assert other in (None, e.stream_id), f"{agent} on {other} and {e.stream_id}"
            talking[agent] = e.stream_id
        elif e.type == "DISCONNECTED":
            for agent, c in list(talking.items()):
                if c == e.stream_id:
                    del talking[agent]
    assert not busy - logged_in


def check_lines(events: Sequence[Event], scenario: Scenario) -> None:
    """Concurrent calls (DIALED..DISCONNECTED) within the instance limit and
    each campaign's dialing_capacity share of it."""
    limit = scenario.instance.concurrent_calls
    share = {c.id: math.floor(c.dialing_capacity * limit + EPS) for c in scenario.campaigns}
    campaign_of: dict[str, str] = {}  # contacts dialed and not yet disconnected
    per: Counter[str] = Counter()
    total = 0
    for e in events:
        if e.type == "DIAL_REQUEST_DIALED":
            cid = campaign_of[e.payload["contact_id"]] = e.payload["campaign_id"]
            per[cid] += 1
            total += 1
            assert total <= limit, f"{total} concurrent calls > {limit} at {e.time}"
            assert per[cid] <= share[cid], f"{cid}: {per[cid]} lines > share {share[cid]}"
        elif e.type == "DISCONNECTED" and e.stream_id in campaign_of:
            per[campaign_of.pop(e.stream_id)] -= 1
            total -= 1
    assert total == 0


def check_bandwidth(events: Sequence[Event], scenario: Scenario) -> None:
    """Whenever a campaign takes an agent it holds at most ceil(bandwidth x logged in).

    A contact holds its agent from RINGING with an agent (reserved) or
    CONNECTED_TO_AGENT until the agent leaves the busy states. Checked when
    a hold starts, since a staffing drop may leave a campaign above its new
    share until its contacts end.
    """
    config = {c.id: c for c in scenario.campaigns}
    queue_of_agent: dict[str, str] = {}
    logged: Counter[str] = Counter()
    campaign_of: dict[str, str] = {}
    holder: dict[str, str] = {}  # agent -> campaign holding it
    held: Counter[str] = Counter()
    for e in events:
        p = e.payload
        if e.type == "LOGIN":
            queue_of_agent[e.stream_id] = p["queue_id"]
            logged[p["queue_id"]] += 1
        elif e.type == "LOGOUT":
            logged[queue_of_agent[e.stream_id]] -= 1
        elif e.type == "INITIATED":
            campaign_of[e.stream_id] = p["campaign_id"]
        elif e.type in ("RINGING", "CONNECTED_TO_AGENT") and p.get("agent_id"):
            agent = p["agent_id"]
            if agent in holder:
                continue
            cid = holder[agent] = campaign_of[e.stream_id]
            held[cid] += 1
            c = config[cid]
            assert c.queue is not None
            cap = math.ceil(c.bandwidth_allocation * logged[c.queue] - EPS)
            assert held[cid] <= cap, f"{cid} holds {held[cid]} agents > {cap} at {e.time}"
        elif e.type == "STATE_CHANGE" and p["state"] not in BUSY and e.stream_id in holder:
            held[holder.pop(e.stream_id)] -= 1


def check_horizon(events: Sequence[Event], scenario: Scenario) -> None:
    """Nothing is accepted or dialed at or after the horizon."""
    end = scenario.end_ts
    for e in events:
        if e.type in ("DIAL_REQUEST_ACCEPTED", "INITIATED", "DIAL_REQUEST_DIALED"):
            assert e.time < end, f"{e.type} after the horizon: {e}"


def check_all(events: Sequence[Event], scenario: Scenario, drained: bool) -> None:
    check_streams(events)
    check_terminal(events, drained)
    check_contacts(events, drained)
    check_counts(events)
    check_agents(events)
    check_lines(events, scenario)
    check_horizon(events, scenario)
