"""Contact limits at dial time: a campaign's ``communicationLimitsOverride`` and the
instance's limits, each kept in a ``ContactLedger`` (docs/connect.md, "Contact limits").

A recipient may be dialed when, for every limit (N per rolling W) that
applies, the contacts counted in the window plus its attempts still in
progress stay below N. A finished attempt is counted (at its dial time) unless
it never reached anyone (``counts_toward_limits``). A recipient over a limit
is skipped: the request ends EXPIRED with reason ``communication_limit``, as
AWS "will automatically skip that recipient". Instance limits apply to v2
campaigns that do not opt out (OPT_IN, the default); v1 campaigns know no limits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.connect.buffer import CampaignBuffer, contact_expired
from sim.connect.limits import ContactLedger, counts_toward_limits
from sim.connect.v2config import Limit
from sim.domain import Event, WaitingContact

if TYPE_CHECKING:
    from sim.connect.campaigns import Campaign

REASON_LIMIT = "communication_limit"
INSTANCE = ""  # the instance ledger's role (a campaign id is never empty)


class LimitBook:
    """The ledgers of one core: one per campaign with limits, one for the instance."""

    def __init__(self, instance_limits: Callable[[], tuple[Limit, ...]]) -> None:
        self._instance_limits = instance_limits
        self._instance: ContactLedger | None = None
        self._campaigns: dict[str, ContactLedger] = {}
        # Deleted campaigns, whose calls still up must end under their limits.
        self.deleted: dict[str, Campaign] = {}
        # Attempts in progress per (ledger role, recipient): they count until they
        # end. The role is the campaign id for its own ledger, INSTANCE for the
        # instance's, so an attempt stays in progress across new instance limits.
        self._in_flight: dict[tuple[str, str], int] = {}
        # Per contact id: the roles its attempt in progress was counted under, so
        # its end undoes exactly that, whatever the limits are by then (and an
        # attempt dialed before any limit applied undoes nothing: not one of the
        # same recipient's counted attempts still up).
        self._charged: dict[str, tuple[str, ...]] = {}

    @property
    def counting(self) -> bool:
        """Whether some attempt in progress was counted under a limit (cheap)."""
        return bool(self._charged)

    def applies(self, c: Campaign) -> bool:
        """Whether any limit applies to the campaign's dials now (cheap)."""
        if c.api != "v2":
            return False
        own = c.communication_limits
        if own is not None and own.limits:
            return True
        return bool(self._instance_limits()) and (own is None or own.instance_limits)

    def _ledgers(self, c: Campaign, now: float) -> list[tuple[str, ContactLedger]]:
        """The (role, ledger) pairs whose limits apply to the campaign's dials now."""
        out = []
        own = c.communication_limits
        if own is not None and own.limits:
            ledger = self._campaigns.get(c.id)
            if ledger is None:
                ledger = self._campaigns[c.id] = ContactLedger(own.limits, epoch=now)
            out.append((c.id, ledger))
        limits = self._instance_limits()
        if limits and (own is None or own.instance_limits):
            old = self._instance
            if old is None:
                ledger = ContactLedger(limits, epoch=now)
            elif old.limits != tuple(sorted(limits, key=lambda lim: lim.max_count)):
                # New instance limits (a Put during the run) count the history so far.
                ledger = old.relimited(limits)
            else:
                ledger = old
            self._instance = ledger
            out.append((INSTANCE, ledger))
        return out

    def try_dial(self, c: Campaign, contact_id: str, phone: str, now: float) -> bool:
        """Whether ``phone`` may be dialed now; if so its attempt counts as in progress."""
        ledgers = self._ledgers(c, now)
        for role, ledger in ledgers:
            pending = self._in_flight.get((role, phone), 0)
            for lim in ledger.limits:
                if ledger.count(phone, now, lim.window_s) + pending >= lim.max_count:
                    return False
        if ledgers:
            for role, _ in ledgers:
                key = (role, phone)
                self._in_flight[key] = self._in_flight.get(key, 0) + 1
            self._charged[contact_id] = tuple(r for r, _ in ledgers)
        return True

    def within(
        self,
        c: Campaign,
        buf: CampaignBuffer,
        taken: list[WaitingContact],
        n: int,
        now: float,
        events: list[Event],
        lead: float = 0.0,
    ) -> list[WaitingContact]:
        """The taken contacts whose recipients are within their limits, topped up
        from the buffer to ``n``; the others end EXPIRED (``communication_limit``)
        with their events appended to ``events``."""
        keep: list[WaitingContact] = []
        while taken:
            for contact in taken:
                if self.try_dial(c, contact.contact_id, contact.phone_number, now):
                    keep.append(contact)
                else:
                    events += contact_expired(contact, now, REASON_LIMIT, buf.amd_default)
            if len(keep) >= n:
                break
            taken, more = buf.take_waiting(n - len(keep), now, lead)
            events += more
        return keep

    def attempt_over(
        self, c: Campaign, contact_id: str, phone: str, dialed_at: float, outcome: str
    ) -> None:
        """A dial ended: no longer in progress where ``try_dial`` counted it, and
        recorded, if it reached someone, in those ledgers and any that applies now."""
        charged = self._charged.pop(contact_id, ())
        for role in charged:
            flying = (role, phone)
            left = self._in_flight.get(flying, 0) - 1
            if left > 0:
                self._in_flight[flying] = left
            else:
                self._in_flight.pop(flying, None)
        if not counts_toward_limits(outcome):
            return
        ledgers = dict(self._ledgers(c, dialed_at)) if self.applies(c) else {}
        for role in charged:  # limits removed meanwhile: the history still keeps it
            ledger = self._instance if role == INSTANCE else self._campaigns.get(role)
            if ledger is not None:
                ledgers.setdefault(role, ledger)
        for ledger in ledgers.values():
            # A call dialed before the ledger existed (limits Put while it was
            # up) counts from the ledger's start: over-counting, as AWS errs.
            ledger.record(phone, max(dialed_at, ledger.epoch))
