"""Waiting contacts under calling hours: one queue per zone, FIFO across open zones."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.connect.buffer import CampaignBuffer
from sim.connect.timezones import UNRESOLVED
from sim.connect.v2config import CallingWindow, CommunicationTime
from sim.connect.zoned import ZonedQueue
from sim.domain import DialRequest

# Monday 2027-01-11 12:00 UTC = 07:00 New York, 04:00 Los Angeles.
T0 = datetime(2027, 1, 11, 12, 0, tzinfo=UTC).timestamp()
NYC, LAX, CHI = "+12125550100", "+13105550100", "+13125550100"  # 212, 310, 312
NINE_TO_FIVE = CallingWindow(tuple(((540, 1020),) for _ in range(7)), ())


def config(
    window: CallingWindow | None = NINE_TO_FIVE, default: str | None = None
) -> CommunicationTime:
    return CommunicationTime(default, ("AREA_CODE",), None, window)


def request(i: int, phone: str, expiration: float = T0 + 86400) -> DialRequest:
    return DialRequest(f"r{i}", "c", f"t{i}", phone, expiration, T0, 1)


def fill(queue: ZonedQueue, phones: list[str], now: float = T0) -> None:
    for i, phone in enumerate(phones):
        r = request(i, phone)
        queue.push(r, f"c{i}", now, queue.resolve(r))


def take(queue: ZonedQueue, now: float, n: int = 100) -> list[str]:
    heads = queue.open_heads(now)
    out = []
    while heads and len(out) < n:
        out.append(queue.pop_next(heads).contact_id)
    return out


def test_closed_zones_wait_and_open_zones_are_taken_in_fifo_order() -> None:
    queue = ZonedQueue("c", config())
    fill(queue, [LAX, NYC, CHI, NYC, LAX, CHI])
    assert take(queue, T0) == []  # 07:00 in New York: nothing open yet
    assert queue.next_opening(T0) == T0 + 2 * 3600  # 09:00 New York
    ten_ny = T0 + 3 * 3600  # 10:00 New York, 09:00 Chicago, 07:00 Los Angeles
    assert take(queue, ten_ny) == ["c1", "c2", "c3", "c5"]
    assert queue.next_opening(ten_ny) == T0 + 5 * 3600  # 09:00 Los Angeles
    assert len(queue) == 2
    assert take(queue, T0 + 5 * 3600) == ["c0", "c4"]


def test_a_dialed_contact_carries_its_zone_and_its_wait_for_the_window() -> None:
    queue = ZonedQueue("c", config())
    fill(queue, [NYC])
    heads = queue.open_heads(T0 + 3 * 3600)
    contact = queue.pop_next(heads)
    assert contact.time_zone == "America/New_York"
    assert contact.window_wait_s == 2 * 3600


def test_expiry_applies_while_a_zone_is_closed() -> None:
    queue = ZonedQueue("c", config())
    queue.push(request(0, LAX, T0 + 60), "c0", T0, queue.resolve(request(0, LAX)))
    queue.push(request(1, NYC, T0 + 30), "c1", T0, queue.resolve(request(1, NYC)))
    assert queue.next_expiration() == T0 + 30
    assert queue.pop_expired(T0 + 10) is None
    got = queue.pop_expired(T0 + 100)
    assert got is not None and got.contact_id == "c1"
    got = queue.pop_expired(T0 + 100)
    assert got is not None and got.contact_id == "c0"
    assert len(queue) == 0 and queue.next_opening(T0) is None


def test_unresolved_recipients_are_dropped_unless_there_is_a_default() -> None:
    toll_free = request(0, "+18005550100")
    assert ZonedQueue("c", config()).resolve(toll_free) == UNRESOLVED
    buf = CampaignBuffer("c", False)
    buf.set_calling_hours(config())
    buf.ingesting = 1
    events = buf.created([(toll_free, "k0")], T0, accepting=True)
    assert [e.type for e in events] == ["DISCONNECTED", "COMPLETED", "DIAL_REQUEST_EXPIRED"]
    assert events[-1].payload["reason"] == "DROPPED_MISSING_TIMEZONE"
    assert len(buf.waiting) == 0 and buf.pending == 0
    queue = ZonedQueue("c", config(default="America/Chicago"))
    assert queue.resolver.key(queue.resolve(toll_free)) == ("America/Chicago",)


def test_restricted_dates_keep_a_zone_closed() -> None:
    holiday = CallingWindow(NINE_TO_FIVE.open_hours, ((date(2027, 1, 11), date(2027, 1, 12)),))
    queue = ZonedQueue("c", config(holiday))
    fill(queue, [NYC])
    assert take(queue, T0 + 3 * 3600) == []
    assert queue.next_opening(T0) == T0 + 26 * 3600  # Tuesday 09:00 New York


def test_drain_returns_every_contact_in_arrival_order() -> None:
    queue = ZonedQueue("c", config())
    fill(queue, [LAX, NYC, CHI, NYC])
    assert [c.contact_id for c in queue.drain()] == ["c0", "c1", "c2", "c3"]
    assert len(queue) == 0


PHONES = st.sampled_from([NYC, LAX, CHI, "+13035550100"])  # 303: Denver


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(PHONES, st.integers(0, 48)), min_size=1, max_size=60))
def test_takes_match_a_naive_scan(items: list[tuple[str, int]]) -> None:
    """Taking at random instants equals scanning the whole list for the oldest open contact."""
    queue = ZonedQueue("c", config())
    pending: list[tuple[int, str]] = []
    for i, (phone, _) in enumerate(items):
        r = request(i, phone)
        zone = queue.resolve(r)
        queue.push(r, f"c{i}", T0, zone)
        pending.append((i, queue.resolver.key(zone)[0]))
    hours = {z: queue.book.hours((z,)) for _, z in pending}
    for _, half_hours in items:
        now = T0 + half_hours * 1800
        want = [f"c{i}" for i, z in pending if hours[z].is_open(now)][:3]
        assert take(queue, now, 3) == want
        pending = [(i, z) for i, z in pending if f"c{i}" not in want]
        assert len(queue) == len(pending)
