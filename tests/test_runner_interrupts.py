"""SIGINT and SIGTERM during ``run_scenario``: nothing produced is lost.

The signals are real (sent to this process from the run's progress
callback); the subprocess tests in tests/test_interrupts_cli.py send them
from outside, as a terminal or a supervisor does.
"""

from __future__ import annotations

import os
import signal
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import sim.runner
from sim.runner import RunInterrupted, run_scenario
from sim.scenario import load_scenario
from sim.store import EventWriter, Store, replay

QUICKSTART = Path(__file__).resolve().parents[1] / "scenarios" / "quickstart.yaml"


@pytest.fixture(scope="module")
def full_log(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    """The quickstart's whole event log, uninterrupted."""
    store = Store(tmp_path_factory.mktemp("full") / "full.db")
    outcome = run_scenario(load_scenario(QUICKSTART), store, writer="inline")
    log = list(store.iter_events(outcome.run_id))
    store.dispose()
    return log


def signal_at(fraction: float, *signals: int) -> Any:
    """A progress callback that sends ``signals`` to this process once past ``fraction``."""
    sent: list[float] = []

    def progress(done: float) -> None:
        if done > fraction and not sent:
            sent.append(done)
            for sig in signals:
                os.kill(os.getpid(), sig)

    return progress


@pytest.mark.parametrize("writer", ["inline", "process"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_signal_keeps_every_event_and_records_interrupted(
    writer: str, sig: int, tmp_path: Path, full_log: list[Any]
) -> None:
    scenario = load_scenario(QUICKSTART)
    store = Store(tmp_path / "s.db")
    before = signal.getsignal(sig)
    with pytest.raises(RunInterrupted) as caught:
        run_scenario(scenario, store, writer=writer, progress=signal_at(0.3, sig))
    assert signal.getsignal(sig) is before  # the run's handlers are gone
    stopped = caught.value
    assert stopped.exit_status == {signal.SIGINT: 130, signal.SIGTERM: 143}[sig]
    assert isinstance(stopped, KeyboardInterrupt)
    outcome = stopped.outcome
    info = store.run(outcome.run_id)
    log = list(store.iter_events(outcome.run_id))
    # Every event the model produced up to the stop is kept: a prefix of the full run.
    assert 0 < len(log) == info.events == outcome.events < len(full_log)
    assert log == full_log[: len(log)]
    assert info.status == "interrupted" and info.sim_end == log[-1].time == outcome.sim_end
    when = datetime.fromtimestamp(log[-1].time, scenario.start.tzinfo).isoformat(timespec="seconds")
    name = signal.Signals(sig).name
    assert info.error == f"interrupted by {name} at simulated {when}; {len(log)} events kept"
    assert outcome.error == info.error
    # The projections were closed at the last event: a replay is equal.
    result = replay(store, outcome.run_id)
    assert result.equal and not result.partial, result.differences
    assert result.counts["interval_kpis"][0] > 0
    store.dispose()


def test_a_repeat_within_the_grace_is_the_same_interrupt(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    with pytest.raises(RunInterrupted) as caught:
        run_scenario(
            load_scenario(QUICKSTART),
            store,
            writer="inline",
            progress=signal_at(0.3, signal.SIGINT, signal.SIGINT),
        )
    info = store.run(caught.value.outcome.run_id)
    assert info.status == "interrupted" and not info.killed
    store.dispose()


def test_a_second_signal_during_the_save_keeps_what_was_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full_log: list[Any]
) -> None:
    monkeypatch.setattr(sim.runner, "REPEAT_GRACE_S", 0.0)
    store = Store(tmp_path / "s.db")
    original_writer, original_close = Store.writer, EventWriter.close

    def small_chunks(self: Store, run_id: int, interval_s: float) -> EventWriter:
        return original_writer(self, run_id, interval_s, chunk_size=500)

    committed: list[int] = []

    def second_signal_then_close(self: EventWriter, sim_end: float) -> int:
        committed.append(store.count_events(self.run_id))
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C again, while saving
        return original_close(self, sim_end)

    monkeypatch.setattr(Store, "writer", small_chunks)
    monkeypatch.setattr(EventWriter, "close", second_signal_then_close)
    with pytest.raises(RunInterrupted) as caught:
        run_scenario(
            load_scenario(QUICKSTART),
            store,
            writer="inline",
            progress=signal_at(0.3, signal.SIGINT),
        )
    outcome = caught.value.outcome
    info = store.run(outcome.run_id)
    log = list(store.iter_events(outcome.run_id))
    assert committed and len(log) == committed[0] == info.events == outcome.events > 0
    assert log == full_log[: len(log)]
    assert info.status == "interrupted" and info.killed  # the projections were not closed
    assert info.error == (
        f"interrupted by SIGINT (a second signal stopped the saving); {len(log)} events "
        "kept, the projections not closed"
    )
    result = replay(store, outcome.run_id)
    assert result.equal and result.partial, result.differences
    store.dispose()


def test_an_interrupted_run_is_left_out_of_the_replication_statistics(tmp_path: Path) -> None:
    from sim.analysis.experiments import replication_report

    scenario = load_scenario(QUICKSTART)
    store = Store(tmp_path / "s.db")
    done = run_scenario(scenario, store, writer="inline").run_id
    with pytest.raises(RunInterrupted) as caught:
        run_scenario(scenario, store, writer="inline", progress=signal_at(0.5, signal.SIGINT))
    stopped = caught.value.outcome.run_id
    report = replication_report(store, [done, stopped])
    assert (report["runs"], report["failed"]) == ([done], [stopped])
    assert report["kpis"]["dials"]["n"] == 1  # one run in each interval
    store.dispose()


def test_an_ignored_signal_stays_ignored(tmp_path: Path, full_log: list[Any]) -> None:
    """A shell starts a background job (``sim run ... &``) with SIGINT ignored,
    so that the terminal's Ctrl-C stops only the foreground job: the run
    keeps it ignored and completes."""
    store = Store(tmp_path / "s.db")
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        outcome = run_scenario(
            load_scenario(QUICKSTART),
            store,
            writer="inline",
            progress=signal_at(0.3, signal.SIGINT),
        )
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
    assert outcome.status == "completed" and outcome.events == len(full_log)
    store.dispose()
