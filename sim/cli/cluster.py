"""CLI pieces of the commands that run on Dask (run --replications, sweep, staff):
the --workers and --scheduler options, the cluster, a progress bar over runs."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import click

from sim.cli.common import fail

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
        with (
            _sigterm_stops(),
            open_cluster(min(workers or default_workers(), max(tasks, 1)), scheduler) as cluster,
        ):
            if cluster.dashboard and not quiet:
                click.echo(f"dask dashboard: {cluster.dashboard}", err=True)
            yield cluster
    except ClusterError as error:
        fail(str(error))  # exit 2


class Terminated(KeyboardInterrupt):
    """SIGTERM while runs were on the cluster: stop as for Ctrl-C (the cluster
    is closed on the way out), exit 143."""

    exit_status = 143  # 128 + SIGTERM


@contextlib.contextmanager
def _sigterm_stops() -> Any:
    """SIGTERM raises Terminated in the main thread (unless it is ignored), so
    the runs stop and the cluster closes instead of the process dying mid-way."""

    def stop(_signum: int, _frame: Any) -> None:
        raise Terminated

    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    ):
        yield
        return
    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def task_bar(quiet: bool, total: int) -> tuple[Any, Callable[[], None]]:
    """A progress bar over runs on stderr: (a ``progress(done, total)`` callback, close)."""
    if quiet:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=total, file=sys.stderr, unit="run", desc="runs", leave=False)
    return (lambda done, _total: bar.update(done - bar.n)), bar.close
