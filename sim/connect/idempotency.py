"""Idempotency: tokens remembered for a retention window, in a few bytes each.

A run remembers every client token it accepted for the retention window (7
days by default): at 45 requests a minute that is ~450,000 dial-request
tokens and as many BatchPutContact ClientTokens. Python objects per token (a
str key, a dict entry, a tuple, a float, a response) cost 300-4,000 bytes;
``TokenLog`` keeps each token and its value in typed arrays and one byte
arena instead, ~60 bytes a token, and finds a token exactly (the stored
UTF-8 is compared, never just a hash).

BatchPutContact records keep a 16-byte digest of the canonical request and
the ContactIds (16 bytes each) plus any failure entries; the response is
rebuilt from them and the replayed request (``sim.connect.contacts.replay``),
identical to the first one.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import orjson

from sim.connect.coldtokens import ColdTier, encode

_EMPTY = -1  # a free slot of the table
_MIN_SLOTS = 64
_COMPACT_AT = 4096  # forgotten records kept at the head before the columns are cut
_RENUMBER_AT = 2**30  # record numbers stay well inside the table's 32-bit slots
# Records kept in memory before the oldest half moves to the cold tier (on
# disk): above the 1-hour window of P1's dial-request tokens (~56,000), so P1
# never spills; a 7-day window at 45 a minute (~453,600) mostly does.
HOT_RECORDS = 2**17


def _jsonable(value: Any) -> Any:
    """orjson fallback: Mappings and Sequences that are not dict / list."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    return repr(value)


def request_digest(request: Mapping[str, Any]) -> bytes:
    """16-byte digest of the request with its keys sorted (key order is not meaning)."""
    raw = orjson.dumps(
        request, default=_jsonable, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    )
    return hashlib.blake2b(raw, digest_size=16).digest()


def uuid_bytes(value: str) -> bytes:
    """The 16 bytes of a canonical UUID string (as ``sim.connect.ids.new_uuid`` makes)."""
    if len(value) != 36:
        raise ValueError(f"not a canonical UUID: {value!r}")
    return bytes.fromhex(value.replace("-", ""))


def uuid_str(raw: bytes) -> str:
    """The canonical UUID string of 16 bytes (the inverse of ``uuid_bytes``)."""
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class TokenLog:
    """Tokens remembered until a forget time, recorded in (roughly) time order.

    Each record is a token, a value of ``width`` bytes and a variable tail,
    stored as ``value + token UTF-8 + tail`` in one ``bytearray``, with its
    hash, forget time and end offset in typed arrays. Records are numbered
    0, 1, 2, ... for the life of the log; an open-addressing table of record
    numbers (linear probing, at most 2/3 full, deletion by backward shift so
    no tombstones pile up) finds a token. Recording a token again replaces
    its record. Forgetting pops records from the head whose forget time has
    passed: O(1) amortised while the caller's clock does not go backwards
    (if it does, a record past its forget time waits for the head, and
    ``get`` still ignores it).

    At most ``hot`` records stay in memory: past that, the oldest half of
    them moves to a ``ColdTier`` (one segment on disk), which ``get`` searches
    when memory does not hold the token. Records move in order, so the
    last record of a token is the first found; a record whose forget time
    is before one on disk first deletes the token's records there (so a
    token's older record can never outlive its last).
    """

    __slots__ = (
        "_arena",
        "_base",
        "_cold",
        "_cold_forget",
        "_ends",
        "_forget",
        "_hashes",
        "_head",
        "_hot",
        "_linked",
        "_mask",
        "_slots",
        "_toklen",
        "width",
    )

    def __init__(self, width: int, hot: int = HOT_RECORDS) -> None:
        if hot < 2:
            raise ValueError(f"hot must be >= 2, got {hot}")
        self.width = width
        self._hot = hot
        self._cold = ColdTier()
        self._cold_forget = float("-inf")  # the largest forget time on disk
        self._hashes = array("I")  # 32 bits of the token's hash, per record
        self._forget = array("d")  # forget time, per record
        self._ends = array("I")  # end of the record in the arena
        self._toklen = array("H")  # bytes of the token (ClientTokens are <= 500 chars)
        self._arena = bytearray()
        self._base = 0  # number of the record in column 0
        self._head = 0  # number of the first record not forgotten
        self._slots = array("i", [_EMPTY]) * _MIN_SLOTS
        self._mask = _MIN_SLOTS - 1
        self._linked = 0  # slots holding a record: the tokens remembered

    def __len__(self) -> int:
        """Tokens remembered (forgotten ones excluded once pruned). Records on
        disk count until their segment is dropped, with the records a later
        one of their token replaced."""
        return self._linked + self._cold.rows

    @property
    def cold_segments(self) -> int:
        """Segments on disk."""
        return self._cold.segments

    def close(self) -> None:
        """Drop the records on disk (and their temporary file)."""
        self._cold.close()
        self._cold_forget = float("-inf")

    def _token_at(self, r: int) -> bytes:
        """The token of column ``r``."""
        start = (self._ends[r - 1] if r else 0) + self.width
        return bytes(self._arena[start : start + self._toklen[r]])

    def get(self, token: str, now: float) -> tuple[bytes, bytes] | None:
        """(value, tail) of ``token`` if it is remembered and its forget time is after ``now``."""
        h = hash(token) & 0xFFFFFFFF
        slots, hashes, mask, base = self._slots, self._hashes, self._mask, self._base
        i = h & mask
        key = None
        while True:
            n = slots[i]
            if n == _EMPTY:
                if self._cold.rows:
                    return self._cold.get(token, h, now)
                return None
            r = n - base
            if hashes[r] == h:
                if key is None:
                    key = encode(token)
                if self._token_at(r) == key:
                    if self._forget[r] <= now:
                        return None
                    start, width = (self._ends[r - 1] if r else 0), self.width
                    arena = self._arena
                    return (
                        bytes(arena[start : start + width]),
                        bytes(arena[start + width + len(key) : self._ends[r]]),
                    )
            i = (i + 1) & mask

    def add(self, token: str, forget: float, value: bytes, tail: bytes = b"") -> None:
        """Remember ``token`` with ``value`` (``width`` bytes) and ``tail`` until ``forget``."""
        if len(value) != self.width:
            raise ValueError(f"value must be {self.width} bytes, got {len(value)}")
        key = encode(token)
        if len(key) > 0xFFFF:
            raise ValueError("token longer than 65,535 bytes")
        h = hash(token) & 0xFFFFFFFF
        if forget < self._cold_forget:
            self._cold.discard(key, h)
        hashes = self._hashes
        r = len(hashes)
        slots, mask, base = self._slots, self._mask, self._base
        i = h & mask
        while True:
            n = slots[i]
            if n == _EMPTY:
                self._linked += 1
                break
            if hashes[n - base] == h and self._token_at(n - base) == key:
                break  # recorded again: the slot moves to the new record
            i = (i + 1) & mask
        slots[i] = r + base
        arena = self._arena
        arena += value
        arena += key
        arena += tail
        hashes.append(h)
        self._forget.append(forget)
        self._ends.append(len(arena))
        self._toklen.append(len(key))
        if self._linked * 3 > len(slots) * 2:
            self._rebuild()
        if r + base - self._head >= self._hot:
            self._spill()

    def prune(self, now: float) -> None:
        """Forget every record at the head whose forget time is ``<= now``."""
        forget, base = self._forget, self._base
        n, end = self._head, base + len(forget)
        while n < end and forget[n - base] <= now:
            self._unlink(n)
            n += 1
        self._cut_head(n)
        if now >= self._cold.drop_at:
            self._cold.prune(now)

    def _cut_head(self, n: int) -> None:
        """Records before number ``n`` are gone: cut them off once they are many."""
        self._head = n
        dead = n - self._base
        if dead >= _COMPACT_AT and dead * 4 >= len(self._forget):
            self._compact()  # dead records are at most a fifth of the columns

    def _spill(self) -> None:
        """Move the oldest half of the records in memory to a new segment on disk."""
        base, head = self._base, self._head
        end = head + self._hot // 2
        current = (n - head for n in self._slots if head <= n < end)
        columns = (self._forget, self._hashes, self._ends, self._toklen)
        span = (head - base, end - base)
        self._linked -= self._cold.add(self.width, self._arena, columns, span, current)
        self._cold_forget = max(self._cold_forget, max(self._forget[head - base : end - base]))
        self._rebuild(drop_before=end)  # numbers now start at 0: ``end`` is ``end - base``
        self._cut_head(end - base)

    def _unlink(self, n: int) -> None:
        """Take record ``n`` out of the table (if it still holds it)."""
        slots, mask, hashes, base = self._slots, self._mask, self._hashes, self._base
        i = hashes[n - base] & mask
        while True:
            s = slots[i]
            if s == _EMPTY:
                return  # recorded again since: the table holds the newer record
            if s == n:
                break
            i = (i + 1) & mask
        self._linked -= 1
        # Backward-shift deletion: pull later entries of the probe run into the hole.
        j = i
        while True:
            j = (j + 1) & mask
            s = slots[j]
            if s == _EMPTY:
                break
            home = hashes[s - base] & mask
            # The entry at j moves into the hole unless its home lies cyclically in (i, j].
            if (home <= i or home > j) if i < j else (j < home <= i):
                slots[i] = s
                i = j
        slots[i] = _EMPTY

    def _compact(self) -> None:
        """Cut the forgotten records off the columns."""
        k = self._head - self._base
        cut = self._ends[k - 1]
        self._arena = self._arena[cut:]  # a fresh buffer: a cut head would stay allocated
        self._hashes = self._hashes[k:]
        self._forget = self._forget[k:]
        self._toklen = self._toklen[k:]
        self._ends = array("I", [e - cut for e in self._ends[k:]])
        self._base = self._head
        if self._base > _RENUMBER_AT:
            self._rebuild()
        elif self._linked * 8 < len(self._slots) and len(self._slots) > _MIN_SLOTS:
            self._rebuild()  # the log shrank: so can the table

    def _rebuild(self, drop_before: int = 0) -> None:
        """A fresh table, 1/4 to 1/2 full, of the linked records (renumbered from
        0), less those numbered before ``drop_before`` (``_linked`` counts without them)."""
        size = _MIN_SLOTS
        while size < 2 * self._linked:
            size *= 2
        slots = array("i", [_EMPTY]) * size
        mask = size - 1
        hashes, base = self._hashes, self._base
        for n in self._slots:
            if n >= drop_before and n >= 0:
                r = n - base
                i = hashes[r] & mask
                while slots[i] != _EMPTY:
                    i = (i + 1) & mask
                slots[i] = r
        self._head -= base
        self._base = 0
        self._slots, self._mask = slots, mask


class Recorded(NamedTuple):
    """What a BatchPutContact ClientToken was answered with, compactly."""

    digest: bytes
    contact_ids: list[str]  # of the items that succeeded, in item order
    failures: list[tuple[int, str, str]]  # (item index, FailureReasonCode, message)


class IdempotencyStore:
    """BatchPutContact ClientTokens seen within ``retention_s``.

    A record is the request's digest, its ContactIds and its failure
    entries (few: most batches have none), not the response itself.
    """

    def __init__(self, retention_s: float) -> None:
        self.retention_s = retention_s
        self._log = TokenLog(16)

    def __len__(self) -> int:
        return len(self._log)

    def close(self) -> None:
        """Drop the records on disk."""
        self._log.close()

    def lookup(self, token: str, now: float) -> Recorded | None:
        """What ``token`` was answered with, or None if unknown or expired."""
        hit = self._log.get(token, now)
        if hit is None:
            return None
        digest, tail = hit
        n = tail[0]
        ids = [uuid_str(tail[1 + 16 * k : 17 + 16 * k]) for k in range(n)]
        rest = tail[1 + 16 * n :]
        failures = [(int(i), str(c), str(m)) for i, c, m in orjson.loads(rest)] if rest else []
        return Recorded(digest, ids, failures)

    def record(
        self,
        token: str,
        digest: bytes,
        contact_ids: Sequence[str],
        failures: Sequence[tuple[int, str, str]],
        now: float,
    ) -> None:
        """Remember the answer to ``token`` until ``now + retention_s``."""
        self._log.prune(now)
        tail = bytes([len(contact_ids)]) + b"".join(map(uuid_bytes, contact_ids))
        if failures:
            tail += orjson.dumps(failures)
        self._log.add(token, now + self.retention_s, digest, tail)
