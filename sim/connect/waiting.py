"""A campaign's created contacts waiting to be dialed: a compact FIFO with expiry.

Contacts are kept as columns (arrays of floats, a bytearray of flags, and
the text columns of ``sim.connect.texts``: the strings the core made while
the queue is short, frozen into bytes segment by segment when it is long),
never as an object per contact.
They are grouped in *runs*: consecutive contacts whose expiration times do
not decrease. A contact leaves its run only from the run's head, whether it
is dialed (the FIFO head is the head of the first run) or expires (the
earliest expiration of a run is its head), so a run needs no per-contact
"done" mark, and the earliest expiration of the whole queue is the least
run head: one heap entry per run, not per contact. A queue fed by one
source has one run.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import deque
from collections.abc import Iterator
from itertools import count

from sim.connect.texts import Texts
from sim.domain import DialRequest, WaitingContact

_NAN = math.nan
# Flag bits of the per-request AMD overrides.
_AMD_SET, _AMD_ON, _AWAIT_SET, _AWAIT_ON = 1, 2, 4, 8


def _flags(request: DialRequest) -> int:
    flags = 0
    if request.amd_enabled is not None:
        flags |= _AMD_SET | (_AMD_ON if request.amd_enabled else 0)
    if request.await_prompt is not None:
        flags |= _AWAIT_SET | (_AWAIT_ON if request.await_prompt else 0)
    return flags


class _Run:
    """Contacts with non-decreasing expirations, taken from the head only."""

    __slots__ = (
        "accepted",
        "created",
        "expiration",
        "flags",
        "head",
        "in_heap",
        "ring_timeout",
        "seq",
        "texts",
    )

    def __init__(self) -> None:
        self.texts = Texts()  # contact id, request id, phone number, attributes
        self.accepted = array("d")
        self.created = array("d")
        self.expiration = array("d")
        self.ring_timeout = array("d")  # empty until a request sets one (NaN: unset)
        self.flags = bytearray()
        self.seq = array("q")  # arrival numbers, only in an ordered queue (zones)
        self.head = 0
        self.in_heap = False

    def __len__(self) -> int:
        return len(self.expiration) - self.head

    def last_expiration(self) -> float:
        return self.expiration[-1]

    def head_expiration(self) -> float:
        return self.expiration[self.head]

    def append(self, request: DialRequest, contact_id: str, now: float) -> None:
        self.texts.push(contact_id, request.id, request.phone_number, request.attributes or None)
        self.accepted.append(request.accepted_at)
        self.created.append(now)
        ring = request.ring_timeout
        if ring is not None or self.ring_timeout:
            rings = self.ring_timeout
            if len(rings) < len(self.expiration):  # the first ring timeout: fill in
                rings.extend([_NAN] * (len(self.expiration) - len(rings)))
            rings.append(_NAN if ring is None else ring)
        self.expiration.append(request.expiration)
        self.flags.append(_flags(request))

    def pop(self, campaign_id: str) -> WaitingContact:
        """The head contact, removed."""
        i = self.head
        ring = self.ring_timeout[i] if self.ring_timeout else _NAN
        flags = self.flags[i]
        contact_id, request_id, phone, attributes = self.texts.pop()
        contact = WaitingContact(
            contact_id,
            request_id,
            campaign_id,
            phone,
            self.accepted[i],
            self.created[i],
            self.expiration[i],
            attributes,
            None if ring != ring else ring,  # NaN: the campaign's ring timeout
            bool(flags & _AMD_ON) if flags & _AMD_SET else None,
            bool(flags & _AWAIT_ON) if flags & _AWAIT_SET else None,
        )
        self.head = i + 1
        if self.head >= 1024 and 2 * self.head >= len(self.expiration):
            self._compact()
        return contact

    def _compact(self) -> None:
        """Drop the taken head (amortised O(1) per contact)."""
        h = self.head
        for numbers in (self.accepted, self.created, self.expiration):
            del numbers[:h]
        if self.ring_timeout:
            del self.ring_timeout[:h]
        del self.flags[:h]
        if self.seq:
            del self.seq[:h]
        self.head = 0


class ContactQueue:
    """One campaign's waiting contacts, FIFO, with their expirations.

    ``push`` appends at the tail, ``pop`` takes the FIFO head, ``pop_expired``
    takes the contact whose expiration is earliest if it is due. Every
    operation is O(1) amortised, or O(log runs) where the heap is involved.
    """

    def __init__(self, campaign_id: str) -> None:
        self.campaign_id = campaign_id
        self._runs: deque[_Run] = deque()
        self._heap: list[tuple[float, int, _Run]] = []  # (bound on head expiration, seq, run)
        self._seq = count()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def push(self, request: DialRequest, contact_id: str, now: float, seq: int = -1) -> None:
        """A contact BatchPutContact created for ``request`` starts waiting.

        ``seq`` (>= 0) is its arrival number across several queues (one per
        time zone): give one to every push of a queue or to none.
        """
        runs = self._runs
        tail = runs[-1] if runs else None
        if tail is None or not tail or request.expiration < tail.last_expiration():
            tail = _Run()
            runs.append(tail)
        tail.append(request, contact_id, now)
        if seq >= 0:
            tail.seq.append(seq)
        self._size += 1
        if not tail.in_heap:
            tail.in_heap = True
            heapq.heappush(self._heap, (request.expiration, next(self._seq), tail))

    def pop(self) -> WaitingContact | None:
        """The oldest waiting contact, removed; None if there is none."""
        runs = self._runs
        while runs and not runs[0]:
            runs.popleft()
        if not runs:
            return None
        self._size -= 1
        return runs[0].pop(self.campaign_id)

    def head_seq(self) -> int:
        """The arrival number of the FIFO head (an ordered, non-empty queue)."""
        runs = self._runs
        while not runs[0]:
            runs.popleft()
        run = runs[0]
        return run.seq[run.head]

    def next_expiration(self) -> float | None:
        """The earliest expiration among waiting contacts (exact)."""
        heap = self._heap
        while heap:
            bound, seq, run = heap[0]
            if not run:
                heapq.heappop(heap)
                run.in_heap = False
                continue
            actual = run.head_expiration()
            if actual != bound:  # the run's head moved on since: correct the bound
                heapq.heapreplace(heap, (actual, seq, run))
                continue
            return bound
        return None

    def pop_expired(self, now: float) -> WaitingContact | None:
        """The waiting contact with the earliest expiration if it is <= ``now``."""
        when = self.next_expiration()
        if when is None or when > now:
            return None
        run = self._heap[0][2]
        self._size -= 1
        return run.pop(self.campaign_id)

    def drain(self) -> Iterator[WaitingContact]:
        """Every waiting contact, FIFO, removed."""
        while (contact := self.pop()) is not None:
            yield contact
        self._heap.clear()
        for run in self._runs:
            run.in_heap = False
        self._runs.clear()
