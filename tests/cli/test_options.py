"""Options a careless user gets wrong: each is refused with exit 2 and a
message naming the option, before any run starts or any file is made."""

from __future__ import annotations

import gc
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sim.cli import main

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = str(ROOT / "scenarios" / "quickstart.yaml")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def refused(result: Result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for needle in needles:
        assert needle in result.output, result.output


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "runs.db"
    assert invoke("run", QUICKSTART, "--db", str(path), "--quiet").exit_code == 0
    gc.collect()  # close the run's pooled connections: no checkpoint happens later
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["run", QUICKSTART, "--db", "", "--quiet"],
        ["sweep", QUICKSTART, "--db", "", "--vary", "seed=1,2", "--quiet"],
        ["staff", QUICKSTART, "--db", "", "--deadline", "6h", "--quiet"],
        ["report", ""],
        ["replay", ""],
    ],
)
def test_an_empty_db_is_refused(args: list[str]) -> None:
    """``--db "$DB"`` with DB unset: before, ``sim run`` recorded into an
    in-memory database and printed a run id whose events were then lost."""
    refused(invoke(*args), "empty")


def test_serve_refuses_an_empty_db(monkeypatch: pytest.MonkeyPatch) -> None:
    """``sim serve --db "$DB"`` with DB unset: before, it served and recorded into
    memory, and every event was gone when the server stopped."""
    import sim.server

    served: list[object] = []
    monkeypatch.setattr(sim.server, "serve", lambda *a, **k: served.append(k))
    refused(invoke("serve", "--db", "", "--port", "0"), "'--db'", "empty")
    assert served == []


def test_an_empty_out_folder_is_refused(
    recorded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, ``--out ""`` wrote the figures into the current folder."""
    monkeypatch.chdir(tmp_path)
    refused(invoke("plot", str(recorded), "--out", ""), "'--out'", "empty")
    assert list(tmp_path.iterdir()) == []


def test_a_malformed_warmup_is_refused_before_the_store_is_made(tmp_path: Path) -> None:
    """Before, one replication ignored ``--warmup banana``, and with several
    the new store file was created before the warm-up was read."""
    for extra in ([], ["--replications", "2", "--workers", "1"]):
        db = tmp_path / "new.db"
        result = invoke("run", QUICKSTART, "--db", str(db), "--quiet", "--warmup", "banana", *extra)
        refused(result, "--warmup: not a duration: 'banana'")
        assert not db.exists()


def test_report_refuses_a_malformed_warmup(recorded: Path) -> None:
    refused(
        invoke("report", str(recorded), "--warmup", "banana"), "--warmup: not a duration: 'banana'"
    )


@pytest.mark.parametrize("command", ["report", "plot"])
def test_run_and_sweep_together_are_refused(recorded: Path, tmp_path: Path, command: str) -> None:
    """Before, ``--sweep`` won and ``--run`` was silently ignored."""
    out = ["--out", str(tmp_path / "figures")] if command == "plot" else []
    before = hashlib.sha256(recorded.read_bytes()).hexdigest()
    refused(invoke(command, str(recorded), "--run", "1", "--sweep", *out), "--run", "--sweep")
    assert hashlib.sha256(recorded.read_bytes()).hexdigest() == before


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--deadline", "0s"], "--deadline"),
        (["--deadline", "6h", "--max-abandonment", "nan"], "--max-abandonment"),
    ],
)
def test_staff_refuses_targets_no_headcount_can_meet(extra: list[str], needle: str) -> None:
    """Before, both ran every probe (minutes of runs) and then exited 1:
    "no headcount met both targets"."""
    args = ["staff", QUICKSTART, "--quiet", "--workers", "1", "--replications", "2"]
    refused(invoke(*args, "--low", "1", "--high", "1", *extra), needle)


@pytest.mark.parametrize(
    "args",
    [
        ["validate", ""],
        ["run", "", "--db", "x.db", "--quiet"],
        ["sweep", "", "--db", "x.db", "--vary", "seed=1,2"],
        ["staff", "", "--deadline", "6h"],
    ],
)
def test_an_empty_scenario_path_is_refused(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: ".: cannot read: [Errno 21] Is a directory: '.'"."""
    monkeypatch.chdir(tmp_path)
    refused(invoke(*args), "empty; give a scenario file")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize(
    "args", [["schema"], ["validate", QUICKSTART], ["--help"], ["--version"], ["run", "--help"]]
)
def test_an_output_that_cannot_be_written_is_a_message(args: list[str]) -> None:
    """stdout on a full disk: before, a traceback (OSError: [Errno 28]) and exit 1
    (for the group's own --help and --version still after the first fix)."""
    command = [sys.executable, "-c", "from sim.entry import main; main()", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open("/dev/full", "w") as full:
        done = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr == "cannot write the output: No space left on device\n"


def test_a_hostile_file_cannot_drive_the_terminal_through_a_message(tmp_path: Path) -> None:
    """A key holding escape sequences is named, its control characters shown escaped."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        (ROOT / "scenarios" / "quickstart.yaml").read_text()
        + '\n"evil\\e]0;pwned\\a\\e[2J\\r\\x9b": 1\n'
    )
    result = invoke("validate", str(scenario))
    refused(result, "evil\\x1b]0;pwned\\x07\\x1b[2J\\x0d\\x9b", "unknown key")
    assert not any(ch in result.output for ch in "\x1b\x07\r\x9b")
