"""The limits from the command line: seeds the store can keep, and a scenario at the limits runs.

The mutation suite (tests/test_mutations.py) shows that everything past a
limit is refused; this shows the other side: a scenario with its values at
the limits validates and runs to completion, so the limits are not looser
than what the engine and the store can take.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"

AT_THE_LIMITS = """
seed: 9223372036854775807
start: 2199-12-31T20:00:00Z
horizon: 2h
instance: {queues: [q], concurrent_calls: 100000}
agent_groups:
  - name: g
    queue: q
    staffing: [{start: "00:00", end: "00:00", agents: 5}]
    after_contact_work: 6h
    breaks: [{start: "21:00", duration: 366d, agents_fraction: 0.2}]
campaigns:
  - id: c
    mode: predictive
    queue: q
    redial: {max_attempts: 100, delay: 366d, on: [NO_ANSWER, BUSY]}
    predictive: {connection_threshold: 366d}
    schedule: [{at: 366d, action: pause}]
    sources:
      - {kind: poisson, rate_per_hour: 1000000, max_requests: 50, expires_after: 366d}
durations:
  talk: {kind: lognormal, mean: 36m, sd: 36m}
  patience: {kind: exponential, mean: 54m}
  voicemail: {kind: empirical, samples: [6h, 1ms]}
  busy_signal: {kind: uniform, low: 0s, high: 6h}
  greeting_start: 6h
  greeting: 6h
api:
  quotas:
    batch_put_contact: {rate: 1000000, burst: 1000000}
    put_dial_request_batch: {rate: 0.001, burst: 1}
  buffer_limit: 10000000
  idempotency_retention: 366d
abandonment_rule: {window: 366d, abandoned_redial_gap: 366d}
"""


def test_a_scenario_at_the_limits_runs_to_completion(tmp_path: Path) -> None:
    path = tmp_path / "edge.yaml"
    path.write_text(AT_THE_LIMITS, encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["validate", str(path)]).exit_code == 0
    db = str(tmp_path / "edge.db")
    result = runner.invoke(main, ["run", str(path), "--db", db, "--quiet", "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["status"] == "completed"
    assert summary["seed"] == 2**63 - 1
    assert summary["dials"] > 0


@pytest.mark.parametrize("seed", [str(2**63), "-1", "1e3", str(2**70)])
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_seed_outside_what_the_store_keeps_exits_2(tmp_path: Path, command: str, seed: str) -> None:
    args = [command, str(QUICKSTART), "--db", str(tmp_path / "x.db"), "--seed", seed]
    if command == "sweep":
        args += ["--vary", "campaigns[0].ring_timeout=20s,30s"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "--seed" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.db").exists()


def test_the_largest_seed_is_accepted(tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    args = ["run", str(QUICKSTART), "--db", db, "--quiet", "--seed", str(2**63 - 1)]
    args += ["--format", "json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["seed"] == 2**63 - 1


def test_replication_seeds_must_fit_too(tmp_path: Path) -> None:
    args = ["run", str(QUICKSTART), "--db", str(tmp_path / "x.db"), "--replications", "3"]
    result = CliRunner().invoke(main, [*args, "--seed", str(2**63 - 2)])
    assert result.exit_code == 2, result.output
    assert "--seed: seed 9223372036854775806 + 3 replications passes" in result.output
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize(
    "option",
    [
        ["--speed", "inf"],
        ["--speed", "nan"],
        ["--speed", "1e308"],
        ["--speed", "2e6"],
        ["--speed", "0"],
        ["--port", "65536"],
        ["--port", "-1"],
    ],
)
def test_serve_options_out_of_range_exit_2(option: list[str]) -> None:
    """At --speed inf the clock's target is inf and the model thread died with
    a traceback; --port 99999 was an OverflowError from bind()."""
    result = CliRunner().invoke(main, ["serve", *option])
    assert result.exit_code == 2 and option[0] in result.stderr, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_cli_speed_limit_is_the_servers() -> None:
    from sim.cli.common import MAX_SPEED
    from sim.server import MAX_SPEED as SERVER_MAX_SPEED
    from sim.server import Simulation

    assert MAX_SPEED == SERVER_MAX_SPEED
    for speed in (float("nan"), float("inf"), 2 * MAX_SPEED, 0.0):
        with pytest.raises(ValueError, match="speed must be in"):
            Simulation(None, None, speed=speed)  # type: ignore[arg-type]


@pytest.mark.parametrize("where", ["in use", "no such host"])
def test_serve_where_it_cannot_listen_exits_2_and_records_no_run(
    where: str, tmp_path: Path
) -> None:
    import socket

    from sim.store import Store

    db = tmp_path / "runs.db"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        host, port = taken.getsockname()
        if where == "no such host":
            host = "no-such-host.invalid"
        result = CliRunner().invoke(
            main, ["serve", "--host", host, "--port", str(port), "--db", str(db)]
        )
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"cannot listen on {host}:{port}: ")
    assert result.stderr.count("\n") == 1
    store = Store(db, read_only=True)
    assert store.runs() == []
    store.dispose()
