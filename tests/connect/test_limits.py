"""The contact-limit ledger against a brute-force model of AWS's rolling windows."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.connect.limits import ContactLedger, counts_toward_limits, recipient_key
from sim.connect.v2config import DAY_S, Limit
from sim.domain import Outcome

T0 = 1_700_000_000.0
BOB = "+12125550100"
NUMBERS = ["+15550001", "+15550002", "+15550003"]


def _in_window(seen: list[float], at: float, lim: Limit) -> bool:
    """Brute force: one more contact at ``at`` keeps ``lim``."""
    return sum(1 for c in seen if c > at - lim.window_s) < lim.max_count


def test_four_per_two_days_and_six_per_two_weeks() -> None:
    """The admin guide's example: 4 per 2 days, 6 per 14 days."""
    ledger = ContactLedger([Limit(4, 2 * DAY_S), Limit(6, 14 * DAY_S)], epoch=T0)
    for i in range(4):
        assert ledger.allowed(BOB, T0 + i * 3600)
        ledger.record(BOB, T0 + i * 3600)
    assert not ledger.allowed(BOB, T0 + 4 * 3600)
    # The first contact leaves the rolling 2-day window 48 h after it.
    assert ledger.next_allowed(BOB, T0 + 4 * 3600) == T0 + 2 * DAY_S
    ledger.record(BOB, T0 + 2 * DAY_S)
    ledger.record(BOB, T0 + 3 * DAY_S)
    # Six in 14 days now: blocked until the first leaves that window.
    assert ledger.next_allowed(BOB, T0 + 4 * DAY_S) == T0 + 14 * DAY_S
    assert ledger.count(BOB, T0 + 4 * DAY_S, 14 * DAY_S) == 6


def test_a_recipient_never_contacted_is_allowed_and_others_are_separate() -> None:
    ledger = ContactLedger([Limit(1, DAY_S)], epoch=T0)
    ledger.record(BOB, T0)
    assert ledger.allowed("+12125550101", T0) and not ledger.allowed(BOB, T0 + 10)
    assert len(ledger) == 1


def test_times_round_up_to_the_second() -> None:
    ledger = ContactLedger([Limit(1, DAY_S)], epoch=T0)
    ledger.record(BOB, T0 + 0.25)
    assert ledger.next_allowed(BOB, T0) == T0 + 1 + DAY_S


def test_bad_numbers_and_times_are_refused() -> None:
    ledger = ContactLedger([Limit(1, DAY_S)], epoch=T0)
    for bad in ("12x", "+", "+0", ""):
        with pytest.raises(ValueError):
            recipient_key(bad)
    with pytest.raises(ValueError):
        ledger.record(BOB, T0 - 10)
    with pytest.raises(ValueError):
        ContactLedger([], epoch=T0)


def test_what_counts() -> None:
    assert counts_toward_limits(Outcome.VOICEMAIL)  # "a phone call ending in a voicemail"
    assert counts_toward_limits(Outcome.NO_ANSWER) and counts_toward_limits(Outcome.CONNECTED)
    for never_reached in (Outcome.BUSY, Outcome.INVALID_NUMBER, Outcome.RESOURCE_ERROR):
        assert not counts_toward_limits(never_reached)
    assert not counts_toward_limits(Outcome.DISCARDED)


def test_growth_keeps_every_recipient() -> None:
    ledger = ContactLedger([Limit(2, DAY_S)], epoch=T0, capacity=16)
    numbers = [f"+1{2_000_000_000 + 7919 * i}" for i in range(5000)]
    for i, n in enumerate(numbers):
        ledger.record(n, T0 + i)
    assert len(ledger) == 5000
    assert all(ledger.count(n, T0 + 5000, DAY_S) == 1 for n in numbers)
    assert ledger.nbytes < 5000 * (8 + 8 + 1) / 0.3


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 4), st.integers(1, 5)), min_size=1, max_size=2),
    st.lists(
        st.tuples(
            st.sampled_from(["+15550001", "+15550002", "+15550003"]),
            st.floats(0, 3 * DAY_S),
            st.booleans(),
        ),
        max_size=40,
    ),
)
def test_matches_a_brute_force_rolling_window(
    spec: list[tuple[int, int]], steps: list[tuple[str, float, bool]]
) -> None:
    limits = [Limit(n, days * DAY_S / 4) for n, days in spec]
    ledger = ContactLedger(limits, epoch=T0)
    history: dict[str, list[float]] = {}
    now = T0
    for number, gap, force in steps:
        now += gap
        seen = history.setdefault(number, [])
        expected = all(_in_window(seen, now, lim) for lim in limits)
        assert ledger.allowed(number, now) == expected
        later = ledger.next_allowed(number, now)
        assert later >= now and (later == now) == expected
        if not expected:  # at `later` every limit holds again, and not a second before
            assert all(_in_window(seen, later, lim) for lim in limits)
        if expected or force:
            ledger.record(number, now)
            seen.append(float(math.ceil(now)))


SPECS = st.lists(st.tuples(st.integers(1, 4), st.integers(1, 5)), min_size=1, max_size=2)
STEPS = st.lists(
    st.tuples(st.sampled_from(NUMBERS), st.floats(0, 3 * DAY_S), st.booleans()), max_size=30
)


@settings(max_examples=200, deadline=None)
@given(SPECS, SPECS, STEPS, STEPS)
def test_new_limits_count_the_history_so_far(
    before: list[tuple[int, int]],
    after: list[tuple[int, int]],
    first: list[tuple[str, float, bool]],
    then: list[tuple[str, float, bool]],
) -> None:
    """PutInstanceCommunicationLimits during a run: the new limits count every
    contact the old ledger kept (its latest ``ring`` per recipient) and the
    ones after, as the brute-force window over that history says."""
    old_limits = [Limit(n, days * DAY_S / 4) for n, days in before]
    new_limits = [Limit(n, days * DAY_S / 4) for n, days in after]
    ledger = ContactLedger(old_limits, epoch=T0)
    history: dict[str, list[float]] = {}
    now = T0
    for number, gap, _ in first:
        now += gap
        ledger.record(number, now)
        history.setdefault(number, []).append(float(math.ceil(now)))
    kept = ledger.ring
    ledger = ledger.relimited(new_limits)
    assert ledger.ring >= kept
    # What the old ledger could remember: each recipient's latest `kept` contacts.
    history = {n: seen[-kept:] for n, seen in history.items()}
    for number, gap, force in then:
        now += gap
        seen = history.setdefault(number, [])
        expected = all(_in_window(seen, now, lim) for lim in new_limits)
        assert ledger.allowed(number, now) == expected
        if expected or force:
            ledger.record(number, now)
            seen.append(float(math.ceil(now)))


def test_tighter_instance_limits_mid_run_still_see_earlier_contacts() -> None:
    """Bob was contacted twice under 3/day; the new rule 2/week blocks a third."""
    ledger = ContactLedger([Limit(3, DAY_S)], epoch=T0)
    ledger.record(BOB, T0)
    ledger.record(BOB, T0 + 3600)
    assert ledger.allowed(BOB, T0 + 7200)
    week = ledger.relimited([Limit(2, 7 * DAY_S)])
    assert not week.allowed(BOB, T0 + 7200)
    assert week.next_allowed(BOB, T0 + 7200) == T0 + 7 * DAY_S


def test_a_contact_recorded_after_a_later_one_still_counts() -> None:
    """Attempts are recorded when they end, at their dial time: a long call dialed
    at T0 ends after a short one dialed at T0 + 100. Both count, and a third and
    fourth contact inside the short call's window would be over 2 per day."""
    ledger = ContactLedger([Limit(2, DAY_S)], epoch=T0)
    ledger.record(BOB, T0 + 100)
    ledger.record(BOB, T0)
    third = T0 + DAY_S + 1  # the long call's contact left the window, the short's did not
    assert ledger.count(BOB, third, DAY_S) == 1 and ledger.allowed(BOB, third)
    ledger.record(BOB, third)
    fourth = third + 1
    assert ledger.count(BOB, fourth, DAY_S) == 2
    assert not ledger.allowed(BOB, fourth)
    assert ledger.next_allowed(BOB, fourth) == T0 + 100 + DAY_S


@settings(max_examples=200, deadline=None)
@given(
    SPECS,
    st.lists(
        st.tuples(st.sampled_from(NUMBERS), st.integers(0, 3600), st.integers(0, 4 * 3600)),
        max_size=40,
    ),
)
def test_contacts_recorded_out_of_order_match_a_brute_force_window(
    spec: list[tuple[int, int]], steps: list[tuple[str, int, int]]
) -> None:
    """Dials at increasing whole seconds whose attempts end in any order (each is recorded
    at its dial time when it ends): the ledger answers as the brute-force window
    over every dial that has ended."""
    limits = [Limit(n, days * 3600.0) for n, days in spec]
    ledger = ContactLedger(limits, epoch=T0)
    ended: dict[str, list[float]] = {}
    running: list[tuple[float, float, str]] = []  # (ends, dialed, number)
    now = T0
    for number, gap, length in steps:
        now += gap
        while running and running[0][0] <= now:
            _, dialed, who = running.pop(0)
            ledger.record(who, dialed)
            ended.setdefault(who, []).append(dialed)
        seen = ended.get(number, [])
        for lim in limits:
            assert ledger.count(number, now, lim.window_s) == min(
                ledger.ring, sum(1 for c in seen if now - lim.window_s < c <= now)
            )
        assert ledger.allowed(number, now) == all(_in_window(seen, now, lim) for lim in limits)
        running.append((now + length, now, number))
        running.sort()
