"""Property tests of the contact lifecycle (issue 12) over small random scenarios.

Each example draws 1-2 campaigns of any mode (progressive, predictive,
preview, agentless) with AMD on or off, ring timeouts up to 60 s, short
expirations (so that contacts expire undialed), sometimes a stop or a pause,
sometimes a CSV list as source, and runs it into an in-memory store. Then:

- every created contact ends exactly once (drained runs; at most once when the
  horizon cuts the run), either from its dial or EXPIRED, never both;
- EXPIRED only for a contact never dialed, and never dialed before its
  INITIATED;
- every (outcome, DisconnectReason, AMD status) is a row of the table in
  docs/connect.md ("Contact lifecycle"), AMD off never reports a status, and
  NO_ANSWER is TELECOM_TIMEOUT exactly at a 60 s ring timeout;
- the run summary's counts equal the counts read from the event log.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.analysis.summary import THROTTLED, run_summary
from sim.domain import LIVE_OUTCOMES, Event, EventType, Outcome

from .conftest import ROOT, Ran, build, run

PROPS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
AMD_OFF = "AMD_DISABLED"  # the store's mark; DescribeContact leaves the member out
CODE = re.compile(r"\b[A-Z][A-Z_]{3,}\b")


def documented_table() -> dict[str, tuple[set[str], set[str]]]:
    """outcome -> (DisconnectReasons, AMD statuses) of docs/connect.md's table."""
    text = (ROOT / "docs" / "connect.md").read_text(encoding="utf-8")
    start = text.index("| outcome | what happened | DisconnectReason |")
    table: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        reasons, statuses = table[cells[0].split()[0]]
        reasons.update(CODE.findall(cells[2]))
        statuses.update(CODE.findall(cells[3]))
    return dict(table)


TABLE = documented_table()


def test_the_documented_table_covers_every_outcome_the_engine_ends_with() -> None:
    # RESOURCE_ERROR is in the vocabulary but never emitted (docs/connect.md).
    assert set(TABLE) == {o.value for o in Outcome} - {Outcome.RESOURCE_ERROR.value}
    assert TABLE[Outcome.EXPIRED.value] == ({"EXPIRED"}, {"AMD_NOT_APPLICABLE"})


DURATION = st.one_of(
    st.builds(lambda v: {"kind": "fixed", "value": v}, st.integers(1, 60)),
    st.builds(lambda m: {"kind": "exponential", "mean": m}, st.integers(1, 60)),
)


@st.composite
def outcomes(draw: st.DrawFn) -> dict[str, Any]:
    """Five probabilities in tenths summing to 1 (a live answer 2-6 tenths, so
    that queues form and callers abandon), and an AMD error model."""
    live = draw(st.integers(2, 6))
    cuts = sorted(draw(st.lists(st.integers(live, 10), min_size=3, max_size=3)))
    parts = [live] + [b - a for a, b in zip([live, *cuts], [*cuts, 10], strict=True)]
    names = ("live_answer", "voicemail", "no_answer", "busy", "invalid_number")
    amd = {
        "human_as_machine": draw(st.sampled_from([0.0, 0.2])),
        "machine_as_human": draw(st.sampled_from([0.0, 0.2])),
        "unresolved": draw(st.sampled_from([0.0, 0.2])),
        "silence": draw(st.sampled_from([0.0, 0.5])),
        "error": draw(st.sampled_from([0.0, 0.1])),
        "fax": draw(st.sampled_from([0.0, 0.3])),
        "sit_unspecified": draw(st.sampled_from([0.0, 0.5])),
    }
    return {**{n: k / 10 for n, k in zip(names, parts, strict=True)}, "amd": amd}


@st.composite
def source(draw: st.DrawFn, lists: Path) -> dict[str, Any]:
    expires = draw(st.sampled_from([30, 120, 900]))
    kind = draw(st.sampled_from(["schedule", "poisson", "csv"]))
    if kind == "schedule":
        batches = draw(
            st.lists(
                st.fixed_dictionaries({"at": st.integers(0, 600), "count": st.integers(1, 25)}),
                min_size=1,
                max_size=3,
            )
        )
        return {"kind": "schedule", "batches": batches, "expires_after": expires}
    if kind == "poisson":
        return {
            "kind": "poisson",
            "rate_per_hour": draw(st.integers(30, 300)),
            "batch_size": draw(st.integers(1, 25)),
            "max_requests": draw(st.integers(1, 40)),
            "end": 900,
            "expires_after": expires,
        }
    rows = draw(st.integers(0, 40))
    path = lists / f"list{draw(st.integers(0, 10**9))}.csv"
    path.write_text(
        "phone_number,ref\n" + "".join(f"+1555{2000000 + i},{i}\n" for i in range(rows)),
        encoding="utf-8",
    )
    return {
        "kind": "csv",
        "path": str(path),
        "batch_size": draw(st.integers(1, 25)),
        "expires_after": expires,
    }


@st.composite
def campaigns(draw: st.DrawFn, lists: Path) -> list[dict[str, Any]]:
    modes = ("progressive", "predictive", "preview", "agentless")
    chosen = draw(st.lists(st.sampled_from(modes), min_size=1, max_size=2))
    with_agents = sum(m != "agentless" for m in chosen)
    agentless = len(chosen) - with_agents
    result = []
    for i, mode in enumerate(chosen):
        campaign: dict[str, Any] = {
            "id": f"c{i + 1}",
            "mode": mode,
            # Preview exists only in v2.
            "api": "v2" if mode == "preview" else draw(st.sampled_from(["v1", "v2"])),
            "answering_machine_detection": draw(st.booleans()),
            "await_answer_machine_prompt": draw(st.booleans()),
            "ring_timeout": draw(st.sampled_from([15, 30, 60])),
            "sources": [draw(source(lists))],
            "redial": {
                "max_attempts": draw(st.integers(1, 2)),
                "delay": 60,
                "on": ["NO_ANSWER", "BUSY", "VOICEMAIL"],
                "expires_after": draw(st.sampled_from([30, 600])),
            },
        }
        if mode == "agentless":
            campaign["dialing_capacity"] = 1.0 / agentless
        else:
            campaign |= {"queue": "q", "bandwidth_allocation": 1.0 / with_agents}
        if mode == "predictive":
            campaign["predictive"] = {
                "after_threshold": draw(st.sampled_from(["queue", "hang_up"])),
                "connection_threshold": draw(st.sampled_from([1, 5])),
                # immediate: an unpaced dialer, whose callers queue and abandon.
                "pacing": draw(st.sampled_from(["adaptive", "immediate"])),
            }
        if mode == "preview":
            campaign["preview"] = {"discard_probability": draw(st.sampled_from([0.0, 0.3]))}
        control = draw(st.sampled_from([None, "stop", "pause"]))
        if control == "stop":
            campaign["schedule"] = [{"at": draw(st.integers(30, 600)), "action": "stop"}]
        elif control == "pause":
            campaign["schedule"] = [
                {"at": 60, "action": "pause"},
                {"at": 300, "action": "resume"},
            ]
        result.append(campaign)
    return result


@st.composite
def scenarios(draw: st.DrawFn, lists: Path) -> dict[str, Any]:
    return {
        "name": "lifecycle-prop",
        "seed": draw(st.integers(0, 2**16)),
        "start": "2026-10-06T09:00:00+00:00",
        # Mostly long enough to drain; sometimes cut short.
        "horizon": draw(st.sampled_from([4 * 3600, 4 * 3600, 600])),
        "interval": 300,
        "instance": {
            "queues": ["q"],
            "phone_numbers": ["+15550100"],
            "concurrent_calls": draw(st.integers(1, 10)),
        },
        "agent_groups": [
            {
                "name": "g",
                "queue": "q",
                "staffing": [{"start": "00:00", "end": "00:00", "agents": draw(st.integers(1, 4))}],
                "after_contact_work": draw(DURATION),
            }
        ],
        "campaigns": draw(campaigns(lists)),
        "outcomes": draw(outcomes()),
        "durations": {
            "ring_to_answer": draw(DURATION),
            "talk": draw(DURATION),
            "patience": draw(DURATION),
            "voicemail": draw(DURATION),
            "busy_signal": draw(st.integers(1, 5)),
        },
    }


@pytest.fixture(scope="module")
def lists() -> Any:
    with tempfile.TemporaryDirectory(prefix="lifecycle-lists-") as folder:
        yield Path(folder)


def simulate(data: dict[str, Any]) -> tuple[Ran, list[Event]]:
    ran = run(build(data))
    assert ran.outcome.status == "completed"
    return ran, ran.events()


class Contact:
    """One contact's events, gathered from the log."""

    def __init__(self, initiated: Event) -> None:
        self.initiated = initiated
        self.dials: list[Event] = []
        self.steps: list[Event] = []

    def of(self, type_: EventType) -> list[Event]:
        return [e for e in self.steps if e.type == type_]


def gather(events: list[Event]) -> dict[str, Contact]:
    found: dict[str, Contact] = {}
    for e in events:
        if e.type == EventType.INITIATED:
            found[e.stream_id] = Contact(e)
        elif e.type == EventType.DIAL_REQUEST_DIALED:
            found[e.payload["contact_id"]].dials.append(e)
        elif e.stream_id in found:
            found[e.stream_id].steps.append(e)
    return found


@given(data=st.data())
@PROPS
def test_every_contact_ends_once_as_documented(lists: Path, data: st.DataObject) -> None:
    scenario = data.draw(scenarios(lists))
    ran, events = simulate(scenario)
    check_lifecycle(ran, events)


def check_lifecycle(ran: Ran, events: list[Event]) -> None:
    config = {c.id: c for c in ran.scenario.campaigns}
    for cid, contact in gather(events).items():
        campaign = config[contact.initiated.payload["campaign_id"]]
        ends = contact.of(EventType.DISCONNECTED)
        assert len(ends) <= 1 and len(contact.of(EventType.COMPLETED)) == len(ends), cid
        assert len(contact.dials) <= 1, f"{cid} dialed twice"
        for dial in contact.dials:
            assert dial.time >= contact.initiated.time, f"{cid} dialed before its creation"
        if ran.drained:
            assert len(ends) == 1, f"{cid} never ended in a drained run"
        elif contact.dials:
            assert len(ends) == 1, f"{cid}: a dialed call did not finish"
        if not ends:
            continue
        p = ends[0].payload
        outcome, reason, amd = str(p["outcome"]), p["disconnect_reason"], p["amd_status"]
        expired = outcome == Outcome.EXPIRED
        assert expired == (reason == "EXPIRED"), (cid, p)
        assert expired != bool(contact.dials), f"{cid}: EXPIRED iff never dialed: {p}"
        reasons, statuses = TABLE[outcome]
        assert reason in reasons, (cid, p)
        if campaign.answering_machine_detection:
            assert amd in statuses, (cid, p)
        else:
            assert amd == AMD_OFF, (cid, p)
        if outcome == Outcome.NO_ANSWER:
            sixty = campaign.ring_timeout >= 60
            assert reason == ("TELECOM_TIMEOUT" if sixty else "TELECOM_ORIGINATOR_CANCEL"), p


def abandonment_from_log(contacts: dict[str, Contact]) -> tuple[int, int, int, int]:
    """(live, live abandoned, visible, visible abandoned) as docs/connect.md defines them."""
    live = late = visible = visible_late = 0
    for contact in contacts.values():
        ends = contact.of(EventType.DISCONNECTED)
        if contact.initiated.payload["queue_id"] is None or not ends:
            continue
        p = ends[0].payload
        queued = contact.of(EventType.QUEUED)
        to_agent = contact.of(EventType.CONNECTED_TO_AGENT)
        threshold = queued[0].payload["threshold_at"] if queued else None
        missed = threshold is not None and (not to_agent or to_agent[0].time > threshold)
        if p["live_person"] is True:
            live += 1
            late += missed or p["outcome"] == Outcome.AMD_HANGUP
        answered = bool(contact.of(EventType.CONNECTED_TO_SYSTEM))
        if answered and p["amd_status"] in ("HUMAN_ANSWERED", AMD_OFF):
            visible += 1
            visible_late += missed
    return live, late, visible, visible_late


@given(data=st.data())
@PROPS
def test_summary_counts_equal_the_event_log(lists: Path, data: st.DataObject) -> None:
    ran, events = simulate(data.draw(scenarios(lists)))
    check_summary(ran, events)


def check_summary(ran: Ran, events: list[Event]) -> None:
    s = run_summary(ran.store, ran.run_id)
    types = Counter(e.type for e in events)
    ends = [e.payload for e in events if e.type == EventType.DISCONNECTED]
    outcome = Counter(str(p["outcome"]) for p in ends)
    calls = [e.payload for e in events if e.type == EventType.BATCH_PUT_CONTACT_CALLED]
    contacts = gather(events)
    assert s.contacts_created == types[EventType.INITIATED] == len(contacts)
    assert s.dials == types[EventType.DIAL_REQUEST_DIALED]
    assert s.dial_requests_accepted == types[EventType.DIAL_REQUEST_ACCEPTED]
    assert s.dial_requests_expired == types[EventType.DIAL_REQUEST_EXPIRED]
    assert s.dial_requests_failed == types[EventType.DIAL_REQUEST_FAILED]
    assert (
        s.expired_contacts
        == outcome[Outcome.EXPIRED]
        == Counter(p["disconnect_reason"] for p in ends)["EXPIRED"]
    )
    assert s.expired_contacts <= s.dial_requests_expired
    assert s.connected_to_agent == types[EventType.CONNECTED_TO_AGENT]
    assert s.live_answers == sum(n for o, n in outcome.items() if o in LIVE_OUTCOMES)
    assert s.voicemail == outcome[Outcome.VOICEMAIL]
    assert s.no_answer == outcome[Outcome.NO_ANSWER]
    assert s.busy_or_invalid == outcome[Outcome.BUSY] + outcome[Outcome.INVALID_NUMBER]
    assert s.amd_hangups == outcome[Outcome.AMD_HANGUP]
    assert s.amd_statuses == dict(Counter(p["amd_status"] for p in ends))
    assert s.batch_put_contact_calls == len(calls)
    assert s.batch_put_contact_throttled == sum(c["error"] == THROTTLED for c in calls)
    live, late, visible, visible_late = abandonment_from_log(contacts)
    assert s.abandoned == late and s.abandoned_connect == visible_late
    assert s.abandonment_rate == (late / live if live else None)
    assert s.abandonment_rate_connect == (visible_late / visible if visible else None)
    waits = [c.dials[0].time - c.initiated.time for c in contacts.values() if c.dials]
    if waits:
        assert s.creation_to_dial_mean_s == pytest.approx(sum(waits) / len(waits))
    else:
        assert s.creation_to_dial_mean_s is None


def test_an_unpaced_dialer_with_amd_errors_shows_both_rates_apart() -> None:
    """A fixed scenario where both rates are certain to be non-trivial: an
    unpaced predictive campaign for one agent, AMD hanging up on a fifth of the
    people. The regulatory rate counts those hang-ups, the Connect one cannot."""
    scenario: dict[str, Any] = {
        "name": "two-rates",
        "seed": 7,
        "start": "2026-10-06T09:00:00+00:00",
        "horizon": 4 * 3600,
        "interval": 300,
        "instance": {"queues": ["q"], "phone_numbers": ["+15550100"], "concurrent_calls": 6},
        "agent_groups": [
            {
                "name": "g",
                "queue": "q",
                "staffing": [{"start": "00:00", "end": "00:00", "agents": 1}],
                "after_contact_work": 5,
            }
        ],
        "campaigns": [
            {
                "id": "c1",
                "mode": "predictive",
                "queue": "q",
                "predictive": {"pacing": "immediate"},
                "sources": [
                    {
                        "kind": "schedule",
                        "batches": [{"at": 0, "count": 25}, {"at": 60, "count": 25}],
                    }
                ],
            }
        ],
        "outcomes": {
            "live_answer": 0.6,
            "voicemail": 0.2,
            "no_answer": 0.1,
            "busy": 0.05,
            "invalid_number": 0.05,
            "amd": {"human_as_machine": 0.2},
        },
        "durations": {"talk": 60, "patience": 20, "ring_to_answer": 5},
    }
    ran, events = simulate(scenario)
    check_lifecycle(ran, events)
    check_summary(ran, events)
    s = run_summary(ran.store, ran.run_id)
    assert s.amd_hangups > 0 and s.abandoned_connect > 0
    assert s.abandonment_rate is not None and s.abandonment_rate_connect is not None
    assert s.abandoned > s.abandoned_connect
