"""Communication limits: a compact per-recipient ledger of recent contacts.

AWS semantics (docs/connect.md, "Contact limits"): at most ``max_count``
communications per recipient in any rolling window of ``frequency`` days
("a day as a rolling 24 hour window from the current moment"); with two
limits, both must hold. So the ledger keeps, per recipient, the times of its
last K contacts, K = the largest ``max_count``: a recipient is allowed at
``t`` when, for every limit (N, W), its N-th most recent contact (if any) is
at least W seconds before ``t``.

Storage, for millions of recipients: an open-addressing hash table in flat
``array`` buffers. A recipient is keyed by the integer of its E.164 digits
(recipient identity = destination number, as PutOutboundRequestBatch has no
customer profile); each slot holds that key (8 bytes), a ring of K contact
times (4 bytes each: whole seconds after ``epoch``, rounded up, so the
ledger errs towards over-counting as AWS says it does) and the ring's next
position (1 byte). At the maximum load of 0.7 that is (13 + 4K) / 0.7 bytes
per recipient before the table grows (the position takes 2 bytes past
K = 255); ``benchmarks/bench_ledger.py`` measures it.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence

from sim.connect.v2config import Limit
from sim.domain import Outcome

MAX_LOAD = 0.7
_EMPTY = 0  # no E.164 number is 0, so key 0 marks a free slot
_GOLDEN = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1

# Outcomes that do not count: the call never reached the recipient (AWS
# "will adjust the count of communications if it can determine that the
# message never reached the end user"). A busy line and an invalid number
# reached no one; a resource error placed no call; a discarded preview was
# never dialed. Everything else counts, a voicemail included.
NOT_COUNTED = frozenset(
    {Outcome.BUSY, Outcome.INVALID_NUMBER, Outcome.RESOURCE_ERROR, Outcome.DISCARDED}
)


def counts_toward_limits(outcome: str) -> bool:
    """Whether a dial attempt with this outcome is a communication AWS counts."""
    return outcome not in NOT_COUNTED


def recipient_key(e164: str) -> int:
    """The ledger key of a destination number: the integer of its digits."""
    digits = e164[1:] if e164.startswith("+") else e164
    if not (digits.isascii() and digits.isdigit()) or not 0 < len(digits) <= 18 or int(digits) == 0:
        raise ValueError(f"not an E.164 number: {e164!r}")
    return int(digits)


class ContactLedger:
    """Who was contacted when, under one set of limits (a campaign's, or the instance's)."""

    __slots__ = (
        "_capacity",
        "_head_type",
        "_heads",
        "_keys",
        "_shift",
        "_times",
        "_used",
        "epoch",
        "limits",
        "ring",
    )

    def __init__(
        self, limits: Sequence[Limit], epoch: float, capacity: int = 1024, keep: int = 0
    ) -> None:
        if not limits:
            raise ValueError("a ledger needs at least one limit")
        self.limits = tuple(sorted(limits, key=lambda lim: lim.max_count))
        # The latest contacts kept per recipient: what the limits need, or ``keep`` if more.
        self.ring = max(keep, *(lim.max_count for lim in limits))
        # The ring position needs one byte up to 255 contacts kept, more beyond.
        self._head_type = "B" if self.ring <= 0xFF else "H" if self.ring <= 0xFFFF else "I"
        self.epoch = math.floor(epoch)
        self._allocate(max(16, 1 << (capacity - 1).bit_length()))

    def _allocate(self, capacity: int) -> None:
        self._capacity = capacity
        self._shift = 64 - (capacity.bit_length() - 1)
        self._keys = array("q", bytes(8 * capacity))
        self._times = array("I", bytes(4 * capacity * self.ring))
        self._heads = array(self._head_type, bytes(capacity * array(self._head_type).itemsize))
        self._used = 0

    def __len__(self) -> int:
        return self._used

    @property
    def nbytes(self) -> int:
        """Bytes held by the table's buffers."""
        return sum(a.itemsize * len(a) for a in (self._keys, self._times, self._heads))

    # -- the hash table ---------------------------------------------------------------

    def _slot(self, key: int) -> int:
        """The slot holding ``key``, or the free slot where it would go."""
        keys, mask = self._keys, self._capacity - 1
        i = ((key * _GOLDEN) & _MASK64) >> self._shift
        while True:
            k = keys[i]
            if k in (key, _EMPTY):
                return i
            i = (i + 1) & mask

    def _grow(self) -> None:
        keys, times, heads, ring = self._keys, self._times, self._heads, self.ring
        self._allocate(self._capacity * 2)
        for old, key in enumerate(keys):
            if key != _EMPTY:
                new = self._slot(key)
                self._keys[new] = key
                self._times[new * ring : (new + 1) * ring] = times[old * ring : (old + 1) * ring]
                self._heads[new] = heads[old]
                self._used += 1

    # -- contacts -----------------------------------------------------------------------

    def _stamp(self, t: float) -> int:
        s = math.ceil(t) - self.epoch + 1  # 0 stays "no contact"
        if not 0 < s < 1 << 32:
            raise ValueError(f"time {t} outside the ledger's range from epoch {self.epoch}")
        return s

    def _nth_latest(self, slot: int, n: int) -> float | None:
        """POSIX time of the slot's n-th most recent contact (n >= 1), or None."""
        ring = self.ring
        s = self._times[slot * ring + (self._heads[slot] - n) % ring]
        return None if s == 0 else float(s - 1 + self.epoch)

    def next_allowed(self, e164: str, t: float) -> float:
        """The earliest instant >= t at which one more contact is within every limit."""
        slot = self._slot(recipient_key(e164))
        if self._keys[slot] == _EMPTY:
            return t
        at = t
        for lim in self.limits:
            nth = self._nth_latest(slot, lim.max_count)
            if nth is not None:
                at = max(at, nth + lim.window_s)
        return at

    def allowed(self, e164: str, t: float) -> bool:
        """Whether one more contact at ``t`` stays within every limit."""
        return self.next_allowed(e164, t) <= t

    def count(self, e164: str, t: float, window_s: float) -> int:
        """Contacts of the recipient in (t - window_s, t], up to the ring size."""
        slot = self._slot(recipient_key(e164))
        if self._keys[slot] == _EMPTY:
            return 0
        n = 0
        for i in range(1, self.ring + 1):
            at = self._nth_latest(slot, i)
            if at is None or at <= t - window_s:
                break  # the ring is in time order: the rest are older
            n += at <= t
        return n

    def relimited(self, limits: Sequence[Limit]) -> ContactLedger:
        """A ledger under new ``limits`` holding this one's history.

        Every contact this ledger keeps (the latest ``ring`` per recipient)
        counts under the new limits, so a PutInstanceCommunicationLimits
        during a run does not forget who was contacted. The new ledger keeps
        at least as many contacts per recipient as this one; a new limit
        larger than that counts from the ones kept.
        """
        new = ContactLedger(limits, self.epoch, max(1024, 2 * self._used), keep=self.ring)
        ring, keys, times, heads = self.ring, self._keys, self._times, self._heads
        for slot, key in enumerate(keys):
            if key == _EMPTY:
                continue
            base, head = slot * ring, heads[slot]
            for n in range(ring, 0, -1):  # oldest first
                stamp = times[base + (head - n) % ring]
                if stamp:
                    new._put(key, stamp)
        return new

    def record(self, e164: str, t: float) -> None:
        """Count one communication to the recipient at ``t``, in any order of ``t``
        (an attempt is recorded when it ends, at its dial time): the ring keeps
        the latest K by time."""
        self._put(recipient_key(e164), self._stamp(t))

    def _put(self, key: int, stamp: int) -> None:
        slot = self._slot(key)
        if self._keys[slot] == _EMPTY:
            if (self._used + 1) > MAX_LOAD * self._capacity:
                self._grow()
                slot = self._slot(key)
            self._keys[slot] = key
            self._used += 1
        ring, times = self.ring, self._times
        base, head = slot * ring, self._heads[slot]
        if 0 < times[base + head] > stamp:
            return  # older than every contact the full ring keeps: not among the latest K
        times[base + head] = stamp
        self._heads[slot] = (head + 1) % ring
        # Attempts end (and are recorded) out of dial order: keep the ring in time
        # order, newest last, by moving an older stamp back past newer ones.
        i = head
        for _ in range(ring - 1):
            j = (i - 1) % ring
            if times[base + j] <= stamp:
                break
            times[base + i], times[base + j] = times[base + j], stamp
            i = j
