"""The fold: contacts columns per outcome path, agent spans, interval KPIs."""

from __future__ import annotations

from typing import Any

import pytest

from sim.domain import LIVE_OUTCOMES, Outcome
from sim.store import ProjectionRows, Projector
from sim.store.schema import COUNTER_COLUMNS, agent_intervals, contacts, insert_columns

from .factories import (
    ACW_S,
    INGEST_S,
    PATHS,
    SAMPLE_END,
    START,
    TALK_S,
    THRESHOLD_S,
    Log,
    agent_for_contact,
    agent_states,
    expired_contact,
    request,
    sample_run,
)

CONTACT_COLS = insert_columns(contacts)[1:]
SPAN_COLS = insert_columns(agent_intervals)[1:]
KPI_COLS = [
    "interval_start",
    "campaign_id",
    *COUNTER_COLUMNS,
    "available_s",
    "reserved_s",
    "on_contact_s",
    "acw_s",
    "break_s",
    "logged_in_s",
    "occupancy",
]


def project(events: list, sim_end: float = SAMPLE_END, interval: float = 900.0) -> ProjectionRows:
    p = Projector(interval)
    rows = p.feed(events)
    final = p.close(sim_end)
    return ProjectionRows(
        rows.contacts + final.contacts,
        rows.agent_intervals + final.agent_intervals,
        final.interval_kpis,
    )


def as_dicts(cols: list[str], rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [dict(zip(cols, r, strict=True)) for r in rows]


@pytest.mark.parametrize("outcome", list(Outcome))
def test_contact_row_for_every_outcome_path(outcome: Outcome) -> None:
    log = Log()
    agent = "a1" if "CONNECTED_TO_AGENT" in PATHS[outcome][0] else None
    if outcome == Outcome.EXPIRED:
        cid = expired_contact(log, "r1", "c1", START, START + 900.0)
        dialed_at, gone, done = None, START + 900.0, START + 900.0
    else:
        ((cid, times),) = request(log, "r1", "c1", START, [outcome], agent=agent)
        dialed_at, gone, done = times.dialed, times.disconnected, times.completed
    steps, reason, amd, live = PATHS[outcome]
    (row,) = as_dicts(CONTACT_COLS, project(log.events).contacts)
    ts = {e.type: e.time for e in log.events if e.stream_id == cid}
    threshold = ts["CONNECTED_TO_SYSTEM"] + THRESHOLD_S if "QUEUED" in steps else None
    to_agent = ts.get("CONNECTED_TO_AGENT")
    expected = {
        "contact_id": cid,
        "seq": 1,
        "campaign_id": "c1",
        "dial_request_id": "r1",
        "attempt": None if dialed_at is None else 1,
        "instance_id": "instance-1",
        "queue_id": "queue-1",
        "agent_id": agent,
        "customer_endpoint": "+15550100",
        "system_endpoint": "+15550199",
        "created_timestamp": START + INGEST_S,
        # The contact record's initiation is re-stamped when the call starts.
        "initiation_timestamp": START + INGEST_S if dialed_at is None else dialed_at,
        "ring_start_timestamp": ts.get("RINGING"),
        "connected_to_system_timestamp": ts.get("CONNECTED_TO_SYSTEM"),
        "enqueue_timestamp": ts.get("QUEUED"),
        "threshold_timestamp": threshold,
        "connected_to_agent_timestamp": to_agent,
        "disconnect_timestamp": gone,
        "after_contact_work_start_timestamp": gone if agent else None,
        "after_contact_work_end_timestamp": done if agent else None,
        "after_contact_work_duration": ACW_S if agent else None,
        "disconnect_reason": reason,
        "answering_machine_detection_status": amd,
        "outcome": outcome.value,
        "live_person": live,
        "abandoned": threshold is not None and (to_agent is None or to_agent > threshold),
        "queue_wait_s": (None if "QUEUED" not in steps else (to_agent or gone) - ts["QUEUED"]),
        "talk_s": TALK_S if agent else None,
    }
    assert row == expected
    if outcome == Outcome.ABANDONED:
        assert row["abandoned"] is True


def test_redials_are_new_requests_with_their_attempt() -> None:
    log = Log()
    request(log, "r1", "c1", START, [Outcome.NO_ANSWER, Outcome.CONNECTED], agent="a1")
    rows = as_dicts(CONTACT_COLS, project(log.events).contacts)
    assert [(r["contact_id"], r["dial_request_id"], r["attempt"]) for r in rows] == [
        ("r1-c1", "r1", 1),
        ("r1-c2", "r1-r2", 2),
    ]


def test_contact_state_is_dropped_at_completed() -> None:
    log = Log()
    request(log, "r1", "c1", START, [Outcome.CONNECTED], agent="a1")
    p = Projector(900.0)
    rows = p.feed(log.events[:-3])
    assert rows.contacts == [] and p.in_flight == 2  # contact + dialing request
    rows = p.feed(log.events[-3:])
    assert len(rows.contacts) == 1 and p.in_flight == 0


def test_unfinished_contact_is_emitted_at_close() -> None:
    log = Log()
    request(log, "r1", "c1", START, [Outcome.CONNECTED], agent="a1")
    cut = [e for e in log.events if e.type not in ("DISCONNECTED", "COMPLETED")]
    (row,) = as_dicts(CONTACT_COLS, project(cut).contacts)
    assert row["disconnect_timestamp"] is None and row["talk_s"] is None
    assert row["queue_wait_s"] == 1.0


def test_agent_spans_and_split_across_intervals() -> None:
    log = sample_run()
    rows = project(log.events)
    spans = [
        (r["state"], r["start"] - START, r["end"] - START, r["contact_id"])
        for r in as_dicts(SPAN_COLS, rows.agent_intervals)
    ]
    assert spans == [
        ("AVAILABLE", 0.0, 24.25, None),
        ("ON_CONTACT", 24.25, 144.25, "r1-c1"),
        ("AFTER_CONTACT_WORK", 144.25, 174.25, "r1-c1"),
        ("AVAILABLE", 174.25, 1500.0, None),
        ("ON_BREAK", 1500.0, 2400.0, None),
    ]  # the OFFLINE span after 2400 has no end: no row
    star = [r for r in as_dicts(KPI_COLS, rows.interval_kpis) if r["campaign_id"] == "*"]
    assert [r["interval_start"] - START for r in star] == [0.0, 900.0, 1800.0, 2700.0]
    assert [r["logged_in_s"] for r in star] == [900.0, 900.0, 600.0, 0.0]
    assert [r["available_s"] for r in star] == [900.0 - 150.0, 600.0, 0.0, 0.0]
    assert [r["break_s"] for r in star] == [0.0, 300.0, 600.0, 0.0]
    assert star[0]["on_contact_s"] == 120.0 and star[0]["acw_s"] == 30.0
    assert star[0]["occupancy"] == pytest.approx(150.0 / 900.0)
    assert star[3]["occupancy"] is None


def test_open_span_ends_at_sim_end_and_offline_gaps_are_rows() -> None:
    log = Log()
    agent_states(
        log,
        "a1",
        [
            (START, "AVAILABLE", None),
            (START + 100, "OFFLINE", None),
            (START + 200, "AVAILABLE", None),
        ],
    )
    spans = as_dicts(SPAN_COLS, project(log.events, sim_end=START + 250).agent_intervals)
    assert [(s["state"], s["start"] - START, s["end"] - START, s["version"]) for s in spans] == [
        ("AVAILABLE", 0, 100, 2),
        ("OFFLINE", 100, 200, 3),
        ("AVAILABLE", 200, 250, 4),
    ]


def test_interval_counters_sum_to_totals() -> None:
    log = sample_run()
    kpis = as_dicts(KPI_COLS, project(log.events).interval_kpis)
    star = [r for r in kpis if r["campaign_id"] == "*"]
    by_campaign = {c: [r for r in kpis if r["campaign_id"] == c] for c in ("c1", "c2")}
    totals = {k: sum(r[k] for r in star) for k in COUNTER_COLUMNS if k != "backlog"}
    # The redial of r3 is a new request; the AMD hang-up of r5 (a person) counts as
    # abandoned beside r2 (the regulatory view).
    assert totals == {
        "accepted": 8,
        "rejected": 1,
        "expired": 1,
        "failed": 1,
        "dials": 6,
        "live_answers": 3,
        "connected": 1,
        "abandoned": 2,
        "voicemail": 1,
        "no_answer": 1,
        "busy_invalid": 1,
    }
    for k in totals:
        assert sum(r[k] for rows in by_campaign.values() for r in rows) == totals[k]
    assert sum(r["dials"] for r in by_campaign["c1"]) == 4
    outcomes = [e.payload["outcome"] for e in log.events if e.type == "DISCONNECTED"]
    assert totals["live_answers"] == sum(o in LIVE_OUTCOMES for o in outcomes)
    # backlog at interval end: r7 (expires at 1000 s) is still waiting after the first interval
    assert [r["backlog"] for r in star] == [1, 0, 0, 0]
    assert [r["backlog"] for r in by_campaign["c2"]] == [1, 0, 0, 0]
    total_agent = sum(r["logged_in_s"] for r in star)
    assert total_agent == pytest.approx(2400.0)


def test_feed_after_close_is_refused() -> None:
    p = Projector(60.0)
    p.close(START)
    with pytest.raises(RuntimeError):
        p.feed([])
    with pytest.raises(ValueError):
        Projector(0)


def test_agent_for_contact_helper_is_consistent() -> None:
    log = Log()
    agent_states(log, "a1", [(START, "AVAILABLE", None)])
    ((cid, times),) = request(log, "r1", "c1", START, [Outcome.CONNECTED], agent="a1")
    agent_for_contact(log, "a1", cid, times)
    spans = as_dicts(SPAN_COLS, project(log.events).agent_intervals)
    assert [s["state"] for s in spans] == [
        "AVAILABLE",
        "ON_CONTACT",
        "AFTER_CONTACT_WORK",
        "AVAILABLE",
    ]
