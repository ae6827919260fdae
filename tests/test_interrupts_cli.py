"""``sim run`` stopped from outside: Ctrl-C, SIGTERM and SIGKILL mid-run.

Each test starts ``sim run`` as a real process on a scenario big enough to
be mid-run, waits until the log has committed events (polling the database
read-only), signals it, then checks the recorded run, the log (kept, and
each stream's versions gap-free), and what ``sim report`` and ``sim replay``
say afterwards. The database file is unchanged by the two reading commands.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sim.cli import main
from sim.store import Store, mark_interrupted

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
SIM = [sys.executable, "-c", "from sim.cli import main; main()"]

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def big_scenario(folder: Path, requests: int) -> Path:
    """The quickstart grown to ``requests`` dial requests over two hours (500 agents).

    At 50,000 requests or more ``sim run`` picks the background writer
    (sim.runner.PROCESS_WRITER_MIN_REQUESTS), below it the inline one.
    """
    text = QUICKSTART.read_text()
    for old, new in (
        ("concurrent_calls: 100\n", "concurrent_calls: 1000\n"),
        ("agents: 20}", "agents: 500}"),
        ("rate_per_hour: 60 ", f"rate_per_hour: {requests // 50} "),  # batches of 25
        ("max_requests: 1000\n", f"max_requests: {requests}\n"),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = folder / f"big-{requests}.yaml"
    path.write_text(text)
    return path


def committed_events(db: Path) -> int:
    """Events in the log, read as a reader does (read-only; 0 before the tables exist)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def start_run(scenario: Path, db: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*SIM, "run", str(scenario), "--db", str(db), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal job is
    )


def wait_mid_run(process: subprocess.Popen[str], db: Path) -> int:
    deadline = time.monotonic() + 120
    while (n := committed_events(db)) == 0:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no events committed in 120 s"
        time.sleep(0.05)
    return n


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(c) for c in text.split()]


def wait_gone(pid: int) -> None:
    """Until ``pid`` has exited (a zombie not reaped by us counts as exited)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]
        except FileNotFoundError:
            return
        if state in "ZX":
            return
        assert time.monotonic() < deadline, f"process {pid} still running"
        time.sleep(0.05)


def gap_free(db: Path) -> None:
    """Each stream's versions run 1..n without a gap."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        bad = conn.execute(
            "SELECT stream_id FROM events GROUP BY stream_id "
            "HAVING min(version) != 1 OR max(version) != count(*)"
        ).fetchall()
    conn.close()
    assert bad == []


def files(db: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes() for p in db.parent.iterdir() if p.name in (db.name, db.name + "-wal")
    }


def read_commands(db: Path) -> tuple[Result, Result]:
    """``sim report`` and ``sim replay`` of run 1; the files are checked unchanged."""
    before, mtime = files(db), db.stat().st_mtime_ns
    report = CliRunner().invoke(main, ["report", str(db), "--run", "1", "--format", "json"])
    replayed = CliRunner().invoke(main, ["replay", str(db)])
    assert files(db) == before and db.stat().st_mtime_ns == mtime  # reading never writes
    for result in (report, replayed):
        assert result.exception is None or isinstance(result.exception, SystemExit)
    return report, replayed


@pytest.mark.parametrize(
    ("requests", "writer"), [(20_000, "inline"), (60_000, "process")], ids=["inline", "process"]
)
def test_ctrl_c_keeps_every_event_and_records_interrupted(
    requests: int, writer: str, tmp_path: Path
) -> None:
    db = tmp_path / "runs.db"
    process = start_run(big_scenario(tmp_path, requests), db)
    wait_mid_run(process, db)
    assert len(children(process.pid)) == (1 if writer == "process" else 0)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the whole process group
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert out == "" and "Traceback" not in err
    store = Store(db, read_only=True)
    info = store.run(1)
    assert info.status == "interrupted" and not info.killed
    assert err == f"run 1 {info.error}\n"
    assert info.error is not None and info.error.startswith("interrupted by SIGINT at simulated ")
    assert info.error.endswith(f"; {info.events} events kept")
    assert store.count_events(1) == info.events > 0
    store.dispose()
    gap_free(db)
    report, replayed = read_commands(db)
    assert report.exit_code == 0 and '"status": "interrupted"' in report.stdout
    assert report.stderr.startswith("run 1 interrupted: interrupted by SIGINT")
    assert (replayed.exit_code, replayed.output) == (
        0,
        "run 1: projections equal to a replay of the events\n",
    )


def test_sigterm_exits_143_with_the_run_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    process = start_run(big_scenario(tmp_path, 20_000), db)
    wait_mid_run(process, db)
    process.terminate()
    _, err = process.communicate(timeout=120)
    assert process.returncode == 143, err
    assert err.startswith("run 1 interrupted by SIGTERM at simulated ") and err.count("\n") == 1
    store = Store(db, read_only=True)
    assert store.run(1).status == "interrupted"
    assert store.count_events(1) == store.run(1).events > 0
    store.dispose()


def test_sigkill_leaves_a_run_shown_interrupted_and_replayable(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    process = start_run(big_scenario(tmp_path, 60_000), db)
    wait_mid_run(process, db)
    (writer,) = children(process.pid)
    process.kill()
    process.wait()
    wait_gone(writer)  # it ends its transaction, then sees the parent gone
    kept = committed_events(db)
    assert kept > 0
    gap_free(db)
    report, replayed = read_commands(db)
    assert report.exit_code == 0, report.stderr
    assert '"status": "interrupted"' in report.stdout
    assert report.stderr == (
        f"run 1 interrupted: the run stopped without finishing: its process {process.pid} is "
        "gone (killed or crashed); its events up to then are kept; figures cover only what "
        "was recorded\n"
    )
    assert replayed.exit_code == 0, replayed.output
    assert replayed.output.splitlines() == [
        "run 1: projections equal to a replay of the events",
        "(run 1 was interrupted before it could close its projections: compared are the "
        "rows its committed events made final)",
    ]
    # A writer (as the next ``sim run`` does) records the dead run 'interrupted'.
    store = Store(db)
    assert mark_interrupted(store) == [1]
    info = store.run(1)
    assert (info.status, info.events, info.sim_end) == ("interrupted", kept, None)
    store.dispose()


class _CtrlCOnImport:
    """A module whose every attribute is a Ctrl-C: ``from sim.runner import X``
    is then interrupted as a slow import would be."""

    def __getattr__(self, name: str) -> Any:
        raise KeyboardInterrupt


@pytest.mark.parametrize("when", ["import", "load", "open"])
def test_ctrl_c_before_the_run_starts_exits_130_with_one_line(
    when: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the command imports, reads the scenario or opens the store
    (before the run's own handlers): exit 130 and one line, never click's
    "Aborted!" (exit 1) or a traceback; nothing is written."""
    cli_main = sys.modules["sim.cli.main"]  # the module (sim.cli.main is the command)

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    if when == "import":
        monkeypatch.setitem(sys.modules, "sim.runner", _CtrlCOnImport())
    else:
        monkeypatch.setattr(cli_main, {"load": "load", "open": "store_at"}[when], interrupted)
    db = tmp_path / "runs.db"
    result = CliRunner().invoke(main, ["run", str(QUICKSTART), "--db", str(db), "--quiet"])
    assert (result.exit_code, result.stderr, result.stdout) == (130, "interrupted\n", "")
    assert not db.exists()


def test_ctrl_c_while_the_script_imports_the_command_exits_130_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The installed script (``sim.entry:main``) imports the command itself: a
    Ctrl-C during that import (click, the scenario and store packages) exits
    130 with one line, not Python's traceback."""
    import sim.entry

    monkeypatch.setitem(sys.modules, "sim.cli.main", _CtrlCOnImport())
    with pytest.raises(SystemExit) as stopped:
        sim.entry.main()
    assert stopped.value.code == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_the_installed_script_is_the_guarded_entry_point() -> None:
    """pyproject's ``sim`` script is ``sim.entry:main``, the one that guards the import."""
    text = (ROOT / "pyproject.toml").read_text()
    assert 'sim = "sim.entry:main"' in text


def test_sigterm_during_replications_closes_the_cluster_and_exits_143(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sim run --replications``: the runs are on Dask workers, so the parent
    holds no run's handlers; SIGTERM killed it mid-way (no message, a leaked
    cluster). Now it stops as Ctrl-C does: the cluster is closed, one line."""
    import contextlib
    import types

    import sim.analysis.fanout as fanout

    cli_main = sys.modules["sim.cli.main"]
    closed: list[bool] = []

    @contextlib.contextmanager
    def fake_cluster(workers: int, scheduler: str | None) -> Any:
        try:
            yield types.SimpleNamespace(dashboard=None)
        finally:
            closed.append(True)

    def runs(*args: Any, **kwargs: Any) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the signal interrupts this
        raise AssertionError("SIGTERM did not stop the command")

    monkeypatch.setattr(fanout, "open_cluster", fake_cluster)
    monkeypatch.setattr(cli_main, "report_replications", runs)
    before = signal.getsignal(signal.SIGTERM)
    db = tmp_path / "runs.db"
    result = CliRunner().invoke(
        main, ["run", str(QUICKSTART), "--db", str(db), "--quiet", "--replications", "2"]
    )
    assert (result.exit_code, result.stderr) == (143, "interrupted by SIGTERM\n"), result.output
    assert closed == [True]
    assert signal.getsignal(signal.SIGTERM) is before
