"""Schema: tables and columns exist; the raw INSERT follows each dialect's paramstyle."""

from __future__ import annotations

import pytest
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


def test_analysis_type_queries_use_the_partial_type_index(store: Store) -> None:
    """The index holds only the dial-request and BatchPutContact events (a third of
    the log): the queries by type must still be served by it, not by a scan."""
    from sqlalchemy import func, select

    from sim.store.schema import INDEXED_TYPES, events_of_types

    postgres = store.engine.dialect.name == "postgresql"

    def plan(query: object) -> str:
        sql = str(
            query.compile(  # type: ignore[attr-defined]
                dialect=store.engine.dialect, compile_kwargs={"literal_binds": True}
            )
        )
        with store.engine.connect() as conn:
            if postgres:  # an empty table: tell the planner an index is worth it if usable
                conn.exec_driver_sql("SET enable_seqscan = off")
                rows = conn.exec_driver_sql("EXPLAIN " + sql).all()
            else:
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql).all()
        return " ".join(str(r[-1]) for r in rows)

    one = select(func.count()).where(events.c.run_id == 1, events_of_types("DIAL_REQUEST_DIALED"))
    some = select(func.max(events.c.time)).where(
        events.c.run_id == 1, events_of_types(*INDEXED_TYPES[:3])
    )
    assert "ix_events_run_type" in plan(one)
    assert "ix_events_run_type" in plan(some)
    if not postgres:
        # SQLite does not serve IN (...) from the partial index: why events_of_types
        # ORs terms (PostgreSQL proves the implication either way).
        scan = select(func.count()).where(
            events.c.run_id == 1, events.c.type.in_(INDEXED_TYPES[:2])
        )
        assert "ix_events_run_type" not in plan(scan)
    with pytest.raises(ValueError, match="not indexed"):
        events_of_types("STATE_CHANGE")
