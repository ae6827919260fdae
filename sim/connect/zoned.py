"""A campaign's waiting contacts under calling hours: one compact queue per time zone.

A campaign with ``communicationTimeConfig`` resolves each contact's zone once,
when BatchPutContact created it (``ZoneResolver``), and files it in the
``ContactQueue`` of that zone key, numbered in arrival order. The dialer
takes from the zones open now, oldest first across them, by merging the
heads of the open zones' queues on their arrival numbers: a closed zone is
passed over as a whole, never scanned contact by contact. Expiry works per
zone queue exactly as in an unzoned campaign (one heap entry per run), so a
contact still expires while its zone is closed.

Cost: O(zones) to find the open zones at each take, O(log zones) per contact
taken, nothing per contact waiting beyond the queue's columns and one
8-byte arrival number.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator

from sim.connect.hours import Hours, HoursBook, next_open_through
from sim.connect.timezones import UNRESOLVED, ZoneResolver
from sim.connect.v2config import CommunicationTime
from sim.connect.waiting import ContactQueue
from sim.domain import DialRequest, WaitingContact

OpenHeads = list[tuple[int, int]]  # (arrival number of a queue's head, zone id)


class _Zone:
    """One zone key's queue and calling hours."""

    __slots__ = ("hours", "name", "queue")

    def __init__(self, campaign_id: str, name: str, hours: Hours) -> None:
        self.name = name
        self.hours = hours
        self.queue = ContactQueue(campaign_id)


class ZonedQueue:
    """Waiting contacts grouped by the recipient's zone, FIFO across open zones."""

    def __init__(self, campaign_id: str, config: CommunicationTime) -> None:
        self.campaign_id = campaign_id
        self.config = config
        self.resolver = ZoneResolver(config)
        self.book = HoursBook(config.telephony)
        self._zones: dict[int, _Zone] = {}
        self._seq = 0
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def resolve(self, request: DialRequest) -> int:
        """The recipient's interned zone id; UNRESOLVED (0) if it has none."""
        return self.resolver.resolve(request.phone_number, request.attributes)

    def push(self, request: DialRequest, contact_id: str, now: float, zone_id: int) -> None:
        """A created contact of a resolved zone starts waiting."""
        zone = self._zones.get(zone_id)
        if zone is None:
            key = self.resolver.key(zone_id)
            zone = _Zone(self.campaign_id, "|".join(key), self.book.hours(key))
            self._zones[zone_id] = zone
        zone.queue.push(request, contact_id, now, self._seq)
        self._seq += 1
        self._size += 1

    # -- dialing ----------------------------------------------------------------

    def open_heads(self, now: float, lead: float = 0.0) -> OpenHeads:
        """A heap of the heads of the zones that have contacts and are open at ``now``
        (and, with a ``lead``, stay open through ``now + lead``)."""
        heads = [
            (zone.queue.head_seq(), zone_id)
            for zone_id, zone in self._zones.items()
            if len(zone.queue) and _usable(zone.hours, now, lead)
        ]
        heapq.heapify(heads)
        return heads

    def pop_next(self, heads: OpenHeads) -> WaitingContact:
        """The oldest contact among the open zones of ``heads`` (non-empty), removed."""
        _, zone_id = heads[0]
        zone = self._zones[zone_id]
        contact = zone.queue.pop()
        assert contact is not None
        self._size -= 1
        if len(zone.queue):
            heapq.heapreplace(heads, (zone.queue.head_seq(), zone_id))
        else:
            heapq.heappop(heads)
        return self._labelled(zone, contact)

    @staticmethod
    def _labelled(zone: _Zone, contact: WaitingContact) -> WaitingContact:
        opened = zone.hours.next_open(contact.created_at)
        wait = 0.0 if opened is None else max(0.0, opened - contact.created_at)
        return contact._replace(time_zone=zone.name, window_wait_s=wait)

    def next_opening(self, now: float, lead: float = 0.0) -> float | None:
        """The earliest instant after ``now`` at which a zone that has contacts and is
        closed at ``now`` opens (with a ``lead``: opens for at least ``lead``); None
        if there is none (within the hours' horizon)."""
        soonest = math.inf
        for zone in self._zones.values():
            if len(zone.queue) and not _usable(zone.hours, now, lead):
                hours = zone.hours
                opens = next_open_through(hours, now, lead) if lead else hours.next_open(now)
                if opens is not None and opens < soonest:
                    soonest = opens
        return None if soonest == math.inf else soonest

    # -- expiry -----------------------------------------------------------------

    def next_expiration(self) -> float | None:
        """The earliest expiration among every zone's waiting contacts."""
        soonest: float | None = None
        for zone in self._zones.values():
            when = zone.queue.next_expiration()
            if when is not None and (soonest is None or when < soonest):
                soonest = when
        return soonest

    def pop_expired(self, now: float) -> WaitingContact | None:
        """The contact with the earliest expiration if it is <= ``now``, removed."""
        best: _Zone | None = None
        best_at = math.inf
        for zone in self._zones.values():
            when = zone.queue.next_expiration()
            if when is not None and when < best_at:
                best, best_at = zone, when
        if best is None or best_at > now:
            return None
        contact = best.queue.pop_expired(now)
        assert contact is not None
        self._size -= 1
        return contact._replace(time_zone=best.name)

    def drain(self) -> Iterator[WaitingContact]:
        """Every waiting contact, in arrival order across zones, removed."""
        heads = [(z.queue.head_seq(), i) for i, z in self._zones.items() if len(z.queue)]
        heapq.heapify(heads)
        while heads:
            yield self.pop_next(heads)
        for zone in self._zones.values():
            list(zone.queue.drain())  # resets each queue's runs and heap


def _usable(hours: Hours, now: float, lead: float) -> bool:
    """Open at ``now``, and through ``now + lead``: a dial taken now (a preview
    the agent reviews for up to ``lead``) is placed inside the window."""
    return hours.open_through(now, now + lead) if lead else hours.is_open(now)


__all__ = ["UNRESOLVED", "ZonedQueue"]
