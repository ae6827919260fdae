"""Retries by outcome: a wait per outcome (redial.delays), the others ``delay``."""

from __future__ import annotations

from .conftest import base_dict, build, run


def test_each_outcome_waits_its_own_delay() -> None:
    data = base_dict(horizon=4 * 3600)
    data["campaigns"][0]["redial"] = {
        "max_attempts": 3,
        "delay": "1h",
        "delays": {"BUSY": "5m", "NO_ANSWER": "30m"},
        "on": ["BUSY", "NO_ANSWER", "VOICEMAIL"],
    }
    data["campaigns"][0]["sources"] = [{"kind": "schedule", "batches": [{"at": 0, "count": 25}]}]
    data["outcomes"] = {
        "live_answer": 0.1,
        "voicemail": 0.3,
        "no_answer": 0.3,
        "busy": 0.3,
        "invalid_number": 0.0,
    }
    ran = run(build(data))
    waits = {"BUSY": 300.0, "NO_ANSWER": 1800.0, "VOICEMAIL": 3600.0}
    seen = set()
    for e in ran.events():
        if e.type == "DIAL_REQUEST_RETRY_SCHEDULED":
            assert e.payload["retry_at"] - e.time == waits[e.payload["outcome"]]
            seen.add(e.payload["outcome"])
    assert seen == set(waits)
