"""A dead run's owner is told from a live one, and a reader shows it interrupted."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from sim.store import Store
from sim.store.liveness import STALE_AFTER_S, owner_gone, process_start, this_process
from sim.store.schema import runs

from .factories import START, sample_run

HOST = socket.gethostname()
NOW = datetime.now(UTC)
linux = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


@linux
def test_this_process_records_host_pid_and_start() -> None:
    host, pid, start = this_process()
    assert (host, pid) == (HOST, os.getpid())
    assert start is not None and start == process_start(pid)
    boot, ticks = start.split(":")
    assert boot == Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    assert ticks.isdigit()


def test_a_live_owner_is_alive() -> None:
    host, pid, start = this_process()
    assert owner_gone(host, pid, start, NOW.isoformat(), NOW) is None


def test_an_exited_owner_is_gone() -> None:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    pid = int(child.stdout)
    why = owner_gone(HOST, pid, None, None, NOW)
    assert why == f"its process {pid} is gone (killed or crashed)"


@linux
def test_a_reused_pid_and_a_reboot_are_told_apart() -> None:
    host, pid, start = this_process()
    assert start is not None
    boot, ticks = start.split(":")
    reused = owner_gone(host, pid, f"{boot}:{int(ticks) + 1}", None, NOW)
    assert reused == f"its process {pid} is gone (the pid now belongs to another process)"
    rebooted = owner_gone(host, pid, f"another-boot:{ticks}", None, NOW)
    assert rebooted is not None and "restarted" in rebooted


@linux
def test_a_zombie_owner_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    start = process_start(child.pid)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{child.pid}/stat").read_text().split(") ")[1][0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    try:  # exited but not reaped: the pid still exists
        why = owner_gone(HOST, child.pid, start, None, NOW)
        assert why == f"its process {child.pid} is gone (killed or crashed)"
    finally:
        child.wait()


def test_another_host_is_presumed_dead_only_after_a_long_silence() -> None:
    fresh = (NOW - timedelta(seconds=STALE_AFTER_S / 2)).isoformat()
    stale = (NOW - timedelta(seconds=STALE_AFTER_S + 60)).isoformat()
    assert owner_gone("elsewhere", 1, None, fresh, NOW) is None
    why = owner_gone("elsewhere", 1, None, stale, NOW)
    assert why is not None and why.startswith("presumed dead: no sign of life from host elsewhere")


def test_a_reader_shows_a_dead_run_interrupted_without_changing_it(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = Store(path)
    run_id = store.begin_run(name="r", scenario={}, seed=1, version="v", sim_start=START)
    writer = store.writer(run_id, 900.0, chunk_size=4)
    writer.append(sample_run().events[:8])
    with store.engine.begin() as conn:
        conn.execute(runs.update().values(pid=2**22 + 7, proc_start=None))
    store.dispose()
    before = path.read_bytes()
    reader = Store(path, read_only=True)
    info = reader.run(run_id)
    assert (info.status, info.killed, info.events) == ("interrupted", True, 8)
    assert info.error == (
        f"the run stopped without finishing: its process {2**22 + 7} is gone (killed or "
        "crashed); its events up to then are kept"
    )
    assert [r.status for r in reader.runs()] == ["interrupted"]
    with reader.engine.connect() as conn:
        assert conn.execute(select(runs.c.status)).scalar_one() == "running"
    reader.dispose()
    assert path.read_bytes() == before


def test_each_committed_chunk_is_a_heartbeat(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    run_id = store.begin_run(name="r", scenario={}, seed=1, version="v", sim_start=START)
    began = store.run(run_id).heartbeat_at
    assert began == store.run(run_id).started_at
    time.sleep(0.01)
    writer = store.writer(run_id, 900.0, chunk_size=4)
    writer.append(sample_run().events[:5])
    info = store.run(run_id)
    assert info.events == 5 and info.heartbeat_at is not None and began is not None
    assert info.heartbeat_at > began and info.status == "running"
    store.dispose()
