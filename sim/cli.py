"""The ``sim`` command: parse arguments, call one library function, print.

Exit status: 0 success; 1 a check that ran and failed (replay mismatch, a
run that failed); 2 bad input (a malformed scenario, an unknown run, a
database that is not a sim store, any database error); 130 stopped by
SIGINT (Ctrl-C), 143 by SIGTERM, with the run recorded 'interrupted'.
Always a message and no traceback. Commands that read a store (report,
replay, plot) open it read-only and never change it.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from sim import __version__
from sim.cli_dask import SCHEDULER_OPTION, WORKERS_OPTION, cluster_for, task_bar

BAD_INPUT = 2
SIGINT_EXIT = 130  # 128 + SIGINT, the shell's convention
# The store keeps seeds in a signed 64-bit column (sim.scenario.limits.MAX_SEED).
MAX_SEED = 2**63 - 1
SEED = click.IntRange(0, MAX_SEED)

F = TypeVar("F", bound=Callable[..., Any])

RUN_OPTION = click.option(
    "--run",
    "run_id",
    type=click.IntRange(min=1, max=2**63 - 1),
    default=None,
    help="Run id (default: latest).",
)


def sweep_option(help_text: str) -> Callable[[F], F]:
    """``--sweep [ID]``: a sweep id, or the latest sweep when given alone ("")."""
    return click.option(
        "--sweep", "sweep_id", is_flag=False, flag_value="", default=None, help=help_text
    )


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output as an aligned table or as JSON.",
)


def _fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def _load(path: str) -> Any:
    from sim.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as error:
        _fail(f"{path}: {len(error.errors)} problem(s)\n" + "\n".join(error.errors))


def _check_seeds(scenario: Any, seed: int | None, replications: int) -> None:
    """Replication i uses seed base + i: the last one must fit the store too."""
    base = scenario.seed if seed is None else seed
    if base + replications - 1 > MAX_SEED:
        _fail(
            f"--seed: seed {base} + {replications} replications passes {MAX_SEED},"
            " the largest seed the store keeps"
        )


def _store(db: str, read_only: bool = True) -> Any:
    """The store ``db``: read-only (never created or changed) unless writing."""
    from sim.store import Store

    return Store(db, read_only=read_only)  # a StoreError exits 2 (see _Main)


class _Main(click.Group):
    """The command group: turns store errors and interrupts into exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        from sim.runner import RunInterrupted
        from sim.store import StoreError

        try:
            return super().invoke(ctx)
        except StoreError as error:
            _fail(str(error))
        except RunInterrupted as stopped:
            _fail(f"run {stopped.outcome.run_id} {stopped.outcome.error}", stopped.exit_status)
        except KeyboardInterrupt:
            _fail("interrupted", SIGINT_EXIT)


def _progress_bar(quiet: bool) -> tuple[Callable[[float], None] | None, Callable[[], None]]:
    if quiet:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=1000, file=sys.stderr, delay=0.5, unit="‰", desc="simulating", leave=False)

    def update(fraction: float) -> None:
        bar.update(int(fraction * 1000) - bar.n)

    return update, bar.close


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sim")
def main() -> None:
    """Simulate Amazon Connect outbound campaign dialing for capacity planning."""


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--db", required=True, help="SQLite file (or SQLAlchemy URL) for the results.")
@click.option("--seed", type=SEED, default=None, help="Override the scenario's seed.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@FORMAT_OPTION
@click.option(
    "--replications",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Seeded replications (seed, seed+1, ...); >1 reports means with 95% CIs.",
)
@WORKERS_OPTION
@SCHEDULER_OPTION
@click.option(
    "--warmup",
    default="0s",
    show_default=True,
    help="Discard this much simulated time from steady-state KPIs (e.g. 30m).",
)
def run(
    scenario: str,
    db: str,
    seed: int | None,
    quiet: bool,
    fmt: str,
    replications: int,
    workers: int | None,
    scheduler: str | None,
    warmup: str,
) -> None:
    """Run SCENARIO, record every event in --db, print the run id and summary.

    With --replications, each replication is a Dask task (a local cluster, or
    --scheduler's)."""
    parsed = _load(scenario)
    _check_seeds(parsed, seed, replications)
    store = _store(db, read_only=False)
    if replications > 1:
        warm = _duration(warmup)
        with cluster_for(workers, scheduler, replications, quiet) as cluster:
            _replications(parsed, store, replications, cluster, seed, warm, fmt, quiet)
        return
    from sim.analysis.summary import format_table, run_summary
    from sim.runner import RunFailed, run_scenario

    update, close = _progress_bar(quiet)
    try:
        outcome = run_scenario(parsed, store, seed=seed, progress=update)
    except RunFailed as failed:
        _fail(f"run {failed.outcome.run_id} failed: {failed.outcome.error}", code=1)
    finally:
        close()
    summary = run_summary(store, outcome.run_id)
    if fmt == "json":
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        click.echo(f"run {outcome.run_id} completed in {outcome.runtime_s:.1f}s ({db})")
        click.echo(format_table(summary))
        _print_analytic(parsed, summary)


def _duration(text: str) -> float:
    from sim.scenario import parse_duration

    try:
        return parse_duration(text)
    except ValueError as error:
        _fail(f"not a duration: {text!r} ({error})")


def _print_analytic(scenario: Any, summary: Any) -> None:
    from sim.analysis.analytic import analytic_comparison

    rows = analytic_comparison(scenario, summary.as_dict())
    if rows:
        click.echo("\nanalytic model vs this run:")
        for kpi, analytic, simulated in rows:
            click.echo(f"  {kpi:<28} analytic {analytic:12.4g}   simulated {simulated:12.4g}")


def _replications(
    scenario: Any,
    store: Any,
    k: int,
    cluster: Any,
    seed: int | None,
    warmup: float,
    fmt: str,
    quiet: bool,
) -> None:
    from sim.analysis.experiments import (
        format_replication_table,
        replication_report,
        run_replications,
    )

    update, close = task_bar(quiet, k)
    try:
        ids = run_replications(scenario, store, k, cluster=cluster, base_seed=seed, progress=update)
    finally:
        close()
    report = replication_report(store, ids, warmup_s=warmup)
    if fmt == "json":
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(f"runs {ids[0]}-{ids[-1]} ({k} replications)")
        click.echo(format_replication_table(report))
    if report["failed"]:
        sys.exit(1)


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
@RUN_OPTION
@sweep_option("Report a sweep (default: the latest): KPIs with CIs per point.")
@click.option("--warmup", default="0s", show_default=True, help="Warm-up to discard (sweeps).")
@FORMAT_OPTION
def report(db: str, run_id: int | None, sweep_id: str | None, warmup: str, fmt: str) -> None:
    """Print the capacity report of a run (or a sweep) in DB."""
    from sim.analysis.summary import format_table, run_summary, status_note

    store = _store(db)
    if sweep_id is not None:
        _sweep_report(store, _sweep(store, sweep_id), _duration(warmup), fmt)
        return
    info = store.run(run_id)
    summary = run_summary(store, info.id)
    if info.status != "completed":
        click.echo(status_note(info), err=True)
    if fmt == "json":
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        click.echo(format_table(summary))
        from sim.scenario import ScenarioError, parse_scenario

        # A run recorded by another version may not parse: then no comparison.
        with contextlib.suppress(ScenarioError):
            _print_analytic(parse_scenario(info.scenario), summary)


def _sweep(store: Any, sweep_id: str) -> str:
    """The sweep named ``sweep_id`` ("" = the latest); exit 2 naming the ones there are."""
    from sim.analysis.experiments import sweep_ids

    known = sweep_ids(store)
    if sweep_id == "" and known:
        return known[-1]
    if sweep_id in known:
        return sweep_id
    wanted = "no sweep" if sweep_id == "" else f"no sweep {sweep_id!r}"
    _fail(f"{wanted} in {store.name}; sweeps there: {', '.join(known) or 'none'}")


def _sweep_report(store: Any, sweep_id: str, warmup: float, fmt: str) -> None:
    from sim.analysis.experiments import format_sweep_table, sweep_report

    entries = sweep_report(store, sweep_id, warmup_s=warmup)
    if fmt == "json":
        click.echo(json.dumps(entries, indent=2))
    else:
        click.echo(f"sweep {sweep_id}: {len(entries)} point(s)")
        click.echo(format_sweep_table(entries))


@main.command()
@click.argument("db", type=click.Path(dir_okay=False))
@RUN_OPTION
def replay(db: str, run_id: int | None) -> None:
    """Rebuild every projection of a run from its events and compare (exit 1 if different)."""
    from sim.store import replay as replay_run

    store = _store(db)
    run_info = store.run(run_id)
    result = replay_run(store, run_info.id)
    if result.equal:
        click.echo(f"run {run_info.id}: projections equal to a replay of the events")
        if result.partial:
            click.echo(
                f"(run {run_info.id} was interrupted before it could close its projections: "
                "compared are the rows its committed events made final)"
            )
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
@click.option("--seed", type=SEED, default=None, help="Override the scenario's seed.")
@click.option(
    "--quota-clock",
    type=click.Choice(["wall", "simulated"]),
    default="wall",
    show_default=True,
    help="Clock of HTTP clients' request quotas: the wall clock (as AWS's per-second"
    " quotas) or the simulated clock (quotas scale with --speed).",
)
def serve(
    scenario: str | None,
    host: str,
    port: int,
    speed: float,
    db: str | None,
    principal_keys: tuple[str, ...],
    seed: int | None,
    quota_clock: str,
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
            quota_clock=quota_clock,
        )
    except ScenarioError as error:
        _fail(f"{scenario}: {len(error.errors)} problem(s)\n" + "\n".join(error.errors))


@main.command()
@click.argument("db", type=click.Path(dir_okay=False))
@RUN_OPTION
@sweep_option("Plot a sweep's capacity curves (default: the latest sweep).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Output folder.")
def plot(db: str, run_id: int | None, sweep_id: str | None, out: str) -> None:
    """Write PNG figures of a run (or a sweep's capacity curves) in DB to --out."""
    from sim.analysis.plots import write_plots, write_sweep_plots

    store = _store(db)
    try:
        if sweep_id is not None:
            paths = write_sweep_plots(store, _sweep(store, sweep_id), Path(out))
        else:
            paths = write_plots(store, run_id, Path(out))
    except ValueError as error:
        _fail(str(error))
    for path in paths:
        click.echo(str(path))


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--vary",
    "varies",
    multiple=True,
    required=True,
    help="PATH=VALUES, e.g. agent_groups[0].staffing[0].agents=20..60:5 or "
    "campaigns[0].mode=progressive,predictive (repeatable: the grid is their product).",
)
@click.option(
    "--replications",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Seeded replications per grid point.",
)
@click.option("--db", required=True, help="SQLite file (or SQLAlchemy URL) for the results.")
@WORKERS_OPTION
@SCHEDULER_OPTION
@click.option("--warmup", default="0s", show_default=True, help="Warm-up to discard.")
@click.option("--seed", type=SEED, default=None, help="Base seed (default: the scenario's).")
@click.option("--quiet", is_flag=True, help="No progress bar, no dashboard address.")
@FORMAT_OPTION
def sweep(
    scenario: str,
    varies: tuple[str, ...],
    replications: int,
    db: str,
    workers: int | None,
    scheduler: str | None,
    warmup: str,
    seed: int | None,
    quiet: bool,
    fmt: str,
) -> None:
    """Run a grid of variations of SCENARIO, K replications per point, as Dask tasks."""
    from sim.analysis.experiments import run_sweep
    from sim.analysis.grid import grid_points, parse_vary
    from sim.scenario import ScenarioError, apply_overrides

    parsed = _load(scenario)
    _check_seeds(parsed, seed, replications)
    try:
        grid = [parse_vary(v) for v in varies]
        points = grid_points(grid)
        for point in points:
            apply_overrides(parsed, point)  # every point valid before anything runs
    except ValueError as error:
        _fail(f"--vary: {error}")
    except ScenarioError as error:
        _fail("--vary makes an invalid scenario:\n" + "\n".join(error.errors))
    warm = _duration(warmup)
    _store(db, read_only=False).dispose()  # refuse a non-store before any work
    total = len(points) * replications
    with cluster_for(workers, scheduler, total, quiet) as cluster:
        update, close = task_bar(quiet, total)
        try:
            sweep_id = run_sweep(
                parsed, db, grid, replications, progress=update, base_seed=seed, cluster=cluster
            )
        finally:
            close()
    _sweep_report(_store(db), sweep_id, warm, fmt)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--deadline", required=True, help="The list must be done by then (e.g. 6h).")
@click.option(
    "--max-abandonment",
    type=click.FloatRange(0.0, 1.0),
    default=0.03,
    show_default=True,
    help="Abandonment rate limit.",
)
@click.option(
    "--group",
    "group_path",
    default="agent_groups[0].staffing",
    show_default=True,
    help="Staffing list whose shifts are set to the probed headcount.",
)
@click.option(
    "--replications",
    type=click.IntRange(min=2),
    default=10,
    show_default=True,
    help="Seeded replications per probed headcount.",
)
@WORKERS_OPTION
@SCHEDULER_OPTION
@click.option(
    "--confidence",
    type=click.FloatRange(0.5, 0.999),
    default=0.95,
    show_default=True,
    help="Confidence of the bounds.",
)
@click.option("--low", type=click.IntRange(min=1), default=None, help="First headcount tried.")
@click.option("--high", type=click.IntRange(min=1), default=None, help="Headcount cap.")
@click.option("--db", default=None, help="Keep the probe runs here (default: discarded).")
@click.option("--quiet", is_flag=True, help="No probe lines or dashboard address on stderr.")
def staff(
    scenario: str,
    deadline: str,
    max_abandonment: float,
    group_path: str,
    replications: int,
    workers: int | None,
    scheduler: str | None,
    confidence: float,
    low: int | None,
    high: int | None,
    db: str | None,
    quiet: bool,
) -> None:
    """Find the fewest agents that finish the list by --deadline within --max-abandonment.

    Each probe's replications are Dask tasks (a local cluster, or --scheduler's)."""
    from sim.analysis.staffing import find_staffing

    parsed = _load(scenario)
    _check_seeds(parsed, None, replications)
    deadline_s = _duration(deadline)
    if db is not None:
        _store(db, read_only=False).dispose()
    with cluster_for(workers, scheduler, replications, quiet) as cluster:
        try:
            result = find_staffing(
                parsed,
                deadline_s=deadline_s,
                max_abandonment=max_abandonment,
                group_path=group_path,
                k=replications,
                cluster=cluster,
                confidence=confidence,
                low=low,
                high=high,
                store_url=db,
                progress=None if quiet else lambda p: click.echo(p.describe(), err=True),
            )
        except ValueError as error:
            _fail(str(error))
    click.echo(result.explanation)
    if result.agents is None:
        sys.exit(1)
