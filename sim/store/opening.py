"""Opening a store: what a URL names, whether it holds a sim store, and its engine.

A sim store is recognised by its ``store_meta`` table (``format`` =
``sim-store``, ``schema_version``) and the tables and columns of
``sim.store.schema``; a database with those tables and columns but no
``store_meta`` is a store of layout 1 (before the marker). Anything else is
refused with a message naming what the database holds.

Reading (``read_only=True``) never writes: a SQLite file is opened through a
``mode=ro`` URI, PostgreSQL and MySQL sessions are set read-only, and
nothing is created. Writing creates the tables in an empty database (a new
or 0-byte file, or a database with no tables) inside one exclusive
transaction (SQLite ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock), so
several processes creating one new store at once all succeed, and upgrades
a layout-1 store in place. A database that is not a sim store is never
written to: its file stays byte-identical.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from sim.store.schema import SCHEMA_VERSION, STORE_FORMAT, metadata, runs, store_meta, widen_columns
from sim.store.sharedfolder import cannot_make_index, folder_refusal, read_only_mount


class StoreError(Exception):
    """A store request that cannot be met; the message says why and what exists."""


SQLITE_HEADER = b"SQLite format 3\x00"
_DATA_TABLES = tuple(name for name in metadata.tables if name != store_meta.name)
# Serialises schema creation across sessions of one PostgreSQL database ("simstore").
_PG_LOCK_KEY = 0x73696D73746F7265
_BUSY_MS = 60_000

# DBAPI module -> what to pip install for it.
_DRIVER_PACKAGES = {
    "psycopg2": "psycopg2-binary",
    "psycopg": "'psycopg[binary]'",
    "pg8000": "pg8000",
    "asyncpg": "asyncpg",
    "MySQLdb": "mysqlclient",
    "pymysql": "PyMySQL",
    "mysql": "mysql-connector-python",
    "mariadb": "mariadb",
    "pyodbc": "pyodbc",
    "pymssql": "pymssql",
    "oracledb": "oracledb",
    "cx_Oracle": "cx_Oracle",
}
_KINDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB"}


@dataclass(frozen=True)
class Target:
    """What a store URL names: the SQLAlchemy URL, a name for messages, and the
    SQLite file (None for a server database or an in-memory one)."""

    url: str
    name: str
    path: Path | None

    @property
    def memory(self) -> bool:
        return self.path is None and self.url.startswith("sqlite")


def resolve(url: str | Path) -> Target:
    """The target of ``url``; a bare path means a SQLite file."""
    text_ = str(url)
    if isinstance(url, Path) or "://" not in text_:
        if text_ in ("", ":memory:"):
            return Target("sqlite://", ":memory:", None)
        path = Path(text_).expanduser()
        # Built, not formatted: a '?', '#' or '%' in the path is escaped.
        url_ = URL.create("sqlite", database=str(path)).render_as_string()
        return Target(url_, text_, path)
    try:
        parsed = make_url(text_)
    except (ArgumentError, ValueError) as error:
        raise StoreError(f"{text_}: not a database URL ({error})") from error
    if parsed.drivername.startswith("sqlite"):
        database = parsed.database
        if not database or database == ":memory:":
            return Target(text_, ":memory:", None)
        return Target(text_, database, Path(database).expanduser())
    if parsed.drivername in ("postgresql", "postgres"):
        # psycopg 3 is the PostgreSQL driver sim installs (psycopg2 is not a dependency).
        parsed = parsed.set(drivername="postgresql+psycopg")
        text_ = parsed.render_as_string(hide_password=False)
    return Target(text_, parsed.render_as_string(hide_password=True), None)


def _kind(dialect: str) -> str:
    return _KINDS.get(dialect, dialect)


def _head(head: bytes) -> str:
    """What the first bytes of a file look like, for a message."""
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError:
        decoded = ""
    if decoded and "\x00" not in decoded:
        first = decoded.splitlines()[0] if decoded.strip() else decoded
        return f"a text file starting {first[:40]!r}"
    return f"a binary file starting {head[:8].hex(' ')}"


def file_state(target: Target, *, read_only: bool = True) -> str:
    """ "absent", "empty" (0 bytes), "sqlite", or "immutable" (a WAL store in
    a folder this process cannot write, to read: see ``_unwritable_folder``);
    StoreError for anything else.

    The file is looked at through SQLite, never through ``open()``: closing any
    descriptor of a file drops every POSIX lock this process holds on it, so
    a plain read of a store that another connection of this process is
    writing (a Dask worker runs several runs) would let other processes in
    mid-transaction. Only a file SQLite refuses is read, for the message.
    """
    path = target.path
    assert path is not None
    try:
        if path.is_dir():
            raise StoreError(f"{target.name}: a directory, not a database file")
        if not path.exists():
            return "absent"
        if path.stat().st_size == 0:
            return "empty"
    except OSError as error:
        raise StoreError(f"{target.name}: cannot read ({error.strerror or error})") from error
    uri = "file:" + quote(str(path.resolve())) + "?mode=ro"
    sidecars = [path.with_name(path.name + end) for end in ("-wal", "-shm")]
    before = [side.exists() for side in sidecars]
    try:
        _probe(uri)
    except sqlite3.DatabaseError as error:
        _remove_new_sidecars(sidecars, before)
        if cannot_make_index(error, sidecars[0]):
            return _unwritable_folder(target, uri, read_only)
        if "not a database" not in str(error):
            why = read_only_mount(target.name, path.parent, error, read_only)
            raise StoreError(why or f"{target.name}: cannot read ({error})") from error
        try:  # not SQLite: no connection of ours can hold a lock on it
            with path.open("rb") as handle:
                head = handle.read(100)
        except OSError as oserror:
            raise StoreError(f"{target.name}: cannot read ({oserror})") from oserror
        raise StoreError(
            f"{target.name}: not a SQLite database ({_head(head)}), not a sim store"
        ) from None
    return "sqlite"


def _unwritable_folder(target: Target, uri: str, read_only: bool) -> str:
    """ "immutable", or StoreError naming the folder (``sim.store.sharedfolder``)."""
    assert target.path is not None
    why = folder_refusal(target.name, target.path.parent, read_only)
    if why is not None:
        raise StoreError(why)
    try:
        _probe(uri + "&immutable=1")
    except sqlite3.DatabaseError as error:
        raise StoreError(f"{target.name}: cannot read ({error})") from error
    return "immutable"


def _probe(uri: str) -> None:
    probe = sqlite3.connect(uri, uri=True, timeout=_BUSY_MS / 1000)
    try:
        probe.execute("PRAGMA schema_version").fetchone()
    finally:
        probe.close()


def _remove_new_sidecars(sidecars: list[Path], before: list[bool]) -> None:
    """Remove the -wal / -shm files SQLite made opening a file in WAL mode that
    it then refused (a truncated store): reading leaves the folder as it was.
    Only files that were not there, and an empty log: nothing can be lost."""
    wal, shm = sidecars
    if before[0] or not wal.exists() or wal.stat().st_size:
        return
    with contextlib.suppress(OSError):
        wal.unlink()
        if not before[1]:
            shm.unlink()


# -- engines --------------------------------------------------------------------


def _driver_error(target: Target, error: ImportError | NoSuchModuleError) -> NoReturn:
    if isinstance(error, NoSuchModuleError):
        scheme = target.url.split("://", 1)[0]
        raise StoreError(
            f"{target.name}: unknown database kind {scheme!r} (no SQLAlchemy dialect)"
        ) from error
    module = (error.name or "").split(".")[0] or "the driver"
    package = _DRIVER_PACKAGES.get(module, module)
    raise StoreError(
        f"{target.name}: the database driver {module!r} is not installed; "
        f"install it with: pip install {package}"
    ) from error


def _sqlite_write_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # busy_timeout first, so nothing after it fails on a lock another process
    # holds; NORMAL sync is durable across application crashes (WAL is set
    # once, in the file, by ``create_or_check``).
    cur = dbapi_conn.cursor()
    for pragma in (
        f"PRAGMA busy_timeout={_BUSY_MS}",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA foreign_keys=ON",
    ):
        cur.execute(pragma)
    cur.close()


def _read_only_session(dialect: str) -> Any:
    statement = {
        "postgresql": "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
        "mysql": "SET SESSION TRANSACTION READ ONLY",
        "mariadb": "SET SESSION TRANSACTION READ ONLY",
    }.get(dialect)

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        if statement is not None:
            cur = dbapi_conn.cursor()
            cur.execute(statement)
            cur.close()
            dbapi_conn.commit()

    return on_connect


def make_engine(target: Target, *, read_only: bool, immutable: bool = False) -> Engine:
    """An engine on ``target``: read-only (no write is possible) or for writing;
    ``immutable``: a SQLite file read without locks (see ``file_state``)."""
    kwargs: dict[str, Any] = {}
    url: str | URL = target.url
    if target.memory:
        # One shared connection, or every checkout would see an empty database.
        kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    elif target.path is not None:
        kwargs = {"connect_args": {"timeout": _BUSY_MS / 1000}}
        if read_only:
            database = "file:" + quote(str(target.path.resolve()))
            query = {"mode": "ro", "uri": "true"} | ({"immutable": "1"} if immutable else {})
            url = URL.create("sqlite", database=database, query=query)
    try:
        engine = create_engine(url, **kwargs)
    except (ImportError, NoSuchModuleError) as error:
        _driver_error(target, error)
    except ArgumentError as error:
        raise StoreError(f"{target.name}: not a usable database URL ({error})") from error
    dialect = engine.dialect.name
    if dialect == "sqlite" and not read_only:
        event.listen(engine, "connect", _sqlite_write_pragmas)
    elif read_only:
        event.listen(engine, "connect", _read_only_session(dialect))
    convert_errors(engine, target.name)
    return engine


def convert_errors(engine: Engine, name: str) -> None:
    """Make every database error on ``engine`` a StoreError naming the store."""

    def handle(context: Any) -> None:
        error = context.original_exception
        if isinstance(error, StoreError) or isinstance(
            context.sqlalchemy_exception, IntegrityError
        ):
            return  # a constraint its caller names: a duplicate event, run or task
        detail = getattr(context.sqlalchemy_exception, "orig", None) or error
        raise StoreError(f"{name}: database error: {detail}") from context.sqlalchemy_exception

    event.listen(engine, "handle_error", handle)


# -- recognition ----------------------------------------------------------------


@dataclass
class Layout:
    """What a database holds: "empty" (no tables), "store" (a sim store of
    ``version``), or "foreign" (``problem`` says why it is not a store)."""

    kind: str
    tables: list[str] = field(default_factory=list)
    version: int | None = None
    problem: str = ""
    run_columns: set[str] = field(default_factory=set)


def _columns(conn: Connection, table: str) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns(table)}


def _meta(conn: Connection) -> dict[str, str]:
    rows = conn.execute(select(store_meta.c.key, store_meta.c.value)).all()
    return {str(k): str(v) for k, v in rows}


def inspect_layout(conn: Connection) -> Layout:
    """Classify the database ``conn`` is on (reads only)."""
    tables = sorted(inspect(conn).get_table_names())
    if not tables:
        return Layout("empty")
    version = 1
    if store_meta.name in tables:
        if _columns(conn, store_meta.name) != {"key", "value"}:
            return Layout("foreign", tables, problem="its table store_meta is another program's")
        meta = _meta(conn)
        if meta.get("format") != STORE_FORMAT:
            return Layout("foreign", tables, problem="its store_meta names no sim store format")
        try:
            version = int(meta.get("schema_version", ""))
        except ValueError:
            return Layout("foreign", tables, problem="its store_meta has no schema_version")
        if version > SCHEMA_VERSION:
            return Layout(
                "foreign",
                tables,
                version,
                f"a sim store of layout {version}, newer than this sim reads "
                f"({SCHEMA_VERSION}): upgrade sim",
            )
    missing = [t for t in _DATA_TABLES if t not in tables]
    if missing:
        return Layout(
            "foreign", tables, problem=f"it has tables {', '.join(tables)} and no {_names(missing)}"
        )
    return _check_columns(conn, tables, version)


# Columns layout 1 (before ``store_meta``) lacked: what tells it from a foreign
# database that has our table names.
_NEW_IN_2 = {
    "runs": ("proc_start", "heartbeat_at"),
    "contacts": ("created_timestamp", "threshold_timestamp", "live_person", "abandoned"),
}
OLD_LAYOUT = (
    "a sim store of layout 1, written by an earlier sim (contacts created at their dial,"
    " an older event vocabulary), which this sim neither reads nor extends: record its"
    " scenarios again into a new store"
)


def _names(missing: list[str]) -> str:
    return ("table " if len(missing) == 1 else "tables ") + ", ".join(missing)


def _check_columns(conn: Connection, tables: list[str], version: int) -> Layout:
    lacking: list[str] = []
    run_columns: set[str] = set()
    for name in _DATA_TABLES:
        have = _columns(conn, name)
        if name == runs.name:
            run_columns = have
        optional = _NEW_IN_2.get(name, ()) if version == 1 else ()
        gone = [c.name for c in metadata.tables[name].columns if c.name not in have]
        gone = [c for c in gone if c not in optional]
        if gone:
            lacking.append(f"table {name} has no column {', '.join(gone)}")
    if lacking:
        what = "a damaged sim store" if version > 1 else "not a sim store"
        return Layout("foreign", tables, version, f"{what}: " + "; ".join(lacking))
    if version == 1:
        return Layout("foreign", tables, 1, OLD_LAYOUT)
    return Layout("store", tables, version, run_columns=run_columns)


def refusal(target: Target, dialect: str, layout: Layout) -> StoreError:
    """The error for a database that is not a sim store (or an empty one, to read)."""
    kind = _kind(dialect)
    if layout.kind == "empty":
        return StoreError(f"{target.name}: a {kind} database with no tables, not a sim store")
    if layout.problem.startswith(("a sim store", "a damaged", "not a sim")):
        return StoreError(f"{target.name}: a {kind} database, {layout.problem}")
    return StoreError(f"{target.name}: a {kind} database, but not a sim store: {layout.problem}")


def read_layout(engine: Engine, target: Target) -> Layout:
    """The layout of a store opened to read; StoreError unless it is a sim store."""
    with engine.connect() as conn:
        layout = inspect_layout(conn)
    if layout.kind != "store":
        raise refusal(target, engine.dialect.name, layout)
    return layout


def create_or_check(engine: Engine, target: Target) -> Layout:
    """Make ``engine``'s database a sim store of this layout, or refuse it.

    An empty database gets every table; the check and the creation run in
    one exclusive transaction, so concurrent
    openers of one new store wait for each other and all succeed.
    """
    dialect = engine.dialect.name
    with engine.connect() as conn:
        if dialect == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        layout = inspect_layout(conn)
        if layout.kind == "foreign":
            raise refusal(target, dialect, layout)
        if layout.kind == "empty":
            metadata.create_all(conn)
            _write_marker(conn)
        elif dialect == "postgresql":
            widen_columns(conn)  # a store of an earlier sim (sim.store.schema)
        conn.commit()
    if dialect == "sqlite" and not target.memory:
        _wal_mode(engine, target)
    if layout.kind == "empty":
        with engine.connect() as conn:
            layout = inspect_layout(conn)
    return layout


def _wal_mode(engine: Engine, target: Target) -> None:
    """Put the SQLite file in WAL mode (a setting of the file, made once).

    SQLite does not wait on a lock to change the journal mode (no busy
    handler there), so concurrent openers of a new store retry until one
    has switched it, within the busy timeout.
    """
    deadline = time.monotonic() + _BUSY_MS / 1000
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        while True:
            try:
                # Answers the mode it is in: "wal", or what the file system allows.
                raw.execute("PRAGMA journal_mode=WAL").fetchone()
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise StoreError(f"{target.name}: cannot set WAL mode ({error})") from error
            time.sleep(0.01)


def _write_marker(conn: Connection) -> None:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    conn.execute(
        store_meta.insert(),
        [
            {"key": "format", "value": STORE_FORMAT},
            {"key": "schema_version", "value": str(SCHEMA_VERSION)},
            {"key": "created_at", "value": now},
        ],
    )


def open_engine(target: Target, *, read_only: bool) -> tuple[Engine, Layout]:
    """The engine and layout of the store ``target`` names (see the module doc)."""
    state = "server"
    if target.path is not None:
        state = file_state(target, read_only=read_only)
        if read_only and state == "absent":
            raise StoreError(f"{target.name}: no such database file")
        if read_only and state == "empty":
            raise StoreError(f"{target.name}: an empty file, not a sim store")
        if not read_only and state == "absent":
            try:
                target.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(f"{target.name}: cannot create ({error})") from error
    elif read_only and target.memory:
        raise StoreError(f"{target.name}: an in-memory database holds no store to read")
    engine = make_engine(target, read_only=read_only, immutable=state == "immutable")
    try:
        layout = read_layout(engine, target) if read_only else create_or_check(engine, target)
    except SQLAlchemyError as error:  # raised before the error listener could see it
        engine.dispose()
        raise StoreError(f"{target.name}: cannot open as a sim store ({error})") from error
    except BaseException:
        engine.dispose()
        raise
    return engine, layout
