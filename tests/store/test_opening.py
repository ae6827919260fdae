"""Opening a store: what is a sim store, what is refused, and reading never writes."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from sim.store import Store, StoreError
from sim.store.schema import SCHEMA_VERSION, runs

from .conftest import write_run
from .factories import sample_run


def snapshot(path: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime of a database file and of its -wal (when there is one)."""
    out = {}
    for suffix in ("", "-wal"):
        side = Path(str(path) + suffix)
        if side.is_file():
            out[suffix] = (side.read_bytes(), side.stat().st_mtime_ns)
    return out


def other_program_db(path: Path, tables: dict[str, str]) -> None:
    with sqlite3.connect(path) as conn:
        for name, columns in tables.items():
            conn.execute(f"CREATE TABLE {name} ({columns})")
            conn.execute(f"INSERT INTO {name} DEFAULT VALUES")
    conn.close()


def _empty(p: Path) -> None:
    p.write_bytes(b"")


def _text(p: Path) -> None:
    p.write_text("name,phone\nada,+15550100\n")


def _binary(p: Path) -> None:
    p.write_bytes(b"PK\x03\x04" + bytes(range(200)))


def _no_runs(p: Path) -> None:
    other_program_db(p, {"notes": "id INTEGER PRIMARY KEY, body TEXT"})


def _with_runs(p: Path) -> None:
    other_program_db(p, {"runs": "id INTEGER PRIMARY KEY, ok INT", "laps": "t REAL"})


def _wal_app(p: Path) -> None:
    other_program_db(p, {"runs": "id INTEGER PRIMARY KEY"})
    with sqlite3.connect(p) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.close()


def _all_tables_wrong_columns(p: Path) -> None:
    other_program_db(
        p,
        {
            "runs": "id INTEGER PRIMARY KEY",
            "events": "position INTEGER PRIMARY KEY",
            "contacts": "run_id INT",
            "agent_intervals": "run_id INT",
            "interval_kpis": "run_id INT",
        },
    )


def _foreign_marker(p: Path) -> None:
    other_program_db(p, {"store_meta": "key TEXT PRIMARY KEY, value TEXT"})
    with sqlite3.connect(p) as conn:
        conn.execute("INSERT INTO store_meta VALUES ('format', 'someone-else')")
    conn.close()


# kind -> (how to make it, what the message says after "<path>: ")
NOT_STORES: dict[str, tuple[Callable[[Path], None], str]] = {
    "empty file": (_empty, "an empty file, not a sim store"),
    "text file": (
        _text,
        "not a SQLite database (a text file starting 'name,phone'), not a sim store",
    ),
    "binary file": (_binary, "not a SQLite database (a binary file starting 50 4b 03 04"),
    "sqlite without runs": (
        _no_runs,
        "a SQLite database, but not a sim store: it has tables notes and no tables runs, "
        "events, contacts, agent_intervals, interval_kpis",
    ),
    "sqlite with runs": (
        _with_runs,
        "a SQLite database, but not a sim store: it has tables laps, runs and no tables "
        "events, contacts, agent_intervals, interval_kpis",
    ),
    "sqlite in WAL mode": (
        _wal_app,
        "a SQLite database, but not a sim store: it has tables runs and no tables events, "
        "contacts, agent_intervals, interval_kpis",
    ),
    "sqlite with our table names": (
        _all_tables_wrong_columns,
        "a SQLite database, not a sim store: table runs has no column name, scenario",
    ),
    "sqlite with another store_meta": (
        _foreign_marker,
        "a SQLite database, but not a sim store: its store_meta names no sim store format",
    ),
}


@pytest.mark.parametrize("kind", list(NOT_STORES))
def test_not_a_store_is_refused_and_left_byte_identical(kind: str, tmp_path: Path) -> None:
    make, message = NOT_STORES[kind]
    path = tmp_path / "x.db"
    make(path)
    before = snapshot(path)
    with pytest.raises(StoreError) as caught:
        Store(path, read_only=True)
    assert str(caught.value).startswith(f"{path}: {message}"), str(caught.value)
    if kind != "empty file":  # a writer may make an empty file a store; nothing else
        with pytest.raises(StoreError) as again:
            Store(path)
        assert str(again.value) == str(caught.value)
    assert snapshot(path) == before


def test_a_directory_is_refused(tmp_path: Path) -> None:
    for read_only in (True, False):
        with pytest.raises(StoreError, match=r"a directory, not a database file$"):
            Store(tmp_path, read_only=read_only)
    assert list(tmp_path.iterdir()) == []


def test_reading_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "missing.db"
    with pytest.raises(StoreError, match="no such database file"):
        Store(path, read_only=True)
    assert not path.parent.exists()


@pytest.mark.parametrize("url", ["sqlite://", ":memory:"])
def test_reading_an_in_memory_database_is_refused(url: str) -> None:
    with pytest.raises(StoreError, match="in-memory database holds no store"):
        Store(url, read_only=True)


def test_a_writer_makes_an_empty_file_or_an_empty_database_a_store(tmp_path: Path) -> None:
    empty_file, empty_db = tmp_path / "a.db", tmp_path / "b.db"
    empty_file.write_bytes(b"")
    sqlite3.connect(empty_db).execute("PRAGMA user_version=0").connection.close()
    for path in (empty_file, empty_db):
        store = Store(path)
        write_run(store, sample_run().events)
        store.dispose()
        assert Store(path, read_only=True).run(1).status == "completed"


def test_the_marker_records_the_layout(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    with store.engine.connect() as conn:
        meta = dict(conn.execute(text("SELECT key, value FROM store_meta")).all())
    assert meta["format"] == "sim-store" and meta["schema_version"] == str(SCHEMA_VERSION)


def test_a_newer_layout_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store(path).dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE store_meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()
    for read_only in (True, False):
        with pytest.raises(StoreError, match="a sim store of layout 99, newer than this sim"):
            Store(path, read_only=read_only)


def _layout_1(path: Path) -> None:
    """A store as sim wrote it before the marker: no store_meta (and older columns)."""
    store = Store(path)
    write_run(store, sample_run().events)
    store.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE store_meta")
        conn.execute("ALTER TABLE contacts DROP COLUMN live_person")
    conn.close()


def test_a_layout_1_store_is_refused_unchanged(tmp_path: Path) -> None:
    """Its runs hold an older event vocabulary: reading them as this sim's would
    report wrong figures, and adding runs would mix the two."""
    path = tmp_path / "old.db"
    _layout_1(path)
    before = snapshot(path)
    for read_only in (True, False):
        with pytest.raises(StoreError, match="a sim store of layout 1, written by an earlier"):
            Store(path, read_only=read_only)
    assert snapshot(path) == before


def test_a_read_only_store_refuses_every_write(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    write_run(Store(path), sample_run().events)
    before = snapshot(path)
    store = Store(path, read_only=True)
    with pytest.raises(StoreError, match="opened read-only"):
        store.begin_run(name="x", scenario={}, seed=1, version="v", sim_start=0.0)
    with pytest.raises(StoreError, match="opened read-only"):
        store.writer(1, 60.0)
    # Below the Store methods too: the connection itself cannot write.
    with pytest.raises(StoreError, match="readonly database"), store.engine.begin() as conn:
        conn.execute(runs.delete())
    store.dispose()
    assert snapshot(path) == before


def _missing(module: str) -> bool:
    return importlib.util.find_spec(module) is None


@pytest.mark.parametrize(
    ("url", "module", "install"),
    [
        ("postgresql+psycopg2://u:secret@localhost/x", "psycopg2", "pip install psycopg2-binary"),
        ("mysql://root@localhost/x", "MySQLdb", "pip install mysqlclient"),
        ("mysql+pymysql://root@localhost/x", "pymysql", "pip install PyMySQL"),
    ],
)
def test_a_missing_driver_names_the_install_command(url: str, module: str, install: str) -> None:
    if not _missing(module):
        pytest.skip(f"{module} is installed here")
    with pytest.raises(StoreError) as caught:
        Store(url, read_only=True)
    message = str(caught.value)
    assert f"the database driver {module!r} is not installed; install it with: {install}" in message
    assert "secret" not in message  # the password is never shown


def test_an_unknown_database_kind_and_a_bad_url_are_store_errors() -> None:
    with pytest.raises(StoreError, match="unknown database kind 'nosuchdb'"):
        Store("nosuchdb://host/x")
    with pytest.raises(StoreError, match="not a database URL"):
        Store("postgresql://host:notaport/x")


def test_run_ids_out_of_range_are_missing_runs(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    write_run(store, sample_run().events)
    for run_id in (0, -1, 2**63, 10**20, -(10**20)):
        with pytest.raises(StoreError, match=rf"no run {run_id} in .*\(runs: 1-1\)"):
            store.run(run_id)


def test_a_damaged_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = Store(path)
    write_run(store, sample_run().events)
    store.dispose()
    with sqlite3.connect(path) as conn:
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name='events'").fetchone()
        (size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * size : root * size] = b"\xff" * size  # wreck the log's root page
    path.write_bytes(bytes(data))
    reader = Store(path, read_only=True)
    with pytest.raises(StoreError, match=rf"^{path}: database error: .*malformed"):
        list(reader.iter_events(1))


def test_a_store_under_an_awkward_path_opens_read_only(tmp_path: Path) -> None:
    path = tmp_path / "runs #1 ?%20 é" / "my store?.db"
    write_run(Store(path), sample_run().events)
    before = snapshot(path)
    store = Store(str(path), read_only=True)
    assert store.run(1).status == "completed" and store.name == str(path)
    store.dispose()
    assert snapshot(path) == before


def _without_write_access() -> list[str]:
    """The command prefix that runs a process unable to write a 0555 folder."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root ignores folder permissions and setpriv is not installed")
    caps = "-dac_override,-dac_read_search,-fowner"
    return ["setpriv", "--inh-caps=-all", f"--bounding-set={caps}"]


READ = """
import sys
from sim.store import Store, StoreError
try:
    store = Store(sys.argv[1], read_only=sys.argv[2] == "read")
    print([r.status for r in store.runs()])
except StoreError as error:
    print(error)
"""


def test_a_store_in_a_read_only_folder_can_be_read(tmp_path: Path) -> None:
    """A WAL store copied to a folder the reader cannot write (a read-only
    share): SQLite cannot make the -shm index there and, asked for a
    read-only connection, refused even to read ("cannot read (attempt to
    write a readonly database)"). With no -wal file beside the store every
    commit is in the file, and when nobody can write the folder no writer
    can start, so it is read as immutable; a writer, or a reader of a folder
    others may write, is told the folder is the problem."""
    folder = tmp_path / "share"
    path = folder / "s.db"
    store = Store(path)
    write_run(store, sample_run().events)
    store.dispose()
    assert sorted(p.name for p in folder.iterdir()) == ["s.db"]
    before = snapshot(path)
    folder.chmod(0o555)
    try:
        prefix = _without_write_access()
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}

        def attempt(mode: str) -> str:
            args = [*prefix, sys.executable, "-c", READ, str(path), mode]
            done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
            assert done.returncode == 0, done.stderr
            return done.stdout.strip()

        assert attempt("read") == "['completed']"
        assert attempt("write") == (
            f"{path}: cannot write its folder {folder}, where SQLite keeps the"
            " store's -wal and -shm files while it writes"
        )
        folder.chmod(0o577)  # others may write: one could start a run mid-read
        assert attempt("read") == (
            f"{path}: cannot read: SQLite cannot create the store's -shm index in its"
            f" folder {folder}, which this user cannot write (read a copy)"
        )
    finally:
        folder.chmod(0o755)
    assert sorted(p.name for p in folder.iterdir()) == ["s.db"]
    assert snapshot(path) == before


RO_MOUNT = """
import sys
from pathlib import Path
from sim.store import Store, StoreError
from sim.store.sharedfolder import nobody_writes
print(nobody_writes(Path(sys.argv[1]).parent))
try:
    Store(sys.argv[1], read_only=True)
except StoreError as error:
    print(error)
"""


def test_a_store_on_a_read_only_mount_is_refused_naming_the_mount(tmp_path: Path) -> None:
    """A read-only mount of a folder (a container's ``:ro`` volume) may be
    written through another mount, so its store is not read as immutable: a
    run checkpointing there mid-read gave such a reader "database disk image
    is malformed". It is refused naming the folder and the mount. (Before:
    "cannot read (unable to open database file)", and the docs said a
    read-only mount is read as immutable.)"""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to mount a folder read-only")
    source, view = tmp_path / "host", tmp_path / "view"
    view.mkdir()
    store = Store(source / "s.db")
    write_run(store, sample_run().events)
    store.dispose()
    before = snapshot(source / "s.db")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    script = (
        f"mount --bind {source} {view} && mount -o remount,ro,bind {view}"
        f' && exec "{sys.executable}" -c "$0" "$1"'
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, RO_MOUNT, str(view / "s.db")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    if done.returncode != 0 and "mount" in done.stderr:
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")
    assert done.stdout.splitlines() == [
        "False",
        f"{view / 's.db'}: cannot open: its folder {view} is on a read-only mount, where"
        " SQLite cannot create the store's -shm index (another mount may be writing it:"
        " read a copy)",
    ], done.stderr
    assert snapshot(source / "s.db") == before
