"""The waiting queue's text columns: a FIFO equal to a plain deque, frozen or not."""

from __future__ import annotations

import random
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.connect import texts
from sim.connect.ids import new_uuid
from sim.connect.texts import Frozen, Texts, freeze, thaw

Entry = tuple[str, str, str, dict[str, str] | None]


def _entry(rng: random.Random, i: int, canonical: bool = True) -> Entry:
    cid = new_uuid(rng) if canonical else f"not-a-uuid-{i}"
    attrs = None if i % 3 == 0 else {"account_id": f"ACC-{i}", "é": "ü" * (i % 4)}
    return cid, new_uuid(rng), f"+1212555{i % 10_000:04d}", attrs


def test_freeze_round_trips_and_is_small() -> None:
    rng = random.Random(1)
    entries = [_entry(rng, i) for i in range(1000)]
    columns = tuple(list(c) for c in zip(*entries, strict=True))
    frozen = freeze(columns)  # type: ignore[arg-type]
    assert frozen is not None
    assert thaw(frozen) == columns
    size = sum(len(part) for part in frozen)
    assert size < 90 * len(entries)  # ids as 16 raw bytes, one marshal blob for the rest


def test_non_canonical_ids_stay_strings() -> None:
    rng = random.Random(2)
    entries = [_entry(rng, i, canonical=i != 7) for i in range(10)]
    columns = tuple(list(c) for c in zip(*entries, strict=True))
    assert freeze(columns) is None  # type: ignore[arg-type]
    upper = [(e[0].upper(), *e[1:]) for e in entries if e[0] != "not-a-uuid-7"]
    assert freeze(tuple(list(c) for c in zip(*upper, strict=True))) is None  # type: ignore[arg-type]


def test_a_long_queue_is_frozen_and_pops_in_order() -> None:
    rng = random.Random(3)
    fifo = Texts()
    entries = [_entry(rng, i) for i in range(3 * texts.SEGMENT + 5)]
    for e in entries:
        fifo.push(*e)
    assert sum(isinstance(s, Frozen) for s in fifo.segments) == 3
    assert [fifo.pop() for _ in entries] == entries


@settings(max_examples=60, deadline=None)
@given(
    ops=st.lists(st.integers(min_value=-3, max_value=12), max_size=120),
    canonical=st.booleans(),
)
def test_fifo_equals_a_deque(ops: list[int], canonical: bool) -> None:
    """Pushes (n > 0 entries) and pops (n <= 0: 1 - n pops) against a deque,
    with tiny segments so that sealing, freezing and thawing all happen."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(texts, "SEGMENT", 8)
        mp.setattr(texts, "FREEZE_MIN", 3)
        rng = random.Random(len(ops))
        fifo, model = Texts(), deque[Entry]()
        made = 0
        for n in ops:
            if n > 0:
                for _ in range(n):
                    e = _entry(rng, made, canonical or made % 5 != 0)
                    made += 1
                    fifo.push(*e)
                    model.append(e)
            else:
                for _ in range(min(1 - n, len(model))):
                    assert fifo.pop() == model.popleft()
        while model:
            assert fifo.pop() == model.popleft()
        assert sum(len(s[0]) for s in fifo.segments if not isinstance(s, Frozen)) <= 8
