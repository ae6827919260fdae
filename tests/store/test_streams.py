"""Stream numbers in a dict and a compact table, against a plain dict model."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.connect.ids import new_uuid
from sim.store.streams import StreamNumbers, UuidTable, uuid_key

END = "END"  # the terminal type of these tests
TERMINAL = frozenset({END})


class DictModel:
    """What stream numbering must give: the writer's numbering before the compact table."""

    def __init__(self) -> None:
        self.open: dict[str, int] = {}
        self.next = 1

    def numbers(self, ids: list[str], types: list[str]) -> list[int]:
        out = []
        for stream_id, type_ in zip(ids, types, strict=True):
            number = self.open.get(stream_id)
            if number is None:
                number = self.open[stream_id] = self.next
                self.next += 1
            if type_ in TERMINAL:
                del self.open[stream_id]
            out.append(number)
        return out


def _ids(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    ids = [new_uuid(rng) for _ in range(n)]
    # Ids that are not canonical UUIDs stay in the dict; an upper-case
    # spelling of a UUID is another stream than its lower-case one.
    return [*ids, "agent-1", "agent-2", ids[0].upper(), ids[1].replace("-", "")]


CHUNKS = st.lists(
    st.lists(st.tuples(st.integers(0, 63), st.booleans()), max_size=40), min_size=1, max_size=12
)


@settings(max_examples=150, deadline=None)
@given(chunks=CHUNKS, seed=st.integers(0, 2**32 - 1), sweep_every=st.integers(1, 8))
def test_numbers_match_the_dict_model(
    chunks: list[list[tuple[int, bool]]], seed: int, sweep_every: int
) -> None:
    ids = _ids(seed, 60)
    streams, model = StreamNumbers(TERMINAL, sweep_every), DictModel()
    for chunk in chunks:
        chunk_ids = [ids[k % len(ids)] for k, _ in chunk]
        types = [END if end else "EVENT" for _, end in chunk]
        assert streams.numbers(chunk_ids, types) == model.numbers(chunk_ids, types)
        assert len(streams) == len(model.open)


def test_long_open_streams_leave_the_dict_and_keep_their_numbers() -> None:
    ids = _ids(7, 5000)[:5000]
    streams = StreamNumbers(TERMINAL, sweep_every=100)
    assert streams.numbers(ids, ["EVENT"] * len(ids)) == list(range(1, 5001))
    # Newer streams push the first 5,000 out of the dict: their numbers stay.
    newer = _ids(8, 300)[:300]
    assert streams.numbers(newer, ["EVENT"] * 300) == list(range(5001, 5301))
    assert len(streams._young) < 500  # the rest moved to the compact table
    assert streams.numbers(ids[::-1], [END] * len(ids)) == list(range(5000, 0, -1))
    assert len(streams) == 300
    assert streams.numbers([ids[0]], ["EVENT"]) == [5301]  # closed: a new stream


def test_uuid_table_against_a_dict() -> None:
    rng = random.Random(3)
    keys = [rng.randbytes(16) for _ in range(3000)]
    table, model = UuidTable(), {}
    for step in range(20000):
        key = keys[rng.randrange(len(keys))]
        op = rng.random()
        if op < 0.5:
            table.put(key, step)
            model[key] = step
        elif op < 0.8:
            assert table.pop(key) == model.pop(key, None)
        else:
            assert table.get(key) == model.get(key)
        assert table.size == len(model)
    for key in keys:
        assert table.get(key) == model.get(key)


def test_uuid_key_maps_only_canonical_uuids() -> None:
    u = new_uuid(random.Random(1))
    assert uuid_key(u) == bytes.fromhex(u.replace("-", ""))
    for other in (u.upper(), u.replace("-", ""), u[:-1] + "g", " " + u[1:], "x" * 36, ""):
        assert uuid_key(other) is None
    spaced = u[:9] + " " + u[10:]  # fromhex would skip the space
    assert uuid_key(spaced) is None
