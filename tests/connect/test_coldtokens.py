"""A token log that moves its oldest records to disk answers as a dict would."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.connect.idempotency import IdempotencyStore, TokenLog

from .test_idempotency import DictModel

RETENTION = 100.0


def _run(ops: list[tuple[str, Any]], tokens: list[str], hot: int) -> TokenLog:
    """Apply ``ops`` to a log keeping ``hot`` records in memory and to the model;
    every answer must agree. An add's forget time is ``now + RETENTION + skew``."""
    log, model = TokenLog(4, hot=hot), DictModel()
    now = 0.0
    for op, arg in ops:
        if op == "tick":
            now += arg
            log.prune(now)
        elif op == "add":
            k, value, tail, skew = arg
            token = tokens[k % len(tokens)]
            log.prune(now)
            log.add(token, now + RETENTION + skew, value, tail)
            model.add(token, now + RETENTION + skew, value, tail)
        else:
            token = tokens[arg % len(tokens)]
            assert log.get(token, now) == model.get(token, now)
    for token in tokens:
        assert log.get(token, now) == model.get(token, now)
    live = sum(1 for _, _, forget in model.records.values() if forget > now)
    assert len(log) >= live  # records on disk count until their segment goes
    return log


TOKENS = st.lists(st.text(max_size=8), min_size=1, max_size=20, unique=True)


def _ops(skews: st.SearchStrategy[float]) -> st.SearchStrategy[list[tuple[str, Any]]]:
    add = st.tuples(
        st.integers(0, 100), st.binary(min_size=4, max_size=4), st.binary(max_size=12), skews
    )
    return st.lists(
        st.one_of(
            st.tuples(st.just("tick"), st.floats(0.0, 40.0)),
            st.tuples(st.just("add"), add),
            st.tuples(st.just("get"), st.integers(0, 100)),
        ),
        max_size=200,
    )


@settings(max_examples=200, deadline=None)
@given(_ops(st.just(0.0)), TOKENS, st.integers(2, 9))
def test_spilled_log_answers_as_a_dict_would(
    ops: list[tuple[str, Any]], tokens: list[str], hot: int
) -> None:
    _run(ops, tokens, hot)


@settings(max_examples=200, deadline=None)
@given(_ops(st.floats(-90.0, 90.0)), TOKENS, st.integers(2, 9))
def test_spilled_log_is_exact_when_forget_times_go_backwards(
    ops: list[tuple[str, Any]], tokens: list[str], hot: int
) -> None:
    """A later record with an earlier forget time than one on disk: still the last wins."""
    _run(ops, tokens, hot)


def test_a_week_of_tokens_spills_and_expires_by_segment() -> None:
    rng = random.Random(5)
    tokens = [f"tok-{i}" for i in range(6000)] + ["é", "\ud800", "", "x" * 500]
    ops: list[tuple[str, Any]] = []
    for _ in range(30_000):
        u = rng.random()
        if u < 0.5:
            ops.append(("add", (rng.randrange(10**6), rng.randbytes(4), rng.randbytes(3), 0.0)))
        elif u < 0.95:
            ops.append(("get", rng.randrange(10**6)))
        else:
            ops.append(("tick", rng.uniform(0, 2)))
    log = _run(ops, tokens, hot=1000)
    assert log.cold_segments > 0  # the run did spill
    log.prune(1e9)
    assert (len(log), log.cold_segments) == (0, 0)  # every segment dropped
    log.close()


def test_replays_are_answered_from_disk() -> None:
    """BatchPutContact records moved to disk rebuild the same answer."""
    store = IdempotencyStore(retention_s=1e6)
    ids = ["1b4e28ba-2fa1-4d2e-883f-0016d3cca427", "6fa459ea-ee8a-4ca4-894e-db77e160355e"]
    failures = [(1, "InvalidInput", "bad number")]
    for i in range(300_000):
        store.record(f"token-{i}", bytes(16), ids[: i % 3], failures if i % 7 == 0 else [], i)
    assert store._log.cold_segments > 0
    for i in (0, 1, 7, 140_000, 299_999):
        seen = store.lookup(f"token-{i}", 300_000.0)
        assert seen is not None
        assert (seen.contact_ids, seen.failures) == (ids[: i % 3], failures if i % 7 == 0 else [])
    assert store.lookup("token-x", 300_000.0) is None
    assert store.lookup("token-0", 1e6 + 0.5) is None  # past its forget time


def test_a_record_on_disk_never_outlives_the_last_one_of_its_token() -> None:
    log = TokenLog(4, hot=2)
    log.add("a", 200.0, b"old!")
    log.add("b", 10.0, b"bbbb")
    log.add("c", 10.0, b"cccc")  # three in memory: "a" moves to disk
    assert log.cold_segments == 1
    log.add("a", 50.0, b"new!")  # forgotten before the record on disk would be
    assert log.get("a", 20.0) == (b"new!", b"")
    log.prune(60.0)  # "a"'s last record leaves memory
    assert log.get("a", 60.0) is None


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_a_run_leaves_no_token_file_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Token records spilled to disk during a run are released when the run
    ends, not at some later garbage collection (a sweep runs many runs in one
    worker process)."""
    import gc

    from sim.runner import run_scenario
    from sim.scenario import load_scenario
    from sim.store import Store

    monkeypatch.setattr(TokenLog.__init__, "__defaults__", (64,))  # spill early and often
    scenario = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "quickstart.yaml")
    store = Store(str(tmp_path / "runs.db"))
    gc.disable()  # the model is a reference cycle: only a collection would free it
    try:
        run_scenario(scenario, store, writer="inline")  # the store's own files open now
        before = len(os.listdir("/proc/self/fd"))
        outcome = run_scenario(scenario, store, writer="inline")
        after = len(os.listdir("/proc/self/fd"))
    finally:
        gc.enable()
        store.dispose()
    assert outcome.status == "completed"
    assert after == before
