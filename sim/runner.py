"""Wires one run: scenario -> core + engine -> buffered event sink -> store.

Every run gets a row in ``runs`` before the first event, holding the fully
resolved scenario, the seed and the package version; it ends ``completed``,
``failed`` with its error, or ``interrupted`` with the reason, and the
events recorded before a failure or an interrupt stay.

SIGINT and SIGTERM during a run (in the main thread) stop it at the end of
the model's current step: every event produced so far is written, the
projections are closed at the last event's time, and the run is recorded
``interrupted``; ``RunInterrupted`` (a ``KeyboardInterrupt``) is raised. A
second signal (more than ``REPEAT_GRACE_S`` after the first) stops the
saving at once: what was committed stays, the run is recorded
``interrupted`` without closed projections (as a killed run).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import random
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType, TracebackType
from typing import Any

from sim import __version__
from sim.connect import CoreConfig, Faults, OutboundCore, Quota, Quotas
from sim.domain import EventSink, Tee
from sim.engine import Emitter, Model, ModelResult
from sim.scenario import (
    PiecewiseSource,
    PoissonSource,
    Scenario,
    ScheduleSource,
    Source,
    resolved_dict,
)
from sim.store import EventWriter, Store, StoreError
from sim.store.background import BackgroundWriter
from sim.store.store import abandon_run

# A scenario expected to submit at least this many dial requests gets the
# background writer under writer="auto": below it, the process start and the
# pipe cost more than the overlap saves.
PROCESS_WRITER_MIN_REQUESTS = 50_000
WRITERS = ("auto", "process", "inline")

# Python's cyclic collector, tuned for a bulk run: a young-generation pass
# every 50,000 allocations instead of 700, and a full pass ten times rarer.
# A run allocates millions of short-lived objects (events, payloads, API
# models) while it holds a large long-lived heap (the buffered requests), so
# the default thresholds spend a third of the run re-scanning that heap.
# The engine makes few reference cycles; what it makes is still collected.
# The tuning is process-wide, so it belongs here, where runs are started: the
# simulation runs under ``bulk_collector`` and the background writer process
# is handed the same thresholds.
BULK_GC_THRESHOLD = (50_000, 20, 100)


# glibc's malloc serves a block of more than M_MMAP_THRESHOLD (128 KiB at
# first) with its own mmap, returned whole when freed, but raises the
# threshold to the size of each such block freed (up to 32 MiB). A long run
# frees multi-MB arrays again and again (the token logs' columns, cut each
# time records move to disk): past the first, they come from the heap and
# fragment it, ~14 MB more RSS at 1,000,000 requests than at 200,000 in
# bench_mmc.py. Setting the threshold fixes it (no more raising). Process-wide,
# like the collector's tuning, so it is set here, where runs are started,
# before a background writer forks; it never changes what a run computes.
MMAP_THRESHOLD = 256 * 1024
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def fixed_mmap_threshold() -> bool:
    """Fix glibc's mmap threshold at ``MMAP_THRESHOLD``; False where there is no glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


@contextlib.contextmanager
def bulk_collector() -> Iterator[None]:
    """Within the block, run the cyclic collector at ``BULK_GC_THRESHOLD``."""
    before = gc.get_threshold()
    gc.set_threshold(*BULK_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)


@dataclass(frozen=True)
class RunOutcome:
    """What a run left in the store."""

    run_id: int
    status: str
    error: str | None
    events: int
    sim_start: float
    sim_end: float
    runtime_s: float
    pending_at_end: int


class RunFailed(Exception):
    """The model raised; the run is recorded as failed with this error."""

    def __init__(self, outcome: RunOutcome) -> None:
        super().__init__(outcome.error)
        self.outcome = outcome


class RunInterrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM stopped the run; it is recorded 'interrupted'.

    A ``KeyboardInterrupt``, so a loop of runs stops too. ``exit_status`` is
    the shell's convention for the signal (130 for SIGINT, 143 for SIGTERM).
    """

    def __init__(self, outcome: RunOutcome, signum: int) -> None:
        super().__init__(outcome.error)
        self.outcome = outcome
        self.signum = signum

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across worker processes
        return (type(self), (self.outcome, self.signum))

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


class _Stop(BaseException):
    """Raised at the model's next step after a first stop signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _Forced(KeyboardInterrupt):
    """Raised by a second stop signal, wherever the run is."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


# A repeat within this many seconds is the same interrupt delivered twice (a
# terminal signals the whole process group, and a wrapper may forward it too).
REPEAT_GRACE_S = 1.0


class _StopSignals:
    """SIGINT/SIGTERM within the block: the first is noted (``checked`` raises it
    at a safe point), a later one raises ``_Forced`` at once. Only the main
    thread can handle signals; elsewhere the block changes nothing."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._first = 0.0
        self._before: dict[int, Any] = {}

    def __enter__(self) -> _StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in STOP_SIGNALS:
                # An ignored signal stays ignored: a shell starts a background
                # job (``sim run ... &``) with SIGINT ignored, so that the
                # terminal's Ctrl-C stops only the foreground job.
                if signal.getsignal(sig) is not signal.SIG_IGN:
                    self._before[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for sig, handler in self._before.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        now = time.monotonic()
        if self.signum is None:
            self.signum, self._first = signum, now
        elif now - self._first > REPEAT_GRACE_S:
            raise _Forced(self.signum)

    def checked(self, progress: Callable[[float], None] | None) -> Callable[[float], None]:
        """``progress``, first raising ``_Stop`` once a stop signal came."""

        def step(fraction: float) -> None:
            if self.signum is not None:
                raise _Stop(self.signum)
            if progress is not None:
                progress(fraction)

        return step


def core_config(scenario: Scenario) -> CoreConfig:
    """The connect core's configuration for a scenario's instance and API settings."""
    api = scenario.api
    quotas = api.quotas
    return CoreConfig(
        instance_id=scenario.instance.id,
        queues=tuple(scenario.instance.queues),
        phone_numbers=tuple(scenario.instance.phone_numbers),
        quotas=Quotas(
            batch_put_contact=Quota(
                rate=quotas.batch_put_contact.rate, burst=quotas.batch_put_contact.burst
            ),
            put_dial_request_batch=Quota(
                rate=quotas.put_dial_request_batch.rate, burst=quotas.put_dial_request_batch.burst
            ),
            put_outbound_request_batch=Quota(
                rate=quotas.put_outbound_request_batch.rate,
                burst=quotas.put_outbound_request_batch.burst,
            ),
        ),
        faults=Faults(
            request_error_probability=api.faults.request_error_probability,
            item_error_probability=api.faults.item_error_probability,
        ),
        idempotency_retention_s=api.idempotency_retention,
        buffer_limit=api.buffer_limit,
    )


def run_scenario(
    scenario: Scenario,
    store: Store,
    *,
    seed: int | None = None,
    progress: Callable[[float], None] | None = None,
    sweep: str | None = None,
    point: Mapping[str, Any] | None = None,
    replication: int | None = None,
    writer: str = "auto",
) -> RunOutcome:
    """Simulate ``scenario`` once and record it in ``store``.

    ``writer`` picks who writes the log and projections: "inline" (this
    process, between simulation steps), "process" (a background writer
    process, see ``sim.store.background``) or "auto" (the process writer for
    big runs, see ``choose_writer``). Both write identical tables.
    Raises RunFailed (after recording the failure) if the model raises.
    """
    if writer not in WRITERS:
        raise ValueError(f"writer must be one of {', '.join(WRITERS)}, got {writer!r}")
    seed = scenario.seed if seed is None else seed
    fixed_mmap_threshold()
    with _StopSignals() as stop:
        run = RunRecorder(store, scenario, seed, sweep=sweep, point=point, replication=replication)
        try:
            run.open(choose_writer(scenario, store, writer))
            return run.simulate(stop.checked(progress))
        except _Forced as forced:
            raise RunInterrupted(run.abandon(forced.signum), forced.signum) from None


def estimated_requests(scenario: Scenario) -> float:
    """A rough count of the dial requests the scenario's sources will submit."""
    return sum(_source_requests(scenario, s) for c in scenario.campaigns for s in c.sources)


def _source_requests(scenario: Scenario, source: Source) -> float:
    if isinstance(source, ScheduleSource):
        return float(sum(b.count for b in source.batches))
    if isinstance(source, PoissonSource):
        end = scenario.horizon if source.end is None else min(source.end, scenario.horizon)
        n = source.rate_per_hour * max(0.0, end - source.start) / 3600.0 * source.batch_size
        return n if source.max_requests is None else min(n, float(source.max_requests))
    if isinstance(source, PiecewiseSource):
        peak = max(w.rate_per_hour for w in source.rates)
        return peak * scenario.horizon / 3600.0 * source.batch_size
    with source.path.open("rb") as handle:  # csv: one request a line
        return float(max(0, sum(1 for _ in handle) - 1))


def choose_writer(scenario: Scenario, store: Store, writer: str = "auto") -> str:
    """Which writer ("inline" or "process") a run of ``scenario`` into ``store`` gets.

    "auto" takes the process writer when the scenario is expected to submit
    at least ``PROCESS_WRITER_MIN_REQUESTS`` requests, the store is a file
    (an in-memory database cannot be shared), there are two cores or more,
    and this process may have children (a daemonic pool worker may not).
    """
    if writer != "auto":
        return writer
    if (
        store.name == ":memory:"
        or (os.cpu_count() or 1) < 2
        or multiprocessing.current_process().daemon
    ):
        return "inline"
    big = estimated_requests(scenario) >= PROCESS_WRITER_MIN_REQUESTS
    return "process" if big else "inline"


class RunRecorder:
    """One run being recorded: its row in ``runs`` (made at once, with the fully
    resolved scenario, the seed and the version), its event sink and emitter,
    and each way it can end. ``run_scenario`` and the HTTP face's live
    simulation both record their runs with it."""

    def __init__(
        self,
        store: Store,
        scenario: Scenario,
        seed: int,
        *,
        sweep: str | None = None,
        point: Mapping[str, Any] | None = None,
        replication: int | None = None,
    ) -> None:
        self.store, self.scenario, self.seed = store, scenario, seed
        self.sim_start = scenario.start.timestamp()
        self.started = time.perf_counter()
        resolved = resolved_dict(scenario)
        resolved["seed"] = seed
        self.run_id = store.begin_run(
            name=scenario.name,
            scenario=resolved,
            seed=seed,
            version=__version__,
            sim_start=self.sim_start,
            sweep=sweep,
            point=dict(point) if point is not None else None,
            replication=replication,
        )
        self.sink: EventWriter | BackgroundWriter | None = None
        self.emitter: Emitter | None = None

    def open(self, kind: str = "inline", tap: EventSink | None = None) -> Emitter:
        """The emitter of the run, writing through a sink of ``kind`` ("inline" or
        "process"); ``tap`` sees every event first (the HTTP face's contact index)."""
        if kind == "process":
            self.sink = BackgroundWriter(
                self.store, self.run_id, self.scenario.interval, gc_threshold=BULK_GC_THRESHOLD
            )
        else:
            self.sink = self.store.writer(self.run_id, self.scenario.interval)
        self.emitter = Emitter(self.sink if tap is None else Tee(tap, self.sink))
        return self.emitter

    def flush(self) -> None:
        """Hand what the emitter and the sink hold to the store now."""
        assert self.sink is not None and self.emitter is not None
        self.emitter.flush()
        self.sink.flush()

    def simulate(self, step: Callable[[float], None]) -> RunOutcome:
        """Run the model to its end; record how it ended."""
        assert self.sink is not None and self.emitter is not None
        rng = random.Random(self.seed)
        core: OutboundCore | None = None
        try:
            with bulk_collector():
                core = OutboundCore(core_config(self.scenario), rng, self.emitter)
                model = Model(self.scenario, rng, self.emitter, core)
                result = model.run(step)
                self.sink.close(result.sim_end)
        except _Stop as stop:
            raise RunInterrupted(self.interrupted(stop.signum), stop.signum) from None
        except Exception as error:  # any model failure is recorded, then re-raised
            raise RunFailed(self.fail(error)) from error
        finally:
            if core is not None:  # token records on disk: their files go now, not at a gc
                core.close()
        return self.completed(result)

    def complete(self, result: ModelResult) -> RunOutcome:
        """Close the sink at the model's end and record the run completed."""
        assert self.sink is not None
        self.sink.close(result.sim_end)
        return self.completed(result)

    def completed(self, result: ModelResult) -> RunOutcome:
        """Record the run completed (its sink already closed)."""
        runtime = time.perf_counter() - self.started
        self.store.finish_run(
            self.run_id,
            status="completed",
            error=None,
            sim_end=result.sim_end,
            runtime_s=runtime,
            events=result.events,
        )
        return RunOutcome(
            self.run_id,
            "completed",
            None,
            result.events,
            result.sim_start,
            result.sim_end,
            runtime,
            result.pending_at_end,
        )

    def _save(self) -> float:
        """Write every event produced, end the projections at the last one's time."""
        assert self.sink is not None and self.emitter is not None
        self.emitter.flush()
        sim_end = max(self.sim_start, self.emitter.last_time or self.sim_start)
        self.sink.close(sim_end)
        return sim_end

    def interrupted(self, signum: int) -> RunOutcome:
        """Keep everything produced; record the run 'interrupted' with the reason."""
        assert self.emitter is not None
        name = signal.Signals(signum).name
        try:
            sim_end = self._save()
        except StoreError as error:  # what was committed stays: as a killed run
            return self.abandon(signum, f"saving the rest failed: {error}")
        when = datetime.fromtimestamp(sim_end, self.scenario.start.tzinfo or UTC)
        n = self.emitter.count
        at = when.isoformat(timespec="seconds")
        reason = f"interrupted by {name} at simulated {at}; {n} events kept"
        runtime = time.perf_counter() - self.started
        self.store.finish_run(
            self.run_id,
            status="interrupted",
            error=reason,
            sim_end=sim_end,
            runtime_s=runtime,
            events=n,
        )
        return RunOutcome(
            self.run_id, "interrupted", reason, n, self.sim_start, sim_end, runtime, 0
        )

    def abandon(self, signum: int, why: str = "a second signal stopped the saving") -> RunOutcome:
        """Stop writing now; record 'interrupted' with what was committed (no sim_end)."""
        if isinstance(self.sink, BackgroundWriter):
            self.sink.abort()  # the child ends its transaction; nothing is sent after
        name = signal.Signals(signum).name
        kept = self.store.count_events(self.run_id)
        reason = f"interrupted by {name} ({why}); {kept} events kept, the projections not closed"
        abandon_run(self.store, self.run_id, reason)
        runtime = time.perf_counter() - self.started
        return RunOutcome(
            self.run_id, "interrupted", reason, kept, self.sim_start, self.sim_start, runtime, 0
        )

    def fail(self, error: BaseException) -> RunOutcome:
        """Keep what was recorded, mark the run failed with its error."""
        message = "".join(traceback.format_exception_only(type(error), error)).strip()
        detail = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        return self.failed(message, detail)

    def failed(self, message: str, detail: str) -> RunOutcome:
        """Keep what was recorded, mark the run failed with ``detail`` (a traceback)."""
        assert self.emitter is not None
        sim_end = self.sim_start
        try:
            # How far the run got: the last event recorded, so the projections of
            # a failed run end where its log ends.
            sim_end = self._save()
        except Exception:  # the original error matters more
            detail += "\n(while flushing events: " + traceback.format_exc() + ")"
        runtime = time.perf_counter() - self.started
        n = self.emitter.count
        self.store.finish_run(
            self.run_id, status="failed", error=detail, sim_end=sim_end, runtime_s=runtime, events=n
        )
        return RunOutcome(self.run_id, "failed", message, n, self.sim_start, sim_end, runtime, 0)
