"""The store's tables, as SQLAlchemy Core ``Table`` objects.

``events`` is the log; ``contacts``, ``agent_intervals`` and ``interval_kpis``
are projections (folds over the log, rebuilt by ``sim replay``). Times are
simulated POSIX seconds stored as double precision, so they round-trip
exactly. Column order here is the order of the row tuples the projector
emits (after ``run_id``); ``docs/store.md`` describes every column.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect

metadata = MetaData()

# SQLite only makes INTEGER PRIMARY KEY an alias of the rowid (fast, ordered);
# elsewhere a billion-event store needs 64 bits.
_Position = BigInteger().with_variant(Integer(), "sqlite")


def _run_fk() -> Column[int]:
    return Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False)


runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("scenario", Text, nullable=False),  # JSON: the fully resolved scenario
    Column("seed", BigInteger, nullable=False),
    Column("version", String(40), nullable=False),
    Column("status", String(16), nullable=False),  # running | completed | failed
    Column("error", Text),
    Column("started_at", String(40), nullable=False),  # wall clock, ISO 8601 UTC
    Column("ended_at", String(40)),
    Column("runtime_s", Double),
    Column("sim_start", Double, nullable=False),
    Column("sim_end", Double),
    Column("events", BigInteger, nullable=False, default=0),
    Column("interval_s", Double),  # reporting interval of interval_kpis (set by the writer)
    Column("sweep", String(200)),
    Column("point", Text),  # JSON: the overrides of a sweep point
    Column("replication", Integer),
    Column("host", String(255)),  # owner process, so a killed run can be told from a live one
    Column("pid", Integer),
    sqlite_autoincrement=True,  # never reuse the id of a deleted run
)

events = Table(
    "events",
    metadata,
    Column("position", _Position, primary_key=True, autoincrement=True),
    _run_fk(),
    # stream_no numbers the run's streams in order of first appearance (1, 2, ...),
    # one-to-one with stream_id. Uniqueness is declared on it rather than on the
    # random-UUID stream_id: new keys then land at the end of the index, so a
    # million-contact run inserts its log in near-sequential order.
    Column("stream_no", Integer, nullable=False),
    Column("stream_id", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(40), nullable=False),
    Column("time", Double, nullable=False),
    Column("payload", Text, nullable=False),  # JSON object
    UniqueConstraint("run_id", "stream_no", "version", name="uq_events_stream_version"),
    Index("ix_events_run_type", "run_id", "type"),
)

contacts = Table(
    "contacts",
    metadata,
    _run_fk(),
    Column("contact_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),  # emission order of the projector (replay order)
    Column("campaign_id", String(200)),
    Column("dial_request_id", String(64)),
    Column("attempt", Integer),
    Column("instance_id", String(200)),
    Column("queue_id", String(200)),
    Column("agent_id", String(200)),
    Column("customer_endpoint", String(64)),
    Column("system_endpoint", String(64)),
    Column("initiation_timestamp", Double),
    Column("ring_start_timestamp", Double),
    Column("connected_to_system_timestamp", Double),
    Column("enqueue_timestamp", Double),
    Column("connected_to_agent_timestamp", Double),
    Column("disconnect_timestamp", Double),
    Column("after_contact_work_start_timestamp", Double),
    Column("after_contact_work_end_timestamp", Double),
    Column("after_contact_work_duration", Double),
    Column("disconnect_reason", String(64)),
    Column("answering_machine_detection_status", String(64)),
    Column("outcome", String(32)),
    Column("queue_wait_s", Double),
    Column("talk_s", Double),
    PrimaryKeyConstraint("run_id", "contact_id"),
    Index("ix_contacts_run_seq", "run_id", "seq"),
)

agent_intervals = Table(
    "agent_intervals",
    metadata,
    _run_fk(),
    Column("agent_id", String(200), nullable=False),
    Column("version", Integer, nullable=False),  # version of the STATE_CHANGE opening the span
    Column("seq", Integer, nullable=False),  # emission order of the projector (replay order)
    Column("state", String(32), nullable=False),
    Column("start", Double, nullable=False),
    Column("end", Double, nullable=False),
    Column("contact_id", String(64)),
    PrimaryKeyConstraint("run_id", "agent_id", "version"),
    Index("ix_agent_intervals_run_seq", "run_id", "seq"),
)

# Counters are per (interval, campaign); the '*' row sums every campaign and
# alone carries the agent-time columns (agents are not split by campaign).
COUNTER_COLUMNS: tuple[str, ...] = (
    "accepted",
    "rejected",
    "expired",
    "failed",
    "dials",
    "live_answers",
    "connected",
    "abandoned",
    "voicemail",
    "no_answer",
    "busy_invalid",
    "backlog",
)
AGENT_COLUMNS: tuple[str, ...] = (
    "available_s",
    "reserved_s",
    "on_contact_s",
    "acw_s",
    "break_s",
    "logged_in_s",
    "occupancy",
)
ALL_CAMPAIGNS = "*"

interval_kpis = Table(
    "interval_kpis",
    metadata,
    _run_fk(),
    Column("interval_start", Double, nullable=False),
    Column("campaign_id", String(200), nullable=False),
    *(Column(name, Integer, nullable=False) for name in COUNTER_COLUMNS),
    *(Column(name, Double) for name in AGENT_COLUMNS),
    PrimaryKeyConstraint("run_id", "interval_start", "campaign_id"),
)

PROJECTION_TABLES: tuple[Table, ...] = (contacts, agent_intervals, interval_kpis)


def insert_sql(table: Table, dialect: Dialect) -> str:
    """A positional INSERT of every column of ``table`` for raw DBAPI ``executemany``.

    Built per dialect (identifier quoting, paramstyle) so the fast path still
    works beyond SQLite. ``events.position`` is left to the database.
    """
    cols = [c for c in table.columns if not (c.primary_key and c.autoincrement is True)]
    quote = dialect.identifier_preparer.quote
    style = dialect.paramstyle
    if style == "qmark":
        marks = ["?"] * len(cols)
    elif style in ("format", "pyformat"):
        marks = ["%s"] * len(cols)
    elif style == "numeric":
        marks = [f":{i + 1}" for i in range(len(cols))]
    else:  # named: rows must then be dicts keyed p0, p1, ...
        marks = [f":p{i}" for i in range(len(cols))]
    names = ", ".join(quote(c.name) for c in cols)
    return f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join(marks)})"


def insert_columns(table: Table) -> list[str]:
    """The column names ``insert_sql`` binds, in order."""
    return [c.name for c in table.columns if not (c.primary_key and c.autoincrement is True)]
