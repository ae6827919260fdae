"""The compact token log against a plain dict model, and the replayed responses."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.connect.idempotency import TokenLog, uuid_bytes, uuid_str
from sim.connect.ids import new_uuid

RETENTION = 100.0


class DictModel:
    """What a token log must answer: the last value recorded, until its forget time."""

    def __init__(self) -> None:
        self.records: dict[str, tuple[bytes, bytes, float]] = {}

    def add(self, token: str, forget: float, value: bytes, tail: bytes) -> None:
        self.records[token] = (value, tail, forget)

    def get(self, token: str, now: float) -> tuple[bytes, bytes] | None:
        hit = self.records.get(token)
        return None if hit is None or hit[2] <= now else (hit[0], hit[1])


def _run(ops: list[tuple[str, Any]], tokens: list[str]) -> None:
    log, model = TokenLog(4), DictModel()
    now = 0.0
    for op, arg in ops:
        if op == "tick":
            now += arg
            log.prune(now)
        elif op == "add":
            token, value, tail = tokens[arg[0] % len(tokens)], arg[1], arg[2]
            log.prune(now)
            log.add(token, now + RETENTION, value, tail)
            model.add(token, now + RETENTION, value, tail)
        else:
            token = tokens[arg % len(tokens)]
            assert log.get(token, now) == model.get(token, now)
    for token in tokens:
        assert log.get(token, now) == model.get(token, now)
    assert len(log) == sum(1 for _, _, forget in model.records.values() if forget > now)


TOKENS = st.lists(st.text(max_size=12), min_size=1, max_size=30, unique=True)
TAILS = st.binary(max_size=40)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("tick"), st.floats(0.0, 60.0)),
        st.tuples(
            st.just("add"),
            st.tuples(
                st.integers(0, 100), st.binary(min_size=4, max_size=4), st.binary(max_size=40)
            ),
        ),
        st.tuples(st.just("get"), st.integers(0, 100)),
    ),
    max_size=200,
)


@settings(max_examples=200, deadline=None)
@given(OPS, TOKENS)
def test_token_log_answers_as_a_dict_would(ops: list[tuple[str, Any]], tokens: list[str]) -> None:
    _run(ops, tokens)


def test_token_log_stays_exact_through_compactions_and_growth() -> None:
    """Tens of thousands of tokens: the table grows, forgotten heads are cut off."""
    rng = random.Random(7)
    tokens = [f"tok-{i}" for i in range(3000)] + ["é", "\ud800", "", "x" * 500]
    ops: list[tuple[str, Any]] = []
    for _ in range(40_000):
        u = rng.random()
        if u < 0.5:
            ops.append(("add", (rng.randrange(10**6), rng.randbytes(4), rng.randbytes(3))))
        elif u < 0.9:
            ops.append(("get", rng.randrange(10**6)))
        else:
            ops.append(("tick", rng.uniform(0, 5)))
    _run(ops, tokens)


def test_token_log_memory_is_a_few_dozen_bytes_a_token() -> None:
    log = TokenLog(16)
    rng = random.Random(1)
    for i in range(50_000):
        log.add(f"s0-0-{i}", 1e9, uuid_bytes(new_uuid(rng)))
    columns = (log._hashes, log._forget, log._ends, log._toklen, log._slots)
    size = len(log._arena) + sum(c.itemsize * len(c) for c in columns)
    assert size / 50_000 < 70


def test_uuid_bytes_round_trip() -> None:
    rng = random.Random(3)
    for _ in range(1000):
        u = new_uuid(rng)
        assert uuid_str(uuid_bytes(u)) == u
