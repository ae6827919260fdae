"""Shared agents, preview, redial, breaks, shrinkage and campaign schedules."""

from __future__ import annotations

import math
from typing import Any

import pytest

from sim.analysis.stats import mean_ci
from sim.scenario import Scenario, ScenarioError, apply_overrides, parse_scenario, resolved_dict
from sim.store import Store
from tests.pacing.helpers import query, run, scenario, small


def _dial_share_while_both_busy(seed: int) -> float:
    store, outcome = run(scenario("shared_agents_70_30.yaml"), seed=seed)
    rows = query(
        store,
        "SELECT json_extract(payload, '$.campaign_id'), time FROM events"
        " WHERE run_id = ? AND type = 'DIAL_REQUEST_DIALED' ORDER BY position",
        outcome.run_id,
    )
    # Both campaigns have work until the first of them dials its last request.
    last = {}
    for campaign, t in rows:
        last[campaign] = t
    both_busy_until = min(last.values())
    counted = [c for c, t in rows if t <= both_busy_until]
    return counted.count("sales") / len(counted)


def test_two_campaigns_share_agents_70_30() -> None:
    shares = mean_ci([_dial_share_while_both_busy(seed) for seed in range(5)])
    assert shares.low >= 0.64 and shares.high <= 0.78, shares


def test_a_campaign_never_holds_more_than_its_allocation() -> None:
    store, outcome = run(scenario("shared_agents_70_30.yaml"), seed=1)
    rows = query(
        store,
        "SELECT stream_id, time, json_extract(payload, '$.state'),"
        " json_extract(payload, '$.contact_id') FROM events"
        " WHERE run_id = ? AND type = 'STATE_CHANGE' ORDER BY position",
        outcome.run_id,
    )
    campaign_of = dict(
        query(
            store,
            "SELECT contact_id, campaign_id FROM contacts WHERE run_id = ?",
            outcome.run_id,
        )
    )
    holding: dict[str, str] = {}
    peak = {"sales": 0, "survey": 0}
    for agent, _t, state, contact in rows:
        if state in ("RESERVED", "ON_CONTACT", "AFTER_CONTACT_WORK") and contact:
            holding[agent] = campaign_of.get(contact, "?")
        else:
            holding.pop(agent, None)
        for campaign in peak:
            peak[campaign] = max(peak[campaign], list(holding.values()).count(campaign))
    assert peak["sales"] <= math.ceil(0.7 * 20)
    assert peak["survey"] <= math.ceil(0.3 * 20)


def test_allocations_over_one_on_a_queue_are_refused() -> None:
    data = resolved_dict(scenario("shared_agents_70_30.yaml"))
    data["campaigns"][1]["bandwidth_allocation"] = 0.5
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    assert any("shared" in e and "1" in e for e in caught.value.errors), caught.value.errors


def test_preview_discards_end_with_their_reason_and_hold_the_agent() -> None:
    s = small(
        mode="preview",
        preview={"timeout": "30s", "review_time": "10s", "discard_probability": 0.3},
    )
    store, outcome = run(s)
    reasons = dict(
        query(
            store,
            "SELECT outcome, count(*) FROM contacts WHERE run_id = ? GROUP BY outcome",
            outcome.run_id,
        )
    )
    discarded = reasons.get("DISCARDED", 0)
    total = sum(reasons.values())
    assert 0.2 < discarded / total < 0.4
    rows = query(
        store,
        "SELECT disconnect_reason, disconnect_timestamp - initiation_timestamp,"
        " (SELECT sum(i.end - i.start) FROM agent_intervals i WHERE i.run_id = c.run_id"
        "  AND i.contact_id = c.contact_id AND i.state = 'RESERVED')"
        " FROM contacts c WHERE run_id = ? AND outcome = 'DISCARDED'",
        outcome.run_id,
    )
    assert {r[0] for r in rows} == {"OUTBOUND_PREVIEW_DISCARDED"}
    assert all(abs(r[1] - 10.0) < 1e-6 for r in rows)  # the review time
    assert all(abs(r[2] - 10.0) < 1e-6 for r in rows)  # an agent held for it


def test_a_review_past_the_timeout_dials() -> None:
    s = small(
        mode="preview",
        preview={"timeout": "5s", "review_time": "20s", "discard_probability": 1.0},
    )
    store, outcome = run(s)
    outcomes = dict(
        query(
            store,
            "SELECT outcome, count(*) FROM contacts WHERE run_id = ? GROUP BY outcome",
            outcome.run_id,
        )
    )
    assert "DISCARDED" not in outcomes
    rings = query(
        store,
        "SELECT min(ring_start_timestamp - initiation_timestamp) FROM contacts WHERE run_id = ?",
        outcome.run_id,
    )
    assert rings[0][0] == pytest.approx(5.0)


def test_redial_makes_a_new_contact_per_attempt_up_to_the_limit() -> None:
    s = small(redial={"max_attempts": 3, "delay": "10m", "on": ["NO_ANSWER", "BUSY"]})
    store, outcome = run(s)
    rows = query(
        store,
        "SELECT dial_request_id, count(*), max(attempt), count(DISTINCT contact_id)"
        " FROM contacts WHERE run_id = ? GROUP BY dial_request_id",
        outcome.run_id,
    )
    assert max(r[1] for r in rows) <= 3
    assert any(r[1] > 1 for r in rows)
    assert all(r[1] == r[2] == r[3] for r in rows)
    # Each attempt after the first came at least the delay after the previous one ended.
    gaps = query(
        store,
        "SELECT b.initiation_timestamp - a.after_contact_work_end_timestamp FROM contacts a"
        " JOIN contacts b ON a.run_id = b.run_id AND a.dial_request_id = b.dial_request_id"
        " AND b.attempt = a.attempt + 1 WHERE a.run_id = ?",
        outcome.run_id,
    )
    assert gaps and min(g[0] for g in gaps) >= 600.0 - 1e-6


def test_breaks_and_shrinkage_take_agents_off_the_phones() -> None:
    s = apply_overrides(
        small(),
        {
            "agent_groups[0].breaks": [{"start": "09:10", "duration": "15m"}],
            "agent_groups[0].staffing[0].agents": 10,
            "agent_groups[0].shrinkage": 0.2,
        },
    )
    store, outcome = run(s)
    logged_in = query(
        store,
        "SELECT count(DISTINCT stream_id) FROM events WHERE run_id = ? AND type = 'LOGIN'",
        outcome.run_id,
    )
    assert logged_in[0][0] == 8  # 10 scheduled, 20% shrinkage
    breaks = query(
        store,
        "SELECT agent_id, start, end FROM agent_intervals WHERE run_id = ? AND state = 'ON_BREAK'",
        outcome.run_id,
    )
    assert len({b[0] for b in breaks}) == 8
    assert all(abs((end - start) - 900.0) < 1e-6 for _, start, end in breaks)
    ten = s.start_ts + 600.0
    assert all(start >= ten for _, start, _ in breaks)


def test_pause_keeps_the_buffer_and_stop_expires_it() -> None:
    s = small(
        schedule=[
            {"at": "0s", "action": "start"},
            {"at": "2m", "action": "pause"},
            {"at": "30m", "action": "resume"},
            {"at": "40m", "action": "stop"},
        ]
    )
    store, outcome = run(s)
    dialed = query(
        store,
        "SELECT time - ? FROM events WHERE run_id = ? AND type = 'DIAL_REQUEST_DIALED'",
        s.start_ts,
        outcome.run_id,
    )
    offsets = sorted(d[0] for d in dialed)
    assert not any(130.0 < t < 1800.0 for t in offsets)  # nothing new while paused
    assert any(1800.0 <= t < 2400.0 for t in offsets)  # the buffer survived the pause
    expired = query(
        store,
        "SELECT count(*), min(time - ?) FROM events WHERE run_id = ?"
        " AND type = 'DIAL_REQUEST_EXPIRED'"
        " AND json_extract(payload, '$.reason') = 'campaign_stopped'",
        s.start_ts,
        outcome.run_id,
    )
    assert expired[0][0] > 0 and expired[0][1] == pytest.approx(2400.0)


def test_waiting_live_calls_are_abandoned_at_the_connection_threshold() -> None:
    s = small(
        mode="predictive",
        predictive={"connection_threshold": "2s", "target_abandonment": 0.2},
    )
    store, outcome = run(s)
    waits = query(
        store,
        "SELECT disconnect_timestamp - enqueue_timestamp FROM contacts"
        " WHERE run_id = ? AND outcome = 'ABANDONED'",
        outcome.run_id,
    )
    assert waits, "a 20% target must produce some abandonment"
    assert max(w[0] for w in waits) <= 2.0 + 1e-9


def test_a_redial_falling_after_the_horizon_does_not_keep_the_run_going() -> None:
    """Regression: the last call in progress at the horizon ended in a redial; the run
    used to step on until something unrelated (an expiry days later) woke it."""
    s = parse_scenario(
        {
            "start": "2026-03-02T09:00:00+00:00",
            "horizon": "10m",
            "instance": {"queues": ["q"]},
            "agent_groups": [
                {
                    "name": "g",
                    "queue": "q",
                    "staffing": [{"start": "00:00", "end": "00:00", "agents": 1}],
                }
            ],
            "campaigns": [
                {
                    "id": "c",
                    "queue": "q",
                    "redial": {"max_attempts": 3, "delay": "1m", "on": ["NO_ANSWER"]},
                    "sources": [
                        {
                            "kind": "schedule",
                            "batches": [{"at": "590s", "count": 1}],
                            "expires_after": "7d",
                        }
                    ],
                }
            ],
            "outcomes": {
                "live_answer": 0,
                "voicemail": 0,
                "no_answer": 1,
                "busy": 0,
                "invalid_number": 0,
            },
        }
    )
    _, outcome = run(s)
    assert outcome.sim_end - outcome.sim_start == pytest.approx(620.0)  # 590 s + 30 s ring
    assert outcome.pending_at_end == 1


@pytest.mark.parametrize(
    ("start_point", "threshold_from_answer"),
    [("CONNECTED_TO_SYSTEM", 2.0), ("GREETING_START", 3.0), ("GREETING_END", 5.0)],
)
def test_the_connection_threshold_counts_from_its_start_point(
    start_point: str, threshold_from_answer: float
) -> None:
    """Greeting starts 1 s after the answer and lasts 2 s; the threshold is 2 s."""
    s = apply_overrides(
        small(
            mode="predictive",
            predictive={
                "connection_threshold": "2s",
                "pacing": "immediate",
                "connection_start_point": start_point,
            },
        ),
        {
            "durations.greeting_start": "1s",
            "durations.greeting": "2s",
            "durations.patience": "1h",
        },
    )
    store, outcome = run(s)
    waits = [
        w
        for (w,) in query(
            store,
            "SELECT disconnect_timestamp - connected_to_system_timestamp FROM contacts"
            " WHERE run_id = ? AND outcome = 'ABANDONED'",
            outcome.run_id,
        )
    ]
    assert len(waits) >= 20, "an unpaced dialer with 5 agents must abandon calls"
    assert waits == pytest.approx([threshold_from_answer] * len(waits), abs=1e-6)


def test_campaigns_created_through_the_api_dial_with_their_own_settings() -> None:
    """A v2 predictive campaign's pacing strategy reaches the engine's dialer."""
    from sim.connect import OutboundCore
    from sim.engine.wire import config_from_api
    from tests.connect.conftest import T0, make_core, v2_create

    core, _ = make_core()
    assert isinstance(core, OutboundCore)
    request = v2_create("predictive", ringTimeout=20)
    request["channelSubtypeConfig"]["telephony"]["outboundMode"]["predictive"]["pacingStrategies"][
        0
    ]["abandonmentRate"]["targetRate"] = 0.05
    config = config_from_api(core.campaign(core.create_campaign(request, api="v2", now=T0)))
    assert config.ring_timeout == 20.0
    predictive = config.predictive
    assert predictive.target_abandonment == 0.05
    assert predictive.connection_start_point == "GREETING_END"
    assert (predictive.connection_threshold, predictive.evaluation_window) == (2.0, 86400.0)


def _redialing_predictive(gap: str | None, redial_on: list[str]) -> Scenario:
    overrides: dict[str, Any] = {
        "campaigns[0].redial": {"max_attempts": 3, "delay": "10m", "on": redial_on},
    }
    if gap is not None:
        overrides["abandonment_rule.abandoned_redial_gap"] = gap
    return apply_overrides(small(mode="predictive", predictive={"pacing": "immediate"}), overrides)


def _early_redials_by_hand(store: Store, run_id: int, gap: float) -> int:
    """Later calls to a number within ``gap`` of an abandoned call to it."""
    rows = query(
        store,
        "SELECT count(*) FROM contacts later WHERE later.run_id = ? AND EXISTS ("
        " SELECT 1 FROM contacts ab WHERE ab.run_id = later.run_id"
        " AND ab.customer_endpoint = later.customer_endpoint AND ab.outcome = 'ABANDONED'"
        " AND ab.disconnect_timestamp <= later.initiation_timestamp"
        " AND ab.disconnect_timestamp > later.initiation_timestamp - ?)",
        run_id,
        gap,
    )
    return int(rows[0][0])


def test_redials_of_abandoned_numbers_inside_the_uk_gap_are_counted() -> None:
    from sim.analysis.summary import run_summary

    store, outcome = run(_redialing_predictive("72h", ["ABANDONED"]))
    summary = run_summary(store, outcome.run_id)
    assert summary.abandoned_redial_gap_s == 72 * 3600.0
    expected = _early_redials_by_hand(store, outcome.run_id, 72 * 3600.0)
    assert expected > 0, "redialing abandoned calls after 10 minutes must break a 72h gap"
    assert summary.abandoned_redialed_early == expected
    assert summary.per_campaign["c"]["abandoned_redialed_early"] == expected


def test_no_early_redials_without_redialing_abandoned_calls_or_without_the_rule() -> None:
    from sim.analysis.summary import run_summary

    store, outcome = run(_redialing_predictive("72h", ["NO_ANSWER"]))
    assert run_summary(store, outcome.run_id).abandoned_redialed_early == 0
    store, outcome = run(_redialing_predictive(None, ["ABANDONED"]))
    summary = run_summary(store, outcome.run_id)
    assert summary.abandoned_redialed_early is None and summary.abandoned_redial_gap_s is None


def test_progressive_redials_have_an_agent_and_do_not_count() -> None:
    from sim.analysis.redials import early_redials

    store, outcome = run(_redialing_predictive("72h", ["ABANDONED"]))
    scenario = {"campaigns": [{"id": "c", "mode": "progressive"}]}
    with store.engine.connect() as conn:
        assert early_redials(conn, outcome.run_id, 72 * 3600.0, scenario) == {"*": 0}
