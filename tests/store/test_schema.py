"""Schema: tables and columns exist; the raw INSERT follows each dialect's paramstyle."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql, sqlite

from sim.store import Store
from sim.store.schema import events, insert_columns, insert_sql, interval_kpis, metadata


def test_create_all_makes_every_table_and_index(store: Store) -> None:
    insp = inspect(store.engine)
    assert set(insp.get_table_names()) >= set(metadata.tables)
    ev_cols = [c["name"] for c in insp.get_columns("events")]
    assert ev_cols == [
        "position",
        "run_id",
        "stream_no",
        "stream_id",
        "version",
        "type",
        "time",
        "payload",
    ]
    index_cols = {tuple(i["column_names"]) for i in insp.get_indexes("events")}
    assert ("run_id", "type") in index_cols
    uniques = [tuple(u["column_names"]) for u in insp.get_unique_constraints("events")]
    assert ("run_id", "stream_no", "version") in uniques
    contact_cols = {c["name"] for c in insp.get_columns("contacts")}
    assert {"dial_request_id", "after_contact_work_duration", "queue_wait_s", "talk_s"} <= (
        contact_cols
    )


def test_opening_twice_keeps_data(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "x.db"
    Store(path).begin_run(name="a", scenario={}, seed=1, version="v", sim_start=0.0)
    assert [r.name for r in Store(str(path)).runs()] == ["a"]


def test_insert_sql_per_dialect() -> None:
    lite = insert_sql(events, sqlite.dialect())
    assert lite.startswith("INSERT INTO events (run_id, stream_no, stream_id")
    assert lite.endswith("VALUES (?, ?, ?, ?, ?, ?, ?)")
    pg = insert_sql(events, postgresql.psycopg2.dialect())
    assert pg.endswith("VALUES (%s, %s, %s, %s, %s, %s, %s)")
    assert '"end"' in insert_sql(metadata.tables["agent_intervals"], postgresql.dialect())
    assert insert_columns(interval_kpis)[:3] == ["run_id", "interval_start", "campaign_id"]
