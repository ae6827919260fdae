"""The commands of many runs: replications, sweeps and the staffing search,
each run a Dask task (``sim.cli.cluster``)."""

from __future__ import annotations

import sys
from typing import Any

import click

from sim.cli.cluster import SCHEDULER_OPTION, WORKERS_OPTION, cluster_for, task_bar
from sim.cli.common import (
    DB_GIVEN,
    FORMAT_OPTION,
    SCENARIO_GIVEN,
    SEED,
    check_seeds,
    duration,
    echo_json,
    fail,
    load,
    not_nan,
    store_at,
)


def report_replications(
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
        echo_json(report)
    else:
        click.echo(f"runs {ids[0]}-{ids[-1]} ({k} replications)")
        click.echo(format_replication_table(report))
    if report["failed"]:
        sys.exit(1)


def sweep_named(store: Any, sweep_id: str) -> str:
    """The sweep named ``sweep_id`` ("" = the latest); exit 2 naming the ones there are."""
    from sim.analysis.experiments import sweep_ids

    known = sweep_ids(store)
    if sweep_id == "" and known:
        return known[-1]
    if sweep_id in known:
        return sweep_id
    wanted = "no sweep" if sweep_id == "" else f"no sweep {sweep_id!r}"
    fail(f"{wanted} in {store.name}; sweeps there: {', '.join(known) or 'none'}")


def print_sweep_report(store: Any, sweep_id: str, warmup: float, fmt: str) -> None:
    from sim.analysis.experiments import format_sweep_table, sweep_report

    entries = sweep_report(store, sweep_id, warmup_s=warmup)
    if fmt == "json":
        echo_json(entries)
    else:
        click.echo(f"sweep {sweep_id}: {len(entries)} point(s)")
        click.echo(format_sweep_table(entries))


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False), callback=SCENARIO_GIVEN)
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
@click.option(
    "--db",
    required=True,
    callback=DB_GIVEN,
    help="SQLite file (or SQLAlchemy URL) for the results.",
)
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

    parsed = load(scenario)
    check_seeds(parsed, seed, replications)
    try:
        grid = [parse_vary(v) for v in varies]
        points = grid_points(grid)
        for point in points:
            apply_overrides(parsed, point)  # every point valid before anything runs
    except ValueError as error:
        fail(f"--vary: {error}")
    except ScenarioError as error:
        fail("--vary makes an invalid scenario:\n" + "\n".join(error.errors))
    warm = duration(warmup, "--warmup")
    store_at(db, read_only=False).dispose()  # refuse a non-store before any work
    total = len(points) * replications
    with cluster_for(workers, scheduler, total, quiet) as cluster:
        update, close = task_bar(quiet, total)
        try:
            sweep_id = run_sweep(
                parsed, db, grid, replications, progress=update, base_seed=seed, cluster=cluster
            )
        finally:
            close()
    print_sweep_report(store_at(db), sweep_id, warm, fmt)


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False), callback=SCENARIO_GIVEN)
@click.option("--deadline", required=True, help="The list must be done by then (e.g. 6h).")
@click.option(
    "--max-abandonment",
    type=click.FloatRange(0.0, 1.0),
    callback=not_nan,
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
@click.option(
    "--db", default=None, callback=DB_GIVEN, help="Keep the probe runs here (default: discarded)."
)
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

    parsed = load(scenario)
    check_seeds(parsed, None, replications)
    deadline_s = duration(deadline, "--deadline")
    if deadline_s <= 0:
        fail(f"--deadline: must be longer than 0s (got {deadline!r}): no list is done by then")
    if db is not None:
        store_at(db, read_only=False).dispose()
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
            fail(str(error))
    click.echo(result.explanation)
    if result.agents is None:
        sys.exit(1)
