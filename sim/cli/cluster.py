"""CLI pieces of the commands that run on Dask (run --replications, sweep, staff):
the --workers and --scheduler options, the cluster, a progress bar over runs."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any

import click

BAD_INPUT = 2

WORKERS_OPTION = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Dask worker processes of the local cluster [default: one per core].",
)
SCHEDULER_OPTION = click.option(
    "--scheduler",
    envvar="SIM_DASK_SCHEDULER",
    default=None,
    help="Address of an existing Dask scheduler (tcp://host:8786) to run on instead "
    "of a local cluster [env: SIM_DASK_SCHEDULER].",
)


@contextlib.contextmanager
def cluster_for(workers: int | None, scheduler: str | None, tasks: int, quiet: bool) -> Any:
    """The Dask cluster of a command, its dashboard address on stderr; exit 2 if
    the scheduler cannot be reached."""
    from sim.analysis.fanout import ClusterError, default_workers, open_cluster

    try:
        with open_cluster(min(workers or default_workers(), max(tasks, 1)), scheduler) as cluster:
            if cluster.dashboard and not quiet:
                click.echo(f"dask dashboard: {cluster.dashboard}", err=True)
            yield cluster
    except ClusterError as error:
        click.echo(str(error), err=True)
        sys.exit(BAD_INPUT)


def task_bar(quiet: bool, total: int) -> tuple[Any, Callable[[], None]]:
    """A progress bar over runs on stderr: (a ``progress(done, total)`` callback, close)."""
    if quiet:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=total, file=sys.stderr, unit="run", desc="runs", leave=False)
    return (lambda done, _total: bar.update(done - bar.n)), bar.close
