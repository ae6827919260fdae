"""Run summary figures on a hand-built run (tests/store/factories.sample_run)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sim.analysis.summary import run_summary
from sim.analysis.table import format_table
from sim.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from store.conftest import write_run
from store.factories import SAMPLE_END, START, sample_run


@pytest.fixture
def summary_store(tmp_path: Path) -> Store:
    return Store(tmp_path / "s.db")


def test_summary_of_the_sample_run(summary_store: Store) -> None:
    run_id = write_run(summary_store, sample_run().events)
    s = run_summary(summary_store, run_id)
    d = s.as_dict()
    assert {
        k: d[k]
        for k in (
            "run_id",
            "status",
            "seed",
            "dial_requests_received",
            "dial_requests_accepted",
            "dial_requests_rejected",
            "dial_requests_expired",
            "dial_requests_failed",
            "contacts_created",
            "dials",
            "live_answers",
            "voicemail",
            "no_answer",
            "busy_or_invalid",
            "connected_to_agent",
            "abandoned",
            "abandonment_rate",
            "abandoned_connect",
            "abandonment_rate_connect",
            "amd_hangups",
            "expired_contacts",
            "batch_put_contact_calls",
            "batch_put_contact_throttled",
            "batch_put_contact_retries",
            "sim_duration_s",
            "runtime_s",
        )
    } == {
        "run_id": run_id,
        "status": "completed",
        "seed": 7,
        "dial_requests_received": 9,  # r3's redial is a new request
        "dial_requests_accepted": 8,
        "dial_requests_rejected": 1,
        "dial_requests_expired": 1,
        "dial_requests_failed": 1,
        "contacts_created": 7,  # r7's contact too, created then expired undialed
        "dials": 6,
        "live_answers": 3,
        "voicemail": 1,
        "no_answer": 1,
        "busy_or_invalid": 1,
        "connected_to_agent": 1,
        # The regulator's view: r2 waited past the threshold and r5, a person, was
        # hung up on by AMD: 2 of the 3 people who answered (r1, r2, r5).
        "abandoned": 2,
        "abandonment_rate": 2 / 3,
        # Connect's view counts only HUMAN_ANSWERED contacts: r2 of r1, r2.
        "abandoned_connect": 1,
        "abandonment_rate_connect": 0.5,
        "amd_hangups": 1,
        "expired_contacts": 1,
        "batch_put_contact_calls": 2,
        "batch_put_contact_throttled": 1,
        "batch_put_contact_retries": 1,
        "sim_duration_s": 3600.0,
        "runtime_s": 1.5,
    }
    assert s.agent_occupancy == pytest.approx(150.0 / 2400.0)
    assert s.agent_utilisation == pytest.approx(150.0 / 2400.0)  # no reserved time here
    assert s.wait_to_dial_mean_s == pytest.approx(5.0)  # every request waits 5 s
    assert s.wait_to_dial_p90_s == pytest.approx(5.0)
    assert s.creation_to_dial_mean_s == pytest.approx(4.0)  # created 1 s after acceptance
    assert s.creation_to_dial_p90_s == pytest.approx(4.0)
    last_dial = 670.0  # r3's redial: accepted 600 s after its first attempt ended at 65 s
    assert s.dials_per_hour == pytest.approx(6 / (last_dial / 3600))
    assert s.list_completion_s == pytest.approx(1000.0)  # r7 expired last
    c1, c2 = s.per_campaign["c1"], s.per_campaign["c2"]
    assert (c1["dials"], c1["live_answers"], c1["abandoned"], c1["abandonment_rate"]) == (
        4,
        2,
        1,
        0.5,
    )
    assert (c2["dial_requests_received"], c2["dial_requests_expired"], c2["dials"]) == (5, 1, 2)
    assert c2["abandonment_rate"] == 1.0 and c2["amd_hangups"] == 1  # r5, hung up on by AMD
    assert c2["abandonment_rate_connect"] is None  # no contact Connect saw live
    assert s.amd_statuses == {
        "AMD_NOT_APPLICABLE": 1,
        "AMD_UNANSWERED": 1,
        "HUMAN_ANSWERED": 2,
        "SIT_TONE_BUSY": 1,
        "VOICEMAIL_BEEP": 1,
        "VOICEMAIL_NO_BEEP": 1,
    }
    assert s.sim_duration_s == SAMPLE_END - START


def test_format_table_is_aligned_and_complete(summary_store: Store) -> None:
    write_run(summary_store, sample_run().events)
    text = format_table(run_summary(summary_store))  # latest run
    lines = text.splitlines()
    assert "abandonment_rate" in text and "50.00 %" in text
    top = lines[: lines.index("")]
    assert len({len(line) for line in top}) == 1  # one aligned block
    assert any(line.startswith("c1 ") for line in lines)
