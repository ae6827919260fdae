"""The client's redials: a number submitted again, as a new dial request.

Amazon Connect does not redial a v1 dial request: the client resubmits the
number through PutDialRequestBatch with a new clientToken and a new
expirationTime (docs/connect.md). The ``RedialFeed`` is that client for one
campaign, following its scenario ``redial`` policy: when an attempt ends in
one of ``on`` and fewer than ``max_attempts`` were made, it records
DIAL_REQUEST_RETRY_SCHEDULED (with the clientToken it will use) on the ended
request's stream, and ``delay`` later submits the number, batching the
redials due together into calls of up to 25. They go through the quota, the
buffer limit and the client's retries like any other request.
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import Any

from sim.domain import EventType
from sim.domain.events import DialRequestRetryScheduled
from sim.engine.call import Call
from sim.engine.loader import PendingBatch, SourceFeed
from sim.engine.sources import Row
from sim.scenario import RedialPolicy

MAX_ITEMS = 25


class RedialFeed(SourceFeed):
    """Submits a campaign's redials when they fall due (see the module docstring)."""

    def __init__(self, policy: RedialPolicy, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.exhausted = True  # it has no list of its own; ``pending`` says what waits
        # A heap of (when, seq, clientToken, row): with one delay for every outcome it
        # pops in submission order; with a delay per outcome, in due order.
        self.due: list[tuple[float, int, str, Row]] = []
        self.active = False  # a submission is scheduled or under way
        self._attempt_of_token: dict[str, int] = {}
        # Accepted redials' request ids -> attempt number, until dialed or expired.
        self._attempts: dict[str, int] = {}
        self._forget: deque[tuple[float, str]] = deque()

    @property
    def pending(self) -> int:
        """Redials scheduled or being submitted."""
        return len(self.due) + self.outstanding

    def attempt_of(self, request_id: str) -> int:
        """The attempt a request being dialed is: 1, or that of an accepted redial."""
        return self._attempts.pop(request_id, 1)

    def consider(self, call: Call) -> None:
        """A dialed attempt ended: schedule its number again if the policy says so."""
        policy = self.policy
        outcome = call.outcome or ""
        if outcome not in policy.on or call.attempt >= policy.max_attempts:
            return
        now = self.clock.now
        when = now + policy.delays.get(outcome, policy.delay)
        self.seq += 1
        token = f"{self.prefix}-{self.seq}"
        contact = call.contact
        payload: DialRequestRetryScheduled = {
            "campaign_id": self.campaign_id,
            "attempt": call.attempt + 1,
            "retry_at": when,
            "outcome": outcome,
            "client_token": token,
        }
        call.request_version += 1
        self.emitter.emit(
            contact.request_id,
            call.request_version,
            EventType.DIAL_REQUEST_RETRY_SCHEDULED,
            now,
            payload,
        )
        self._attempt_of_token[token] = call.attempt + 1
        row = (contact.phone_number, contact.attributes or {})
        heapq.heappush(self.due, (when, self.seq, token, row))
        if not self.active:
            self._next()

    def _next(self) -> None:
        """Schedule the next submission if a redial waits (called after each one)."""
        if not self.due:
            self.active = False
            return
        self.active = True
        at = max(self.due[0][0], self.next_free)
        self.clock.call_in(at - self.clock.now, self._flush)

    def _flush(self, _arg: Any = None) -> None:
        now = self.clock.now
        if now >= self.end_ts:
            self.active = False  # the run is over: what is due stays pending
            return
        due = self.due
        items: list[tuple[str, Row]] = []
        while due and due[0][0] <= now and len(items) < MAX_ITEMS:
            _, _, token, row = heapq.heappop(due)
            items.append((token, row))
        if not items:
            self._next()
            return
        self.outstanding += 1
        self._submit(PendingBatch(items, now + self.expires_after))

    def _on_accepted(self, successes: list[dict[str, Any]]) -> None:
        now = self.clock.now
        forget = self._forget
        while forget and forget[0][0] <= now:
            self._attempts.pop(forget.popleft()[1], None)
        expires = now + self.expires_after
        for item in successes:
            attempt = self._attempt_of_token.pop(item["clientToken"], None)
            if attempt is not None:
                self._attempts[item["id"]] = attempt
                forget.append((expires, item["id"]))

    def _maybe_done(self) -> None:
        """A redial feed is never done: the model asks ``pending`` instead."""
