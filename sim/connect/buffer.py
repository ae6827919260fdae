"""Campaign buffers: accepted dial requests and the contacts created for them.

A request lives in its campaign's buffer from acceptance to its dial (or its
end), in three stages, all counted against the buffer limit:

1. *arriving*: accepted, waiting for the campaign to create its contact
   (a FIFO of ``DialRequest``);
2. *ingesting*: in a BatchPutContact call of the campaign (counted only);
3. *waiting*: its contact exists (INITIATED) and waits to be dialed, in the
   campaign's compact ``ContactQueue``.

No per-request timers exist: the earliest expiration of every campaign's
waiting contacts is known in O(log runs), and a sweep ends what is due.
A contact that expires, or whose campaign stops, ends with the disconnect
reason EXPIRED: DISCONNECTED and COMPLETED on its stream, then
DIAL_REQUEST_EXPIRED on its request's.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from sim.connect.idempotency import TokenLog, uuid_bytes, uuid_str
from sim.connect.timezones import DROPPED_MISSING_TIMEZONE, UNRESOLVED
from sim.connect.v2config import CommunicationTime
from sim.connect.waiting import ContactQueue
from sim.connect.zoned import ZonedQueue
from sim.domain import DialRequest, Event, EventType, Outcome, WaitingContact
from sim.domain.events import Completed, DialRequestExpired, Disconnected, new_event

REASON_EXPIRED = "expired"
REASON_STOPPED = "campaign_stopped"
AMD_NOT_APPLICABLE = "AMD_NOT_APPLICABLE"  # AMD on, but the contact never rang
AMD_DISABLED = "AMD_DISABLED"
REASON_COMPLETED = "campaign_completed"  # v2: the schedule ended


def expire(request: DialRequest, time: float, reason: str) -> Event:
    """End an arriving ``request`` (done, no contact yet) with DIAL_REQUEST_EXPIRED."""
    request.done = True
    request.version += 1
    payload: DialRequestExpired = {"campaign_id": request.campaign_id, "reason": reason}
    return new_event(
        Event, (request.id, request.version, EventType.DIAL_REQUEST_EXPIRED, time, payload)
    )


def contact_expired(
    contact: WaitingContact, time: float, reason: str, amd_default: bool
) -> list[Event]:
    """The events ending a waiting contact that was never dialed (EXPIRED)."""
    amd = contact.amd_enabled if contact.amd_enabled is not None else amd_default
    ended: Disconnected = {
        "disconnect_reason": "EXPIRED",
        "amd_status": AMD_NOT_APPLICABLE if amd else AMD_DISABLED,
        "outcome": Outcome.EXPIRED.value,
        "live_person": None,
    }
    completed: Completed = {"after_contact_work_s": 0.0}
    request: DialRequestExpired = {"campaign_id": contact.campaign_id, "reason": reason}
    cid = contact.contact_id
    return [
        new_event(Event, (cid, 2, EventType.DISCONNECTED, time, ended)),
        new_event(Event, (cid, 3, EventType.COMPLETED, time, completed)),
        new_event(Event, (contact.request_id, 2, EventType.DIAL_REQUEST_EXPIRED, time, request)),
    ]


def _dropped(request: DialRequest, contact_id: str, now: float) -> WaitingContact:
    """A created contact that never waits (its recipient has no zone)."""
    return WaitingContact(
        contact_id,
        request.id,
        request.campaign_id,
        request.phone_number,
        request.accepted_at,
        now,
        request.expiration,
        request.attributes or None,
        request.ring_timeout,
        request.amd_enabled,
        request.await_prompt,
    )


class CampaignBuffer:
    """One campaign's pending requests and contacts, and its accepted client tokens."""

    __slots__ = ("amd_default", "arriving", "campaign_id", "ingesting", "tokens", "waiting")

    def __init__(self, campaign_id: str, amd_default: bool) -> None:
        self.campaign_id = campaign_id
        self.amd_default = amd_default  # the campaign's AMD, for requests that keep it
        self.arriving: deque[DialRequest] = deque()
        self.ingesting = 0
        self.waiting: ContactQueue | ZonedQueue = ContactQueue(campaign_id)
        # clientToken -> dial request id (16 bytes) until its forget time, in
        # a compact log: a week of tokens is the largest thing a long run holds.
        self.tokens = TokenLog(16)

    @property
    def pending(self) -> int:
        """Requests accepted and not yet dialed or ended, at every stage."""
        return len(self.arriving) + self.ingesting + len(self.waiting)

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

    # -- arriving ---------------------------------------------------------------

    def arrive(self, requests: Iterable[DialRequest]) -> None:
        self.arriving.extend(requests)

    def take_arriving(self, n: int, now: float) -> tuple[list[DialRequest], list[Event]]:
        """Up to ``n`` arriving requests, FIFO, now ingesting; expired ones end."""
        taken: list[DialRequest] = []
        events: list[Event] = []
        arriving = self.arriving
        while arriving and len(taken) < n:
            request = arriving.popleft()
            if request.expiration <= now:
                events.append(expire(request, request.expiration, REASON_EXPIRED))
            else:
                request.done = True  # out of the buffer: in a BatchPutContact call
                taken.append(request)
        self.ingesting += len(taken)
        return taken, events

    # -- waiting ----------------------------------------------------------------

    def set_calling_hours(self, config: CommunicationTime | None) -> None:
        """Wait by the recipient's zone under ``config`` (None: one FIFO, always open).

        Only while nothing waits (the v2 settings change only in Initialized).
        """
        if len(self.waiting):
            raise RuntimeError("calling hours changed while contacts wait")
        if config is None:
            self.waiting = ContactQueue(self.campaign_id)
        else:
            self.waiting = ZonedQueue(self.campaign_id, config)

    def created(
        self, contacts: Iterable[tuple[DialRequest, str]], now: float, accepting: bool
    ) -> list[Event]:
        """Contacts were created for ingesting requests: they wait, or end at once
        (EXPIRED) if the campaign stopped meanwhile. Under calling hours a
        recipient whose zone cannot be determined is dropped at once (EXPIRED,
        reason DROPPED_MISSING_TIMEZONE, as AWS drops it)."""
        events: list[Event] = []
        waiting = self.waiting
        if isinstance(waiting, ZonedQueue):
            for request, contact_id in contacts:
                self.ingesting -= 1
                zone_id = waiting.resolve(request)
                if zone_id == UNRESOLVED:
                    events += contact_expired(
                        _dropped(request, contact_id, now),
                        now,
                        DROPPED_MISSING_TIMEZONE,
                        self.amd_default,
                    )
                else:
                    waiting.push(request, contact_id, now, zone_id)
        else:
            for request, contact_id in contacts:
                self.ingesting -= 1
                waiting.push(request, contact_id, now)
        if not accepting:
            events += self.drain(now, REASON_STOPPED)
        return events

    def next_opening(self, now: float, lead: float = 0.0) -> float | None:
        """When a closed zone with waiting contacts opens next (None: no such zone);
        with a ``lead``, a zone closing within ``lead`` counts as closed."""
        waiting = self.waiting
        return waiting.next_opening(now, lead) if isinstance(waiting, ZonedQueue) else None

    def take_waiting(
        self, n: int, now: float, lead: float = 0.0
    ) -> tuple[list[WaitingContact], list[Event]]:
        """Up to ``n`` waiting contacts, FIFO, to dial now; expired ones end.

        Under calling hours only contacts of zones open at ``now`` are taken
        (FIFO across those zones), and with a ``lead`` only of zones open
        through ``now + lead`` (a preview is dialed up to ``lead`` after it is
        taken)."""
        waiting = self.waiting
        if isinstance(waiting, ZonedQueue):
            return self._take_zoned(waiting, n, now, lead)
        taken: list[WaitingContact] = []
        events: list[Event] = []
        while len(taken) < n:
            contact = waiting.pop()
            if contact is None:
                break
            if contact.expiration <= now:
                events += contact_expired(
                    contact, contact.expiration, REASON_EXPIRED, self.amd_default
                )
            else:
                taken.append(contact)
        return taken, events

    def _take_zoned(
        self, waiting: ZonedQueue, n: int, now: float, lead: float
    ) -> tuple[list[WaitingContact], list[Event]]:
        taken: list[WaitingContact] = []
        events: list[Event] = []
        heads = waiting.open_heads(now, lead)
        while heads and len(taken) < n:
            contact = waiting.pop_next(heads)
            if contact.expiration <= now:
                events += contact_expired(
                    contact, contact.expiration, REASON_EXPIRED, self.amd_default
                )
            else:
                taken.append(contact)
        return taken, events

    def expire_due(self, now: float) -> list[Event]:
        """End every waiting contact whose expiration is <= ``now`` (at its expiration)."""
        events: list[Event] = []
        while (contact := self.waiting.pop_expired(now)) is not None:
            events += contact_expired(contact, contact.expiration, REASON_EXPIRED, self.amd_default)
        return events

    def drain(self, now: float, reason: str) -> list[Event]:
        """End everything pending but the ingesting (a stop or delete), at ``now``."""
        events = [expire(r, now, reason) for r in self.arriving]
        self.arriving.clear()
        for contact in self.waiting.drain():
            events += contact_expired(contact, now, reason, self.amd_default)
        return events


class Buffers:
    """Every campaign's buffer."""

    def __init__(self) -> None:
        self.by_campaign: dict[str, CampaignBuffer] = {}

    def add_campaign(
        self, campaign_id: str, amd_default: bool, hours: CommunicationTime | None = None
    ) -> CampaignBuffer:
        buf = self.by_campaign[campaign_id] = CampaignBuffer(campaign_id, amd_default)
        if hours is not None:
            buf.set_calling_hours(hours)
        return buf

    def next_expiration(self) -> float | None:
        """Earliest expiration among the waiting contacts of every campaign."""
        soonest: float | None = None
        for buf in self.by_campaign.values():
            when = buf.waiting.next_expiration()
            if when is not None and (soonest is None or when < soonest):
                soonest = when
        return soonest

    def expire_due(self, now: float) -> list[Event]:
        """End every waiting contact of every campaign due by ``now``."""
        events: list[Event] = []
        for buf in self.by_campaign.values():
            events += buf.expire_due(now)
        return events
