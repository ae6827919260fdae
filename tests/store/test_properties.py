"""Property: the fold does not depend on how the log is chunked, nor on interleaving."""

from __future__ import annotations

import itertools
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.domain import Event, Outcome
from sim.store import ProjectionRows, Projector

from .factories import START, Log, agent_for_contact, expired_contact, request

OUTCOMES = list(Outcome)


def lifecycles(draw_outcomes: list[list[Outcome]]) -> list[list[Event]]:
    """One event list per request (with its contacts), plus one per connected agent."""
    lists = []
    for i, outcomes in enumerate(draw_outcomes):
        log, agent_log = Log(), Log()
        agent = f"a{i}"
        if Outcome.EXPIRED in outcomes:  # its contact is never dialed
            expired_contact(log, f"r{i}", f"c{i % 3}", START + 7.0 * i, START + 3000.0 + i)
            lists.append(log.events)
            continue
        made = request(log, f"r{i}", f"c{i % 3}", START + 7.0 * i, outcomes, agent=agent)
        for cid, times in made:
            if times.agent_on is not None:
                agent_for_contact(agent_log, agent, cid, times)
        lists += [log.events, agent_log.events]
    return [lst for lst in lists if lst]


def interleave(lists: list[list[Event]], rng: random.Random) -> list[Event]:
    """A random merge keeping each list's own order (stream versions stay increasing)."""
    cursors = [0] * len(lists)
    out: list[Event] = []
    live = [i for i, lst in enumerate(lists) if lst]
    while live:
        i = rng.choice(live)
        out.append(lists[i][cursors[i]])
        cursors[i] += 1
        if cursors[i] == len(lists[i]):
            live.remove(i)
    return out


def fold(events: list[Event], cuts: list[int], interval: float) -> ProjectionRows:
    p = Projector(interval)
    out = ProjectionRows()
    bounds = [0, *sorted(c % (len(events) + 1) for c in cuts), len(events)]
    for lo, hi in itertools.pairwise(bounds):
        got = p.feed(events[lo:hi])
        out.contacts += got.contacts
        out.agent_intervals += got.agent_intervals
    out.interval_kpis = p.close(START + 7200.0).interval_kpis
    return out


scenario = st.lists(
    st.lists(st.sampled_from(OUTCOMES), min_size=1, max_size=3), min_size=1, max_size=12
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scenario,
    st.randoms(use_true_random=False),
    st.lists(st.integers(0, 10_000), max_size=8),
    st.sampled_from([60.0, 300.0, 900.0]),
)
def test_chunking_never_changes_the_projections(
    outcomes: list[list[Outcome]], rng: random.Random, cuts: list[int], interval: float
) -> None:
    events = interleave(lifecycles(outcomes), rng)
    whole = fold(events, [], interval)
    assert fold(events, cuts, interval) == whole
    assert fold(events, list(range(len(events))), interval) == whole  # one event per feed


@settings(max_examples=40, deadline=None)
@given(scenario, st.randoms(use_true_random=False), st.randoms(use_true_random=False))
def test_interleaving_only_changes_emission_order(
    outcomes: list[list[Outcome]], rng1: random.Random, rng2: random.Random
) -> None:
    lists = lifecycles(outcomes)
    a = fold(interleave(lists, rng1), [], 900.0)
    b = fold(interleave(lists, rng2), [], 900.0)

    def no_seq(rows: list[tuple], seq_at: int) -> set[tuple]:
        return {r[:seq_at] + r[seq_at + 1 :] for r in rows}

    assert no_seq(a.contacts, 1) == no_seq(b.contacts, 1)
    assert no_seq(a.agent_intervals, 2) == no_seq(b.agent_intervals, 2)
    assert a.interval_kpis == b.interval_kpis
