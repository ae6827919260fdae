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
import errno
import io
import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from sim import __version__
from sim.cli.cluster import SCHEDULER_OPTION, WORKERS_OPTION, Terminated, cluster_for
from sim.cli.common import (
    DB_GIVEN,
    FORMAT_OPTION,
    MAX_SPEED,
    RUN_OPTION,
    SCENARIO_GIVEN,
    SEED,
    SIGINT_EXIT,
    check_seeds,
    duration,
    echo_json,
    fail,
    load,
    not_empty,
    one_of_run_or_sweep,
    printable,
    progress_bar,
    store_at,
    sweep_option,
)
from sim.cli.experiments import (
    print_sweep_report,
    report_replications,
    staff,
    sweep,
    sweep_named,
)


class _Main(click.Group):
    """The command group: turns store errors and interrupts into exit codes.

    A Ctrl-C at any point after the arguments are read (the imports below
    included) exits 130 with one line, never click's "Aborted!" (exit 1) or
    a traceback."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except KeyboardInterrupt:
            fail("interrupted", SIGINT_EXIT)
        except OSError as error:  # ``sim --help`` / ``--version`` print here
            _os_error(error)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            from sim.runner import RunInterrupted
            from sim.store import StoreError
        except KeyboardInterrupt:
            fail("interrupted", SIGINT_EXIT)
        try:
            return super().invoke(ctx)
        except StoreError as error:
            fail(str(error))
        except RunInterrupted as stopped:
            fail(f"run {stopped.outcome.run_id} {stopped.outcome.error}", stopped.exit_status)
        except Terminated:
            fail("interrupted by SIGTERM", Terminated.exit_status)
        except KeyboardInterrupt:
            fail("interrupted", SIGINT_EXIT)
        except OSError as error:
            _os_error(error)


def _os_error(error: OSError) -> NoReturn:
    """One line and exit 2 for a file or an output that cannot be written."""
    if error.errno == errno.EPIPE:
        raise error  # a closed pipe (``| head``): click ends quietly
    _discard_stdout()
    if error.filename is None:  # stdout: a full disk, a lost terminal
        fail(f"cannot write the output: {error.strerror or error}")
    fail(f"{error.filename}: {error.strerror or error}")


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so the exit's flush of what could not be
    written does not fail again ("Exception ignored ... OSError")."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sim")
def main() -> None:
    """Simulate Amazon Connect outbound campaign dialing for capacity planning."""


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False), callback=SCENARIO_GIVEN)
@click.option(
    "--db",
    required=True,
    callback=DB_GIVEN,
    help="SQLite file (or SQLAlchemy URL) for the results.",
)
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
    parsed = load(scenario)
    check_seeds(parsed, seed, replications)
    warm = duration(warmup, "--warmup")  # before the store: a refused command makes no file
    store = store_at(db, read_only=False)
    if replications > 1:
        with cluster_for(workers, scheduler, replications, quiet) as cluster:
            report_replications(parsed, store, replications, cluster, seed, warm, fmt, quiet)
        return
    from sim.analysis.summary import run_summary
    from sim.analysis.table import format_table
    from sim.runner import RunFailed, run_scenario

    update, close = progress_bar(quiet)
    try:
        outcome = run_scenario(parsed, store, seed=seed, progress=update)
    except RunFailed as failed:
        fail(f"run {failed.outcome.run_id} failed: {failed.outcome.error}", code=1)
    finally:
        close()
    summary = run_summary(store, outcome.run_id)
    if fmt == "json":
        echo_json(summary.as_dict())
    else:
        click.echo(f"run {outcome.run_id} completed in {outcome.runtime_s:.1f}s ({db})")
        click.echo(format_table(summary))
        _print_analytic(parsed, summary)


def _print_analytic(scenario: Any, summary: Any) -> None:
    from sim.analysis.analytic import analytic_comparison

    rows = analytic_comparison(scenario, summary.as_dict())
    if rows:
        click.echo("\nanalytic model vs this run:")
        for kpi, analytic, simulated in rows:
            click.echo(f"  {kpi:<28} analytic {analytic:12.4g}   simulated {simulated:12.4g}")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False), callback=SCENARIO_GIVEN)
def validate(file: str) -> None:
    """Check a scenario FILE; list every problem with its location (exit 2 if any)."""
    parsed = load(file)
    click.echo(f"{file}: valid ({len(parsed.campaigns)} campaign(s))")


@main.command()
def schema() -> None:
    """Print the scenario JSON Schema (for editor completion)."""
    from sim.scenario import scenario_json_schema

    click.echo(json.dumps(scenario_json_schema(), indent=2))


@main.command()
@click.argument("db", type=click.Path(dir_okay=False), callback=DB_GIVEN)
@RUN_OPTION
@sweep_option("Report a sweep (default: the latest): KPIs with CIs per point.")
@click.option("--warmup", default="0s", show_default=True, help="Warm-up to discard (sweeps).")
@FORMAT_OPTION
def report(db: str, run_id: int | None, sweep_id: str | None, warmup: str, fmt: str) -> None:
    """Print the capacity report of a run (or a sweep) in DB."""
    from sim.analysis.summary import run_summary, status_note
    from sim.analysis.table import format_table

    one_of_run_or_sweep(run_id, sweep_id)
    warm = duration(warmup, "--warmup")
    store = store_at(db)
    if sweep_id is not None:
        print_sweep_report(store, sweep_named(store, sweep_id), warm, fmt)
        return
    info = store.run(run_id)
    summary = run_summary(store, info.id)
    if info.status != "completed":
        click.echo(printable(status_note(info)), err=True)
    if fmt == "json":
        echo_json(summary.as_dict())
    else:
        click.echo(format_table(summary))
        from sim.scenario import ScenarioError, parse_scenario

        # A run recorded by another version may not parse: then no comparison.
        with contextlib.suppress(ScenarioError):
            _print_analytic(parse_scenario(info.scenario), summary)


@main.command()
@click.argument("db", type=click.Path(dir_okay=False), callback=DB_GIVEN)
@RUN_OPTION
def replay(db: str, run_id: int | None) -> None:
    """Rebuild every projection of a run from its events and compare (exit 1 if different)."""
    from sim.store import replay as replay_run

    store = store_at(db)
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
@click.argument(
    "scenario", required=False, type=click.Path(dir_okay=False), callback=SCENARIO_GIVEN
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="TCP port."
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0.0, min_open=True, max=MAX_SPEED),
    callback=lambda _ctx, _param, value: _finite(value, "--speed"),
    default=1.0,
    show_default=True,
    help="Simulated seconds per wall-clock second.",
)
@click.option(
    "--db", default=None, callback=DB_GIVEN, help="Record the run here (default: in memory)."
)
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
    from sim.server import CannotListen
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
        fail(f"{scenario}: {len(error.errors)} problem(s)\n" + "\n".join(error.errors))
    except CannotListen as error:
        fail(str(error))


def _finite(value: float, name: str) -> float:
    """click's FloatRange lets NaN through (every comparison with it is false)."""
    if value != value:
        raise click.BadParameter(f"{name} must be a number, not nan")
    return value


@main.command()
@click.argument("db", type=click.Path(dir_okay=False), callback=DB_GIVEN)
@RUN_OPTION
@sweep_option("Plot a sweep's capacity curves (default: the latest sweep).")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    callback=not_empty("a folder"),
    help="Output folder.",
)
def plot(db: str, run_id: int | None, sweep_id: str | None, out: str) -> None:
    """Write PNG figures of a run (or a sweep's capacity curves) in DB to --out."""
    from sim.analysis.plots import write_plots, write_sweep_plots

    one_of_run_or_sweep(run_id, sweep_id)
    store = store_at(db)
    try:
        if sweep_id is not None:
            paths = write_sweep_plots(store, sweep_named(store, sweep_id), Path(out))
        else:
            paths = write_plots(store, run_id, Path(out))
    except ValueError as error:
        fail(str(error))
    except OSError as error:  # the folder cannot be made or written
        fail(f"{out}: cannot write the figures: {error.strerror or error}")
    for path in paths:
        click.echo(str(path))


main.add_command(sweep)
main.add_command(staff)
