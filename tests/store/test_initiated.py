"""The projector's compact table of INITIATED-only contacts: lossless, and invisible
in the projection rows however the log is chunked."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.connect.ids import new_uuid
from sim.domain import Event, Outcome
from sim.store import ProjectionRows, Projector, projector
from sim.store import contact as fold
from sim.store.contact import C_REQUEST, C_SEQ, State
from sim.store.initiated import InitiatedTable

from .factories import START
from .test_properties import OUTCOMES, interleave, lifecycles

_ID_KEYS = ("contact_id", "request_identifier")


def _with_uuids(events: list[Event], rng: random.Random) -> list[Event]:
    """The log with every stream id (and id in a payload) a canonical UUID."""
    ids: dict[Any, str] = {}

    def uuid(value: Any) -> Any:
        if value is None:
            return None
        if value not in ids:
            ids[value] = new_uuid(rng)
        return ids[value]

    out = []
    for stream, version, type_, t, payload in events:
        p = {k: uuid(v) if k in _ID_KEYS else v for k, v in payload.items()}
        out.append(Event(uuid(stream), version, type_, t, p))
    return out


def _initiated_state(rng: random.Random, born: int, **changes: Any) -> State:
    cid = new_uuid(rng)
    st = fold.new_state(cid)
    payload = {
        "campaign_id": rng.choice(["c1", "c2", None]),
        "request_identifier": rng.choice([new_uuid(rng), None]),
        "instance_id": "i-1",
        "queue_id": rng.choice(["q", None]),
        "customer_endpoint": rng.choice([f"+1212555{rng.randrange(10_000):04d}", None]),
        "system_endpoint": "+15550199",
    }
    payload.update(changes)
    fold.initiated(st, Event(cid, 1, "INITIATED", START + rng.random() * 1e5, payload))
    st[C_SEQ] = born
    return st


@settings(max_examples=80, deadline=None)
@given(st.randoms(use_true_random=False), st.lists(st.integers(0, 9), min_size=1, max_size=400))
def test_table_equals_a_dict(rng: random.Random, ops: list[int]) -> None:
    """freeze / thaw against a dict of the states: every thaw gives the state back."""
    table, model = InitiatedTable(), dict[str, State]()
    born = 0
    for op in ops:
        if op < 6 or not model:  # freeze a new state
            born += 1
            st = _initiated_state(rng, born)
            if st[0] in model:  # a drawn id repeats: one contact per id
                continue
            assert table.freeze(list(st))
            model[st[0]] = st
        elif op < 9:  # thaw one, or look up an id never stored
            cid = rng.choice(list(model))
            assert table.thaw(cid) == model.pop(cid)
            assert table.thaw(cid) is None
            other = new_uuid(rng)
            if other not in model:
                assert table.thaw(other) is None
        else:  # the same id in capitals is another (non-canonical) id
            cid = next(iter(model))
            if cid.upper() != cid:
                assert table.thaw(cid.upper()) is None
        assert len(table) == len(model)
    assert sorted(table.drain(), key=lambda s: s[C_SEQ]) == sorted(
        model.values(), key=lambda s: s[C_SEQ]
    )
    assert len(table) == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"request_identifier": "not-a-uuid"},
        {"customer_endpoint": "0555"},
        {"customer_endpoint": "+1" + "9" * 19},
        {"campaign_id": ["a", "list"]},
    ],
)
def test_what_cannot_round_trip_is_refused(changes: dict[str, Any]) -> None:
    st = _initiated_state(random.Random(1), 1, **changes)
    assert not InitiatedTable().freeze(st)


def test_a_dialed_state_is_refused() -> None:
    rng = random.Random(2)
    st = _initiated_state(rng, 1)
    fold.dialed(st, Event(st[C_REQUEST] or "r", 2, "DIAL_REQUEST_DIALED", START + 1e6, {}))
    assert not InitiatedTable().freeze(st)


def _fold(events: list[Event], cuts: list[int]) -> tuple[ProjectionRows, int]:
    p = Projector(900.0)
    out = ProjectionRows()
    bounds = sorted({0, *(c % (len(events) + 1) for c in cuts), len(events)})
    most = 0
    for lo, hi in itertools.pairwise(bounds):
        got = p.feed(events[lo:hi])
        out.contacts += got.contacts
        out.agent_intervals += got.agent_intervals
        most = max(most, len(p._frozen))
    last = p.close(START + 7200.0)
    out.contacts += last.contacts
    out.agent_intervals += last.agent_intervals
    out.interval_kpis = last.interval_kpis
    return out, most


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(st.sampled_from(OUTCOMES), min_size=1, max_size=3), min_size=1, max_size=12),
    st.randoms(use_true_random=False),
    st.lists(st.integers(0, 10_000), max_size=8),
    st.integers(0, 40),
)
def test_freezing_never_changes_the_projections(
    outcomes: list[list[Outcome]], rng: random.Random, cuts: list[int], end_at: int
) -> None:
    """Frozen after one event or never: the same rows, also for a log cut short
    (contacts still open, some frozen, at close)."""
    events = _with_uuids(interleave(lifecycles(outcomes), rng), rng)
    events = events[: max(1, len(events) - end_at)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(projector, "FREEZE_AFTER", 10**9)
        never, _ = _fold(events, [])
        mp.setattr(projector, "FREEZE_AFTER", 1)
        frozen, _ = _fold(events, cuts)
        one_by_one, _ = _fold(events, list(range(len(events))))
    assert frozen == never
    assert one_by_one == never


@pytest.mark.parametrize("end_at", [0, 3, 20])
def test_contacts_waiting_long_are_frozen_and_come_back_equal(end_at: int) -> None:
    """Twelve contacts created, then expired one after another (in time order): each
    waits frozen; the rows equal the unfrozen fold's, cut short or not."""
    outcomes = [[Outcome.EXPIRED]] * 6 + [[Outcome.CONNECTED]] * 6
    lists = lifecycles(outcomes)
    rng = random.Random(5)
    events = sorted(_with_uuids([e for lst in lists for e in lst], rng), key=lambda e: e[3])
    events = events[: len(events) - end_at]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(projector, "FREEZE_AFTER", 10**9)
        never, none_frozen = _fold(events, list(range(len(events))))
        mp.setattr(projector, "FREEZE_AFTER", 4)
        frozen, most = _fold(events, list(range(len(events))))
    assert none_frozen == 0
    assert most >= 6
    assert frozen == never
