"""The list loader: submits each source's batches through the dial-request APIs.

It behaves like a well-written client of PutDialRequestBatch (v1) or
PutOutboundRequestBatch (v2): stable clientTokens, whole-request retries with
backoff on throttling and faults, item retries for RequestThrottled,
BufferLimitExceeded and UnknownError, and no retry of what the API refused as
invalid. A full campaign buffer (v1 RequestThrottled, v2 BufferLimitExceeded)
is backpressure: the feed retries those items until they are placed or
expire, and reads no further into its list meanwhile, so a list longer than
the buffer waits in its file, not in the campaign. The client's redials
(``RedialFeed``) are new requests submitted the same way.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sim.connect import ServiceError
from sim.domain import EventType
from sim.domain.events import DialRequestRejected
from sim.engine.api import RETRYABLE, ApiClient, backoff
from sim.engine.clock import Clock, Emitter
from sim.engine.sources import Batch, Row

RETRY_ITEM_CODES = frozenset({"RequestThrottled", "BufferLimitExceeded", "UnknownError"})
# An item code saying the campaign's buffer is full (v1 RequestThrottled, v2
# BufferLimitExceeded): the feed holds its next batch until the items are placed.
BUFFER_FULL_CODES = frozenset({"RequestThrottled", "BufferLimitExceeded"})
MAX_ATTEMPTS = 12
# A buffer-full retry waits as backoff's step 10 does (10-20 s): room comes as the
# campaign dials, not from a transient fault, so there is no quick first retry.
BUFFER_FULL_BACKOFF_STEP = 10
# Campaign states in which a batch is worth holding until the campaign runs.
WAITING_STATES = frozenset({"Initialized", "Paused"})


class PendingBatch:
    """A batch on its way into the campaign, with its stable tokens."""

    __slots__ = ("attempt", "expires", "first", "items")

    def __init__(self, items: list[tuple[str, Row]], expires: float) -> None:
        self.items = items  # (clientToken, row)
        self.expires = expires
        self.attempt = 0
        self.first = True  # the batch's first submission moves the feed on

    @classmethod
    def retry_of(cls, pending: PendingBatch, items: list[tuple[str, Row]]) -> PendingBatch:
        """The items of ``pending`` still to place, as a side batch."""
        retry = cls(items, pending.expires)
        retry.attempt = pending.attempt
        retry.first = False
        return retry


@dataclass(frozen=True)
class Client:
    """What a dial-request client of the core is handed: the clock, the emitter
    (for refused batches), the API, the RNG (backoff jitter, ids of refused
    requests), the horizon, and who to tell when requests were accepted."""

    clock: Clock
    emitter: Emitter
    api: ApiClient
    rng: random.Random
    end_ts: float
    accepted: Callable[[str, float], None]


class SourceFeed:
    """One source of one campaign, fed batch by batch on the simulated clock.

    ``client.accepted(campaign_id, expires)`` is told when the API took
    requests; ``done()`` once the source is exhausted and nothing of it is
    outstanding.
    """

    def __init__(
        self,
        campaign_id: str,
        api: str,
        token_prefix: str,
        batches: Iterator[Batch],
        expires_after: float,
        min_gap: float,
        client: Client,
        done: Callable[[], None],
    ) -> None:
        self.clock = client.clock
        self.emitter = client.emitter
        self.client = client.api
        self.rng = client.rng
        self.end_ts = client.end_ts
        self._accepted = client.accepted
        self._done = done
        self.campaign_id = campaign_id
        self.api = api
        self.prefix = token_prefix
        self.batches = batches
        self.expires_after = expires_after
        self.min_gap = min_gap
        self.seq = 0
        self.next_free = 0.0
        self.outstanding = 0  # submits scheduled and not yet run
        self.exhausted = False
        self.closed = False

    def start(self) -> None:
        """Begin feeding; the model counted this source open when it was made."""
        self._next()

    def _schedule(self, delay: float, pending: PendingBatch) -> None:
        self.outstanding += 1
        self.clock.call_in(delay, self._submit, pending)

    def _maybe_done(self) -> None:
        if self.exhausted and self.outstanding == 0 and not self.closed:
            self.closed = True
            self._done()

    def _next(self) -> None:
        batch = next(self.batches, None)
        if batch is None:
            self.exhausted = True
            self._maybe_done()
            return
        when, rows = batch
        items = []
        for row in rows:
            self.seq += 1
            items.append((f"{self.prefix}-{self.seq}", row))
        pending = PendingBatch(items, when + self.expires_after)
        at = max(when, self.next_free)
        self._schedule(at - self.clock.now, pending)

    def _submit(self, pending: PendingBatch) -> None:
        now = self.clock.now
        self.outstanding -= 1
        self.next_free = now + self.min_gap
        if now >= self.end_ts:
            self._drop(pending, "run_end")
            self.exhausted = True
            self._maybe_done()
            return
        pending.attempt += 1
        result = self.client.call(*self._request(pending), now)
        if isinstance(result, ServiceError):
            self._on_error(pending, result)
            return
        retry: list[tuple[str, Row]] = []  # items that failed: retried a few times
        waiting: list[tuple[str, Row]] = []  # items refused by a full buffer
        by_token = dict(pending.items)
        for failure in result.get("failedRequests", []):
            code = failure.get("failureCode")
            if code in RETRY_ITEM_CODES:
                token = failure["clientToken"]
                (waiting if code in BUFFER_FULL_CODES else retry).append((token, by_token[token]))
        if result.get("successfulRequests"):
            self._on_accepted(result["successfulRequests"])
            self._accepted(self.campaign_id, pending.expires)
        if retry and pending.attempt < MAX_ATTEMPTS and now < pending.expires:
            # Items the API could not take now go again later, same tokens.
            side = PendingBatch.retry_of(pending, retry)
            self._schedule(backoff(self.rng, pending.attempt), side)
        if waiting and now < pending.expires:
            # The buffer is full: wait for room, as long as the requests are worth
            # dialing (a retry that would arrive expired is not sent: the API would
            # refuse it), and read no further into the list meanwhile (the retry
            # moves the feed on once its items are placed).
            delay = backoff(self.rng, BUFFER_FULL_BACKOFF_STEP)
            if now + delay < pending.expires:
                side = PendingBatch.retry_of(pending, waiting)
                side.attempt = 0  # waiting for room is not failing: faults get their tries
                side.first, pending.first = pending.first, False
                self._schedule(delay, side)
        self._after(pending)

    def _on_accepted(self, successes: list[dict[str, Any]]) -> None:
        """The API accepted these items ({clientToken, id}); a subclass may note them."""

    def _after(self, pending: PendingBatch) -> None:
        """Only a batch's first chain moves the feed to its next batch."""
        if pending.first:
            self._next()
        else:
            self._maybe_done()

    def _on_error(self, pending: PendingBatch, error: ServiceError) -> None:
        now = self.clock.now
        state = error.extra.get("state") if error.extra else None
        retryable = error.code in RETRYABLE or (
            error.code == "InvalidCampaignStateException" and state in WAITING_STATES
        )
        if retryable and pending.attempt < MAX_ATTEMPTS * 4 and now < pending.expires:
            self._schedule(backoff(self.rng, min(pending.attempt, 8)), pending)
            return
        self._drop(pending, error.code)
        self._after(pending)

    def _drop(self, pending: PendingBatch, code: str) -> None:
        """A batch the API would not take at all: each request is recorded rejected."""
        now = self.clock.now
        for token, _row in pending.items:
            rejected: DialRequestRejected = {
                "campaign_id": self.campaign_id,
                "client_token": token,
                "failure_code": code,
                "reason": f"batch refused: {code}",
            }
            request_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            self.emitter.emit(request_id, 1, EventType.DIAL_REQUEST_REJECTED, now, rejected)

    def _request(self, pending: PendingBatch) -> tuple[str, str, dict[str, Any]]:
        expires = pending.expires
        if self.api == "v1":
            return (
                "connectcampaigns",
                "PutDialRequestBatch",
                {
                    "id": self.campaign_id,
                    "dialRequests": [
                        {
                            "clientToken": token,
                            "phoneNumber": phone,
                            "expirationTime": expires,
                            "attributes": attributes,
                        }
                        for token, (phone, attributes) in pending.items
                    ],
                },
            )
        return (
            "connectcampaignsv2",
            "PutOutboundRequestBatch",
            {
                "id": self.campaign_id,
                "outboundRequests": [
                    {
                        "clientToken": token,
                        "expirationTime": expires,
                        "channelSubtypeParameters": {
                            "telephony": {
                                "destinationPhoneNumber": phone,
                                "attributes": attributes,
                            }
                        },
                    }
                    for token, (phone, attributes) in pending.items
                ],
            },
        )
