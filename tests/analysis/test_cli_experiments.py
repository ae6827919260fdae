"""``sim run --replications``, ``sim sweep``, ``sim report/plot --sweep`` and ``sim staff``
from the command line: what a planner types, end to end."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sim.cli import main
from sim.scenario import load_scenario

QUICKSTART = Path(__file__).resolve().parents[2] / "scenarios" / "quickstart.yaml"
AGENTS = "agent_groups[0].staffing[0].agents"


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def sweep_db(tmp_path_factory: pytest.TempPathFactory, dask_cluster: Any) -> Path:
    """A sweep run on an existing scheduler (--scheduler): into a SQLite file, so
    the workers ship their runs back and the command writes them."""
    path = tmp_path_factory.mktemp("sweep") / "sweep.db"
    result = invoke(
        "sweep", str(QUICKSTART), "--vary", f"{AGENTS}=10,30",
        "--replications", "2", "--scheduler", dask_cluster.address, "--db", str(path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "dask dashboard: http" in result.stderr
    return path


def test_sweep_records_every_point_and_replication(sweep_db: Path) -> None:
    with sqlite3.connect(sweep_db) as conn:
        rows = conn.execute(
            "SELECT point, replication, seed, status FROM runs ORDER BY id"
        ).fetchall()
    assert len(rows) == 4 and {r[3] for r in rows} == {"completed"}
    points = sorted({json.loads(r[0])[AGENTS] for r in rows})
    assert points == [10, 30]
    # Replications are seeded seed, seed+1 (the scenario's seed) at every point.
    seed = load_scenario(QUICKSTART).seed
    assert sorted((json.loads(p)[AGENTS], s) for p, _, s, _ in rows) == [
        (10, seed), (10, seed + 1), (30, seed), (30, seed + 1),
    ]  # fmt: skip


def test_report_sweep_defaults_to_the_latest_and_shows_cis(sweep_db: Path) -> None:
    result = invoke("report", str(sweep_db), "--sweep", "--format", "json")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    assert [e["point"][AGENTS] for e in entries] == [10, 30]
    ten, thirty = (e["kpis"]["list_completion_s"] for e in entries)
    # More agents finish the list sooner, beyond the 95% intervals.
    assert thirty["mean"] + thirty["half_width"] < ten["mean"] - ten["half_width"]


def test_report_of_an_unknown_sweep_names_the_known_ones(sweep_db: Path) -> None:
    result = invoke("report", str(sweep_db), "--sweep", "nope")
    assert result.exit_code == 2
    assert "no sweep 'nope'" in result.stderr and "quickstart-" in result.stderr


def test_plot_sweep_writes_capacity_curves(sweep_db: Path, tmp_path: Path) -> None:
    result = invoke("plot", str(sweep_db), "--sweep", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    written = [Path(line) for line in result.output.split()]
    assert written and all(p.suffix == ".png" and p.stat().st_size > 0 for p in written)


def test_run_replications_reports_means_with_intervals(tmp_path: Path) -> None:
    """No --scheduler: a local cluster is started for the command."""
    db = tmp_path / "reps.db"
    result = invoke(
        "run", str(QUICKSTART), "--db", str(db), "--replications", "3", "--workers", "2",
        "--quiet", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (3,)
    report = json.loads(result.output)
    occupancy = report["kpis"]["agent_occupancy"]
    assert 0 < occupancy["mean"] < 1 and occupancy["half_width"] > 0


def test_staff_finds_a_headcount_between_failing_and_meeting_probes(dask_cluster: Any) -> None:
    result = invoke(
        "staff", str(QUICKSTART), "--deadline", "2h", "--replications", "3",
        "--low", "10", "--high", "30", "--scheduler", dask_cluster.address, "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    found = int(first.split()[0])
    assert 10 < found <= 30 and "is the fewest that met both targets" in first
    probes = {
        int(line.split()[0]): line.split(":")[1].split(";")[0].strip()
        for line in result.output.splitlines()[1:]
        if "agents:" in line
    }
    assert probes[found] == "meets" and probes[found - 1] == "fails"


def test_sweep_into_postgresql_then_report_replay_and_plot(
    postgres_url: str, dask_cluster: Any, tmp_path: Path
) -> None:
    """Any SQLAlchemy URL works for --db: the workers write to PostgreSQL directly."""
    result = invoke(
        "sweep", str(QUICKSTART), "--vary", f"{AGENTS}=10,30", "--replications", "2",
        "--scheduler", dask_cluster.address, "--db", postgres_url, "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)
    assert [e["point"][AGENTS] for e in entries] == [10, 30]
    assert all(len(e["runs"]) == 2 and not e["failed"] for e in entries)
    report = invoke("report", postgres_url, "--sweep", "--format", "json")
    assert json.loads(report.stdout) == entries
    replayed = invoke("replay", postgres_url, "--run", str(entries[0]["runs"][0]))
    assert replayed.exit_code == 0 and "equal" in replayed.output
    plotted = invoke("plot", postgres_url, "--sweep", "--out", str(tmp_path))
    assert plotted.exit_code == 0 and plotted.output.split()


def test_unreachable_scheduler_exits_2_with_its_address(tmp_path: Path) -> None:
    result = invoke(
        "sweep", str(QUICKSTART), "--vary", f"{AGENTS}=10", "--replications", "1",
        "--scheduler", "tcp://127.0.0.1:9", "--db", str(tmp_path / "x.db"),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
