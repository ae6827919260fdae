"""Dial-request buffers: a FIFO per campaign plus one expiry heap for all.

No per-request timers exist. Each buffered request sits in its campaign's
deque and has an entry ``(expiration, seq, request)`` in a shared heap; an
entry whose request is ``done`` (taken, expired) is skipped when met (lazy
deletion), and both structures are compacted when stale entries outnumber
live ones, so every operation is O(log n) amortised.
"""

from __future__ import annotations

import heapq
from collections import deque
from itertools import count

from sim.connect.idempotency import TokenLog, uuid_bytes, uuid_str
from sim.domain import DialRequest, Event

EXPIRED = "DIAL_REQUEST_EXPIRED"
REASON_EXPIRED = "expired"
REASON_STOPPED = "campaign_stopped"


def expire(request: DialRequest, time: float, reason: str) -> Event:
    """End ``request`` (done) with its DIAL_REQUEST_EXPIRED event."""
    request.done = True
    request.version += 1
    payload = {"campaign_id": request.campaign_id, "reason": reason}
    return Event(request.id, request.version, EXPIRED, time, payload)


class CampaignBuffer:
    """One campaign's waiting requests (FIFO) and its accepted client tokens."""

    __slots__ = ("live", "queue", "tokens")

    def __init__(self) -> None:
        self.queue: deque[DialRequest] = deque()
        self.live = 0  # requests in ``queue`` that are not done
        # clientToken -> dial request id (16 bytes) until its forget time, in
        # a compact log: a week of tokens is the largest thing a long run holds.
        self.tokens = TokenLog(16)

    def token_id(self, token: str, now: float) -> str | None:
        """The request id accepted earlier under ``token``, if still remembered."""
        hit = self.tokens.get(token, now)
        return uuid_str(hit[0]) if hit is not None else None

    def remember_token(self, token: str, request_id: str, forget: float) -> None:
        """Answer ``token`` with ``request_id`` until ``forget``."""
        self.tokens.add(token, forget, uuid_bytes(request_id))

    def prune_tokens(self, now: float) -> None:
        """Forget tokens past their retention, from the oldest: O(1) amortised."""
        self.tokens.prune(now)


class Buffers:
    """All campaign buffers and the shared expiry heap."""

    def __init__(self) -> None:
        self.by_campaign: dict[str, CampaignBuffer] = {}
        self._heap: list[tuple[float, int, DialRequest]] = []
        self._seq = count()
        self._live_total = 0

    def add_campaign(self, campaign_id: str) -> CampaignBuffer:
        buf = self.by_campaign[campaign_id] = CampaignBuffer()
        return buf

    def push(self, buf: CampaignBuffer, requests: list[DialRequest]) -> None:
        """Append accepted requests at the tail of ``buf``."""
        heap, seq = self._heap, self._seq
        for r in requests:
            r.done = False
            buf.queue.append(r)
            heapq.heappush(heap, (r.expiration, next(seq), r))
        buf.live += len(requests)
        self._live_total += len(requests)

    def take(self, campaign_id: str, n: int, now: float) -> tuple[list[DialRequest], list[Event]]:
        """Pop up to ``n`` live requests FIFO; expired ones met on the way end EXPIRED."""
        buf = self.by_campaign[campaign_id]
        taken: list[DialRequest] = []
        events: list[Event] = []
        queue = buf.queue
        while queue and len(taken) < n:
            r = queue.popleft()
            if r.done:
                continue
            buf.live -= 1
            self._live_total -= 1
            if r.expiration <= now:
                events.append(expire(r, r.expiration, REASON_EXPIRED))
            else:
                r.done = True  # out of the buffer: the engine owns it now
                taken.append(r)
        self._compact()
        return taken, events

    def next_expiration(self) -> float | None:
        """Earliest expiration among live buffered requests."""
        heap = self._heap
        while heap and heap[0][2].done:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def expire_due(self, now: float) -> list[Event]:
        """End EXPIRED every live request with expiration <= now (at its expiration)."""
        heap = self._heap
        events: list[Event] = []
        touched: set[str] = set()
        while heap and heap[0][0] <= now:
            _, _, r = heapq.heappop(heap)
            if r.done:
                continue
            self.by_campaign[r.campaign_id].live -= 1
            self._live_total -= 1
            touched.add(r.campaign_id)
            events.append(expire(r, r.expiration, REASON_EXPIRED))
        for campaign_id in touched:
            _compact_queue(self.by_campaign[campaign_id])
        self._compact()
        return events

    def drain(self, campaign_id: str, now: float, reason: str) -> list[Event]:
        """End every live request of a campaign (stop / delete) at ``now``."""
        buf = self.by_campaign[campaign_id]
        events = [expire(r, now, reason) for r in buf.queue if not r.done]
        self._live_total -= buf.live
        buf.live = 0
        buf.queue.clear()
        self._compact()
        return events

    def _compact(self) -> None:
        """Rebuild the heap once stale entries dominate (amortised O(1))."""
        heap = self._heap
        if len(heap) <= 2 * self._live_total + 1024:
            return
        seen: set[int] = set()
        fresh = []
        for entry in heap:
            r = entry[2]
            if not r.done and id(r) not in seen:
                seen.add(id(r))
                fresh.append(entry)
        heapq.heapify(fresh)
        self._heap = fresh

    def __len__(self) -> int:
        """Heap entries, live or stale (for tests of the compaction bound)."""
        return len(self._heap)


def _compact_queue(buf: CampaignBuffer) -> None:
    """Drop done requests from a deque once they outnumber live ones."""
    if len(buf.queue) > 2 * buf.live + 64:
        buf.queue = deque(r for r in buf.queue if not r.done)
