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
    Boolean,
    Column,
    Connection,
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
    literal,
    literal_column,
    or_,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement

from sim.domain import EventType

metadata = MetaData()

# The layout version a store records in ``store_meta`` (docs/store.md). 1 was
# the layout before the marker (no ``store_meta``): contacts created at their
# dial and an older event vocabulary, so its runs are neither read nor extended.
SCHEMA_VERSION = 2
STORE_FORMAT = "sim-store"

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
    Column("status", String(16), nullable=False),  # running | completed | failed | interrupted
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
    # The owner process, so a killed run can be told from a live one: host,
    # pid, and the process's start ("<boot id>:<start ticks>" on Linux), which
    # tells a reused pid or a reboot from the owner still running.
    Column("host", String(255)),
    Column("pid", Integer),
    Column("proc_start", String(80)),
    Column("heartbeat_at", String(40)),  # wall clock of the last committed chunk
    sqlite_autoincrement=True,  # never reuse the id of a deleted run
)

# What makes a database a sim store: this table, with a "format" row equal to
# STORE_FORMAT and a "schema_version" row (see sim.store.opening).
store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)

# Exactly one completed run per task of a sweep (sweep, point, replication):
# a task run twice (a worker died, or was taken for dead, and Dask ran it
# again) can never leave two completed runs; see ``sim.store.tasks``.
_completed_task = (
    (runs.c.status == literal_column("'completed'"))
    & runs.c.sweep.is_not(None)
    & runs.c.replication.is_not(None)
)
Index(
    "uq_runs_completed_task",
    runs.c.sweep,
    runs.c.point,
    runs.c.replication,
    unique=True,
    sqlite_where=_completed_task,
    postgresql_where=_completed_task,
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
)

# Event types the analysis looks up by type: the dial-request lifecycle and
# the BatchPutContact calls, about 3 of every 11 events. Only they get an
# entry in the (partial) type index, which then costs the writer a third of
# a full one. A query uses it when it names its types as ``type = '...'``
# terms, alone or OR-ed (``events_of_types``); ``type IN (...)`` scans.
INDEXED_TYPES: tuple[str, ...] = tuple(
    t.value
    for t in (
        EventType.DIAL_REQUEST_ACCEPTED,
        EventType.DIAL_REQUEST_REJECTED,
        EventType.DIAL_REQUEST_DIALED,
        EventType.DIAL_REQUEST_RETRY_SCHEDULED,
        EventType.DIAL_REQUEST_EXPIRED,
        EventType.DIAL_REQUEST_FAILED,
        EventType.DIAL_REQUEST_COMPLETED,
        EventType.BATCH_PUT_CONTACT_CALLED,
    )
)


def events_of_types(*types: str) -> ColumnElement[bool]:
    """``events.type`` is one of ``types`` (indexed ``EventType`` members), as the index
    can serve it."""
    missing = set(types) - set(INDEXED_TYPES)
    if missing or not types:
        raise ValueError(f"not indexed event types: {sorted(missing)}")
    return or_(*(events.c.type == literal(str(t), String) for t in types))


_indexed = or_(*(events.c.type == literal_column(f"'{t}'") for t in INDEXED_TYPES))
Index(
    "ix_events_run_type",
    events.c.run_id,
    events.c.type,
    sqlite_where=_indexed,
    postgresql_where=_indexed,
)

contacts = Table(
    "contacts",
    metadata,
    _run_fk(),
    Column("contact_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),  # emission order of the projector (replay order)
    Column("campaign_id", String(200)),
    # A dial request's UUID, or BatchPutContact's RequestIdentifier (the model: up to 80).
    Column("dial_request_id", String(80)),
    Column("attempt", Integer),
    Column("instance_id", String(200)),
    Column("queue_id", String(200)),
    Column("agent_id", String(200)),
    Column("customer_endpoint", String(64)),
    Column("system_endpoint", String(64)),
    # INITIATED: BatchPutContact created the contact (at ingestion).
    Column("created_timestamp", Double),
    # As in Connect's contact record: the creation, re-stamped when the call starts.
    Column("initiation_timestamp", Double),
    Column("ring_start_timestamp", Double),
    Column("connected_to_system_timestamp", Double),
    Column("enqueue_timestamp", Double),
    # Past it, a contact not connected to an agent counts as abandoned.
    Column("threshold_timestamp", Double),
    Column("connected_to_agent_timestamp", Double),
    Column("disconnect_timestamp", Double),
    Column("after_contact_work_start_timestamp", Double),
    Column("after_contact_work_end_timestamp", Double),
    Column("after_contact_work_duration", Double),
    Column("disconnect_reason", String(64)),
    Column("answering_machine_detection_status", String(64)),
    Column("outcome", String(32)),
    Column("live_person", Boolean),  # who answered (the truth AMD guesses at); null: nobody
    # Not connected to an agent within the threshold (hung up, dropped, or connected late).
    Column("abandoned", Boolean),
    Column("queue_wait_s", Double),
    Column("talk_s", Double),
    # Keyed by emission order, so rows append at the end of one B-tree. A key
    # on the random ContactId would land every insert on a random page: at a
    # million contacts that doubled the cost of writing the table. ContactIds
    # are unique by construction (each is a new stream of the unique log).
    PrimaryKeyConstraint("run_id", "seq"),
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
    # Keyed by emission order, so rows append at the end of one B-tree. The
    # natural key (agent_id, version) is unique by construction: each
    # STATE_CHANGE (unique per agent stream and version in ``events``) opens
    # at most one span.
    PrimaryKeyConstraint("run_id", "seq"),
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


def insert_sql(table: Table, dialect: Dialect, run_id: int | None = None) -> str:
    """A positional INSERT of every column of ``table`` for raw DBAPI ``executemany``.

    Built per dialect (identifier quoting, paramstyle) so the fast path still
    works beyond SQLite. ``events.position`` is left to the database. With
    ``run_id`` the ``run_id`` column is that constant, written into the
    statement, and rows bind the other columns only.
    """
    cols = [c for c in table.columns if not (c.primary_key and c.autoincrement is True)]
    quote = dialect.identifier_preparer.quote
    style = dialect.paramstyle
    n = len(cols) - (run_id is not None)
    if style == "qmark":
        marks = ["?"] * n
    elif style in ("format", "pyformat"):
        marks = ["%s"] * n
    elif style == "numeric":
        marks = [f":{i + 1}" for i in range(n)]
    else:  # named: rows must then be dicts keyed p0, p1, ...
        marks = [f":p{i}" for i in range(n)]
    if run_id is not None:
        if cols[0].name != "run_id":
            raise ValueError(f"{table.name}: run_id is not its first column")
        marks.insert(0, str(int(run_id)))
    names = ", ".join(quote(c.name) for c in cols)
    return f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join(marks)})"


def insert_columns(table: Table) -> list[str]:
    """The column names ``insert_sql`` binds, in order."""
    return [c.name for c in table.columns if not (c.primary_key and c.autoincrement is True)]


def widen_columns(conn: Connection) -> None:
    """On PostgreSQL: widen the varchar columns a store made by an earlier sim
    has narrower than this one writes (``contacts.dial_request_id`` was 64,
    now 80), or a value the model allows fails the batch's COPY and the run.
    PostgreSQL widens a varchar in its catalog alone: no row is rewritten."""
    found = conn.execute(
        text(
            "SELECT table_name, column_name, character_maximum_length"
            " FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND character_maximum_length IS NOT NULL"
        )
    ).all()
    have = {(table, column): length for table, column, length in found}
    for table in metadata.sorted_tables:
        for column in table.columns:
            length = column.type.length if isinstance(column.type, String) else None
            if length and have.get((table.name, column.name), length) < length:
                conn.exec_driver_sql(
                    f'ALTER TABLE "{table.name}" ALTER COLUMN "{column.name}"'
                    f" TYPE varchar({length})"
                )
