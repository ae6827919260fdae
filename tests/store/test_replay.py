"""Replay rebuilds the projections from the log alone and spots any change."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from sim.store import Store, StoreError, replay
from sim.store.schema import agent_intervals, contacts, events, interval_kpis, runs

from .factories import sample_run


def test_untouched_run_replays_equal(store: Store, sample_run_id: int) -> None:
    result = replay(store, sample_run_id)
    assert result.equal, result.differences
    assert result.counts["contacts"] == (7, 7)  # r7 expired: its contact was never dialed
    assert result.counts["agent_intervals"] == (5, 5)
    assert result.counts["events"][0] == result.counts["events"][1]


def test_tampered_contact_row_is_reported(store: Store, sample_run_id: int) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            update(contacts).where(contacts.c.contact_id == "r2-c1").values(outcome="CONNECTED")
        )
    result = replay(store, sample_run_id)
    assert not result.equal
    assert result.differences == ["contacts[r2-c1]: outcome stored='CONNECTED' rebuilt='ABANDONED'"]


def test_tampered_kpi_and_span_rows_are_reported(store: Store, sample_run_id: int) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            update(interval_kpis).where(interval_kpis.c.campaign_id == "c1").values(dials=99)
        )
        conn.execute(delete(agent_intervals).where(agent_intervals.c.state == "ON_BREAK"))
    result = replay(store, sample_run_id)
    assert not result.equal
    assert any(
        d.startswith("interval_kpis[") and "dials stored=99" in d for d in result.differences
    )
    assert "agent_intervals[a1@6]: rebuilt, not stored" in result.differences


def test_deleted_event_is_reported(store: Store, sample_run_id: int) -> None:
    with store.engine.begin() as conn:
        conn.execute(delete(events).where(events.c.stream_id == "r2-c1", events.c.type == "QUEUED"))
    result = replay(store, sample_run_id, max_differences=3)
    assert not result.equal
    assert len(result.differences) == 3 and result.difference_count > 3
    assert result.counts["events"][0] == result.counts["events"][1] + 1
    assert any("r2-c1" in d for d in result.differences)


def test_running_run_cannot_be_replayed(store: Store) -> None:
    run_id = store.begin_run(name="r", scenario={}, seed=1, version="v", sim_start=0.0)
    store.writer(run_id, 60.0)
    with pytest.raises(StoreError, match="still running"):
        replay(store, run_id)


def _killed_run(store: Store) -> int:
    """A run whose process died mid-run: some chunks committed, never closed."""
    run_id = store.begin_run(name="r", scenario={}, seed=1, version="v", sim_start=0.0)
    writer = store.writer(run_id, 900.0, chunk_size=7)
    log = sample_run().events
    for i in range(0, len(log) - 5, 3):
        writer.append(log[i : i + 3])
    with store.engine.begin() as conn:
        conn.execute(update(runs).where(runs.c.id == run_id).values(pid=2**22 + 99))
    return run_id


def test_a_killed_run_replays_equal_to_what_its_committed_events_made_final(
    store: Store,
) -> None:
    run_id = _killed_run(store)
    info = store.run(run_id)
    assert info.killed and 0 < info.events < len(sample_run().events)
    result = replay(store, run_id)
    assert result.equal and result.partial, result.differences
    assert result.counts["events"] == (info.events, info.events)
    assert result.counts["interval_kpis"] == (0, 0)  # written at close only
    stored, rebuilt = result.counts["contacts"]
    assert stored == rebuilt > 0


def test_a_tampered_killed_run_is_reported(store: Store) -> None:
    run_id = _killed_run(store)
    with store.engine.begin() as conn:
        conn.execute(update(contacts).where(contacts.c.run_id == run_id).values(talk_s=-1.0))
    result = replay(store, run_id)
    assert not result.equal and result.partial
    assert all("talk_s stored=-1.0" in d for d in result.differences)
