"""The ``sim`` command: parse arguments, call one library function, print.

Exit status: 0 success; 1 a check that ran and failed (replay mismatch, a
run that failed); 2 bad input (a malformed scenario, an unknown run or a
database that is not a sim store), always with a message and no traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from sim import __version__

BAD_INPUT = 2


def _fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def _load(path: str) -> Any:
    from sim.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as error:
        _fail(f"{path}: {len(error.errors)} problem(s)\n" + "\n".join(error.errors))


def _store(db: str, must_exist: bool = True) -> Any:
    from sim.store import Store, StoreError

    if must_exist and "://" not in db and not Path(db).exists():
        _fail(f"{db}: no such database file")
    try:
        return Store(db)
    except StoreError as error:
        _fail(str(error))


def _progress_bar(quiet: bool) -> tuple[Callable[[float], None] | None, Callable[[], None]]:
    if quiet:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(
        total=1000, file=sys.stderr, delay=0.5, unit="‰", desc="simulating", leave=False
    )

    def update(fraction: float) -> None:
        bar.update(int(fraction * 1000) - bar.n)

    return update, bar.close


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sim")
def main() -> None:
    """Simulate Amazon Connect outbound campaign dialing for capacity planning."""


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--db", required=True, help="SQLite file (or SQLAlchemy URL) for the results.")
@click.option("--seed", type=int, default=None, help="Override the scenario's seed.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def run(scenario: str, db: str, seed: int | None, quiet: bool, fmt: str) -> None:
    """Run SCENARIO once, record every event in --db, print the run id and summary."""
    from sim.analysis.summary import format_table, run_summary
    from sim.runner import RunFailed, run_scenario

    parsed = _load(scenario)
    store = _store(db, must_exist=False)
    update, close = _progress_bar(quiet)
    try:
        outcome = run_scenario(parsed, store, seed=seed, progress=update)
    except RunFailed as failed:
        close()
        _fail(f"run {failed.outcome.run_id} failed: {failed.outcome.error}", code=1)
    close()
    summary = run_summary(store, outcome.run_id)
    if fmt == "json":
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        click.echo(f"run {outcome.run_id} completed in {outcome.runtime_s:.1f}s ({db})")
        click.echo(format_table(summary))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
def validate(file: str) -> None:
    """Check a scenario FILE; list every problem with its location (exit 2 if any)."""
    parsed = _load(file)
    click.echo(f"{file}: valid ({len(parsed.campaigns)} campaign(s))")


@main.command()
def schema() -> None:
    """Print the scenario JSON Schema (for editor completion)."""
    from sim.scenario import scenario_json_schema

    click.echo(json.dumps(scenario_json_schema(), indent=2))


@main.command()
@click.argument("db", type=click.Path(dir_okay=False))
@click.option("--run", "run_id", type=int, default=None, help="Run id (default: latest).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def report(db: str, run_id: int | None, fmt: str) -> None:
    """Print the capacity report of a run in DB."""
    from sim.analysis.summary import format_table, run_summary
    from sim.store import StoreError

    store = _store(db)
    try:
        summary = run_summary(store, store.run(run_id).id)
    except StoreError as error:
        _fail(str(error))
    if fmt == "json":
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        click.echo(format_table(summary))


@main.command()
@click.argument("db", type=click.Path(dir_okay=False))
@click.option("--run", "run_id", type=int, default=None, help="Run id (default: latest).")
def replay(db: str, run_id: int | None) -> None:
    """Rebuild every projection of a run from its events and compare (exit 1 if different)."""
    from sim.store import StoreError
    from sim.store import replay as replay_run

    store = _store(db)
    try:
        run_info = store.run(run_id)
        result = replay_run(store, run_info.id)
    except StoreError as error:
        _fail(str(error))
    if result.equal:
        click.echo(f"run {run_info.id}: projections equal to a replay of the events")
        return
    click.echo(f"run {run_info.id}: projections differ from a replay of the events")
    for line in result.differences:
        click.echo(f"  {line}")
    sys.exit(1)


@main.command()
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8000, show_default=True, help="TCP port.")
@click.option(
    "--speed",
    type=click.FloatRange(min=0.0, min_open=True),
    default=1.0,
    show_default=True,
    help="Simulated seconds per wall-clock second.",
)
@click.option("--db", default=None, help="Record the run here (default: in memory).")
@click.option(
    "--principal-key",
    "principal_keys",
    multiple=True,
    default=("AKIDCAMPAIGNS",),
    show_default=True,
    help="Access key id that acts as the outbound-campaigns principal (repeatable).",
)
@click.option("--seed", type=int, default=None, help="Override the scenario's seed.")
def serve(
    scenario: str | None,
    host: str,
    port: int,
    speed: float,
    db: str | None,
    principal_keys: tuple[str, ...],
    seed: int | None,
) -> None:
    """Serve the Connect outbound APIs over HTTP (AWS rest-json) for boto3 clients.

    With SCENARIO, its agents and campaigns are simulated against the wall clock
    (accelerated by --speed); without, a default instance is served.
    """
    from sim.scenario import ScenarioError
    from sim.server import serve as serve_http

    try:
        serve_http(
            scenario,
            host=host,
            port=port,
            speed=speed,
            db=db,
            principal_keys=principal_keys,
            seed=seed,
        )
    except ScenarioError as error:
        _fail(f"{scenario}: {len(error.errors)} problem(s)\n" + "\n".join(error.errors))
