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


class LimitBook:
    """The ledgers of one core: one per campaign with limits, one for the instance."""

    def __init__(self, instance_limits: Callable[[], tuple[Limit, ...]]) -> None:
        self._instance_limits = instance_limits
        self._instance: ContactLedger | None = None
        self._campaigns: dict[str, ContactLedger] = {}
        # Deleted campaigns, whose calls still up must end under their limits.
        self.deleted: dict[str, Campaign] = {}
        # Attempts in progress per (ledger, recipient): they count until they end.
        self._in_flight: dict[tuple[int, str], int] = {}

    def applies(self, c: Campaign) -> bool:
        """Whether any limit applies to the campaign's dials now (cheap)."""
        if c.api != "v2":
            return False
        own = c.communication_limits
        if own is not None and own.limits:
            return True
        return bool(self._instance_limits()) and (own is None or own.instance_limits)

    def _ledgers(self, c: Campaign, now: float) -> list[ContactLedger]:
        out = []
        own = c.communication_limits
        if own is not None and own.limits:
            ledger = self._campaigns.get(c.id)
            if ledger is None:
                ledger = self._campaigns[c.id] = ContactLedger(own.limits, epoch=now)
            out.append(ledger)
        limits = self._instance_limits()
        if limits and (own is None or own.instance_limits):
            old = self._instance
            if old is None:
                ledger = ContactLedger(limits, epoch=now)
            elif old.limits != tuple(sorted(limits, key=lambda lim: lim.max_count)):
                # New instance limits (a Put during the run) count the history so far.
                ledger = old.relimited(limits)
                self._move_in_flight(old, ledger)
            else:
                ledger = old
            self._instance = ledger
            out.append(ledger)
        return out

    def _move_in_flight(self, old: ContactLedger, new: ContactLedger) -> None:
        """Attempts in progress under ``old`` now count under ``new``."""
        was = id(old)
        for key in [k for k in self._in_flight if k[0] == was]:
            self._in_flight[(id(new), key[1])] = self._in_flight.pop(key)

    def try_dial(self, c: Campaign, phone: str, now: float) -> bool:
        """Whether ``phone`` may be dialed now; if so its attempt counts as in progress."""
        ledgers = self._ledgers(c, now)
        for ledger in ledgers:
            pending = self._in_flight.get((id(ledger), phone), 0)
            for lim in ledger.limits:
                if ledger.count(phone, now, lim.window_s) + pending >= lim.max_count:
                    return False
        for ledger in ledgers:
            key = (id(ledger), phone)
            self._in_flight[key] = self._in_flight.get(key, 0) + 1
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
                if self.try_dial(c, contact.phone_number, now):
                    keep.append(contact)
                else:
                    events += contact_expired(contact, now, REASON_LIMIT, buf.amd_default)
            if len(keep) >= n:
                break
            taken, more = buf.take_waiting(n - len(keep), now, lead)
            events += more
        return keep

    def attempt_over(self, c: Campaign, phone: str, dialed_at: float, outcome: str) -> None:
        """A dial that ``try_dial`` let through ended: count it if it reached someone."""
        for ledger in self._ledgers(c, dialed_at):
            key = (id(ledger), phone)
            left = self._in_flight.get(key, 0) - 1
            if left > 0:
                self._in_flight[key] = left
            else:
                self._in_flight.pop(key, None)
            if counts_toward_limits(outcome):
                # A call dialed before the ledger existed (limits Put while it was
                # up) counts from the ledger's start: over-counting, as AWS errs.
                ledger.record(phone, max(dialed_at, ledger.epoch))
