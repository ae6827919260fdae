"""Replications, sweep points and staffing probes as Dask tasks: one run per task.

A ``Task`` is one run: the resolved scenario (plain JSON data), its seed and
its place in a sweep (sweep id, point, replication). The run depends on
nothing else, so it is the same whichever worker runs it, and the same
sweep on 1 or N workers stores the same runs.

Where a task's run lands (``delivery``):

- **direct**: the worker opens the target store and writes the run itself.
  Used for a database server (PostgreSQL: any SQLAlchemy URL that is not
  SQLite) and for a SQLite file when the workers are this machine's
  (a ``LocalCluster`` started here: WAL and a 60 s busy timeout let them
  share the file).
- **ship**: the worker simulates into a ``ShippingStore`` and returns the
  run as compressed row batches; the client writes each into the target, in
  task order, one transaction per run. Used for a SQLite file when the
  workers may be on other machines (``--scheduler``), and for an in-memory
  store. Limits: a run's rows travel through the scheduler's network and sit
  compressed in the worker's and then the client's memory (~25 bytes per
  event); the client writes alone, so its disk sets the pace.

A worker that dies mid-task loses nothing: Dask runs the task again on
another worker, and the store keeps exactly one completed run per
(sweep, point, replication) (``sim.store.tasks``): the new attempt deletes
the half-written run of the dead one before it simulates, a task already
completed is not simulated again, and an attempt that loses a race to
complete deletes its own run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import dask.system
from distributed import Client, LocalCluster, as_completed

from sim.runner import RunFailed, run_scenario
from sim.scenario import parse_scenario
from sim.store import DuplicateRun, Store
from sim.store.shipping import ShippedRun, ShippingStore, receive_run
from sim.store.tasks import TaskKey, claim, prune_sweep, settle_duplicate

__all__ = [
    "ENV_SCHEDULER",
    "Cluster",
    "ClusterError",
    "ProgressFn",
    "Task",
    "delivery",
    "execute",
    "open_cluster",
    "using_cluster",
]

ENV_SCHEDULER = "SIM_DASK_SCHEDULER"
"""Environment variable naming a Dask scheduler to use when none is given."""

ProgressFn = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each task finishes."""

_CONNECT_TIMEOUT_S = 10


@dataclass(frozen=True)
class Task:
    """One run: a resolved scenario (picklable and exact), its seed and sweep place."""

    scenario: dict[str, Any]
    seed: int
    sweep: str
    point: dict[str, Any]
    replication: int

    def key(self) -> TaskKey:
        return TaskKey(self.sweep, self.point, self.replication)


class ClusterError(Exception):
    """The Dask scheduler cannot be reached (the message names its address)."""


@dataclass(frozen=True)
class Cluster:
    """A Dask client, and whether its workers are this machine's (a LocalCluster)."""

    client: Client
    local: bool
    address: str
    dashboard: str | None


def default_workers() -> int:
    """This machine's cores (affinity and cgroup limits respected)."""
    return max(1, int(dask.system.CPU_COUNT))


@contextlib.contextmanager
def open_cluster(workers: int | None = None, scheduler: str | None = None) -> Iterator[Cluster]:
    """A Dask cluster for the duration of the block.

    ``scheduler`` (else the ``SIM_DASK_SCHEDULER`` variable) is the address of
    an existing scheduler (``tcp://host:8786``), whose workers are used as
    they are. Without one, a ``LocalCluster`` of ``workers`` processes (default:
    one per core), one thread each, is started here and closed after.
    """
    address = scheduler or os.environ.get(ENV_SCHEDULER) or None
    if address is not None:
        try:
            client: Client = _untyped(Client)(address, timeout=_CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as error:
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {error}") from None
        with contextlib.closing(client):
            yield Cluster(client, False, address, _dashboard(client))
        return
    n = workers if workers is not None else default_workers()
    if n < 1:
        raise ValueError(f"workers must be at least 1, got {n}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "port 8787 is in use, using another"
        local = _untyped(LocalCluster)(
            n_workers=n, threads_per_worker=1, processes=True, silence_logs=logging.ERROR
        )
    with local, _untyped(Client)(local) as client:
        yield Cluster(client, True, str(local.scheduler_address), _dashboard(client))


def _untyped(function: Any) -> Any:
    """``function`` as mypy sees an untyped one (distributed is partly annotated)."""
    return function


def _dashboard(client: Client) -> str | None:
    services = client.scheduler_info().get("services", {})
    return str(client.dashboard_link) if "dashboard" in services else None


@contextlib.contextmanager
def using_cluster(
    cluster: Cluster | None, workers: int | None, scheduler: str | None, tasks: int
) -> Iterator[Cluster]:
    """``cluster`` if given, else one opened for the block, of no more workers than ``tasks``."""
    if cluster is not None:
        yield cluster
        return
    n = workers if workers is not None else default_workers()
    with open_cluster(max(1, min(n, tasks)), scheduler) as opened:
        yield opened


def delivery(store: Store, cluster: Cluster) -> str:
    """'direct' when the workers can open ``store`` themselves, else 'ship'."""
    if store.engine.dialect.name != "sqlite":
        return "direct"
    if store.name == ":memory:" or not cluster.local:
        return "ship"
    return "direct"


# --------------------------------------------------------------------------- on the workers


def _simulate(store: Store, task: Task) -> int:
    try:
        outcome = run_scenario(
            parse_scenario(task.scenario),
            store,
            seed=task.seed,
            sweep=task.sweep,
            point=task.point,
            replication=task.replication,
            writer="inline",
        )
    except RunFailed as failed:  # recorded as failed; reports list it apart
        return failed.outcome.run_id
    return outcome.run_id


def run_once(store: Store, task: Task) -> int:
    """Run ``task`` into ``store`` unless it has a completed run there; the run id."""
    key = task.key()
    done = claim(store, key)
    if done is not None:
        return done
    try:
        return _simulate(store, task)
    except DuplicateRun as duplicate:  # another attempt completed first
        return settle_duplicate(store, key, duplicate.run_id)


def run_direct(task: Task, url: str) -> int:
    """Worker: simulate ``task`` straight into the store at ``url``."""
    store = Store(url)
    try:
        return run_once(store, task)
    finally:
        store.dispose()


def run_shipped(task: Task) -> ShippedRun:
    """Worker: simulate ``task`` and return its run as row batches for the client."""
    store = ShippingStore()
    try:
        return store.take(_simulate(store, task))
    finally:
        store.dispose()


# --------------------------------------------------------------------------- on the client


def execute(
    tasks: Sequence[Task],
    store: Store,
    cluster: Cluster,
    progress: ProgressFn | None = None,
    *,
    deliver: str | None = None,
) -> list[int]:
    """Run every task on ``cluster`` into ``store``; the run ids in task order.

    ``deliver`` forces 'direct' or 'ship' (default: ``delivery(store, cluster)``).
    A task that raises (not a run that fails: that is recorded) cancels the
    rest and raises here.
    """
    mode = deliver or delivery(store, cluster)
    if mode not in ("direct", "ship"):
        raise ValueError(f"deliver must be 'direct' or 'ship', got {mode!r}")
    if not tasks:
        return []
    tag = uuid.uuid4().hex[:8]
    keys = [f"sim-run-{t.sweep}-{i}-{tag}" for i, t in enumerate(tasks)]
    client: Any = cluster.client
    if mode == "direct":
        futures = client.map(run_direct, tasks, url=store.url, key=keys)
    else:
        futures = client.map(run_shipped, tasks, key=keys)
    try:
        ids = _collect(futures, store, mode, progress)
    except BaseException:
        client.cancel(futures)
        raise
    for sweep in sorted({t.sweep for t in tasks}):
        prune_sweep(store, sweep)  # leftovers of attempts that died after the claim
    return ids


def _collect(futures: list[Any], store: Store, mode: str, progress: ProgressFn | None) -> list[int]:
    """Run ids in task order; shipped runs are written in task order as they arrive."""
    index = {f.key: i for i, f in enumerate(futures)}
    ids = [0] * len(futures)
    ready: set[int] = set()
    written = 0
    for done, future in enumerate(_untyped(as_completed)(futures), start=1):
        i = index[future.key]
        if mode == "direct":
            ids[i] = int(future.result())
        else:
            ready.add(i)
            while written in ready:  # in task order, so run ids follow the grid
                ids[written] = receive_run(store, futures[written].result())
                futures[written].release()
                written += 1
        if progress is not None:
            progress(done, len(futures))
    return ids
