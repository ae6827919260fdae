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

_EMPTY = -1  # a slot never used since the last rebuild
_GONE = -2  # a slot whose record was forgotten (probing goes on past it)
_MIN_SLOTS = 64
_COMPACT_AT = 4096  # forgotten records kept at the head before the columns are cut


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


def _encode(token: str) -> bytes:
    # surrogatepass: a JSON "\ud800" escape is a valid Python str, and stays exact.
    return token.encode("utf-8", "surrogatepass")


class TokenLog:
    """Tokens remembered until a forget time, recorded in (roughly) time order.

    Each record is a token, a value of ``width`` bytes and a variable tail,
    stored as ``value + token UTF-8 + tail`` in one ``bytearray``, with its
    hash, forget time and end offset in typed arrays. An open-addressing table
    of record numbers (linear probing, at most 2/3 full) finds a token.
    Recording a token again replaces its record. Forgetting pops records from
    the head whose forget time has passed, so it is O(1) amortised while the
    caller's clock does not go backwards (if it does, a record past its
    forget time waits for the head, and ``get`` still ignores it).
    """

    __slots__ = (
        "_arena",
        "_ends",
        "_forget",
        "_hashes",
        "_head",
        "_linked",
        "_mask",
        "_slots",
        "_toklen",
        "_used",
        "width",
    )

    def __init__(self, width: int) -> None:
        self.width = width
        self._hashes = array("I")  # 32 bits of the token's hash, per record
        self._forget = array("d")  # forget time, per record
        self._ends = array("I")  # end of the record in the arena
        self._toklen = array("H")  # bytes of the token (ClientTokens are <= 500 chars)
        self._arena = bytearray()
        self._head = 0  # first record not forgotten (records before it are dead)
        self._slots = array("i", [_EMPTY]) * _MIN_SLOTS
        self._mask = _MIN_SLOTS - 1
        self._used = 0  # slots not EMPTY
        self._linked = 0  # slots holding a record: the tokens remembered

    def __len__(self) -> int:
        """Tokens remembered (forgotten ones excluded once pruned)."""
        return self._linked

    def _start(self, r: int) -> int:
        return self._ends[r - 1] if r else 0

    def _token_at(self, r: int) -> bytes:
        start = self._start(r) + self.width
        return bytes(self._arena[start : start + self._toklen[r]])

    def get(self, token: str, now: float) -> tuple[bytes, bytes] | None:
        """(value, tail) of ``token`` if it is remembered and its forget time is after ``now``."""
        h = hash(token) & 0xFFFFFFFF
        slots, hashes, mask = self._slots, self._hashes, self._mask
        i = h & mask
        key = None
        while True:
            s = slots[i]
            if s == _EMPTY:
                return None
            if s >= 0 and hashes[s] == h:
                if key is None:
                    key = _encode(token)
                if self._token_at(s) == key:
                    if self._forget[s] <= now:
                        return None
                    start, width = self._start(s), self.width
                    arena = self._arena
                    return (
                        bytes(arena[start : start + width]),
                        bytes(arena[start + width + len(key) : self._ends[s]]),
                    )
            i = (i + 1) & mask

    def add(self, token: str, forget: float, value: bytes, tail: bytes = b"") -> None:
        """Remember ``token`` with ``value`` (``width`` bytes) and ``tail`` until ``forget``."""
        if len(value) != self.width:
            raise ValueError(f"value must be {self.width} bytes, got {len(value)}")
        key = _encode(token)
        h = hash(token) & 0xFFFFFFFF
        r = len(self._hashes)
        slots, hashes, mask = self._slots, self._hashes, self._mask
        i = h & mask
        free = -1
        while True:
            s = slots[i]
            if s == _EMPTY:
                if free < 0:
                    free = i
                    self._used += 1
                self._linked += 1
                break
            if s == _GONE:
                if free < 0:
                    free = i
            elif hashes[s] == h and self._token_at(s) == key:
                free = i  # recorded again: the slot moves to the new record
                break
            i = (i + 1) & mask
        slots[free] = r
        arena = self._arena
        arena += value
        arena += key
        arena += tail
        hashes.append(h)
        self._forget.append(forget)
        self._ends.append(len(arena))
        self._toklen.append(len(key))
        if self._used * 3 > len(slots) * 2:
            self._rebuild(0)

    def prune(self, now: float) -> None:
        """Forget every record at the head whose forget time is ``<= now``."""
        forget, n = self._forget, len(self._forget)
        r = self._head
        while r < n and forget[r] <= now:
            self._unlink(r)
            r += 1
        self._head = r
        if r >= _COMPACT_AT and r * 2 >= n:
            self._compact()

    def _unlink(self, r: int) -> None:
        slots, mask = self._slots, self._mask
        i = self._hashes[r] & mask
        while True:
            s = slots[i]
            if s == _EMPTY:
                return  # recorded again since: its slot holds the newer record
            if s == r:
                slots[i] = _GONE
                self._linked -= 1
                return
            i = (i + 1) & mask

    def _compact(self) -> None:
        """Cut the forgotten records off the columns; renumber the rest."""
        k = self._head
        cut = self._ends[k - 1]
        del self._arena[:cut]
        self._hashes = self._hashes[k:]
        self._forget = self._forget[k:]
        self._toklen = self._toklen[k:]
        self._ends = array("I", [e - cut for e in self._ends[k:]])
        self._head = 0
        self._rebuild(k)

    def _rebuild(self, shift: int) -> None:
        """A fresh table of the linked records (numbers lowered by ``shift``)."""
        size = _MIN_SLOTS
        while size < 2 * self._linked:
            size *= 2
        slots = array("i", [_EMPTY]) * size
        mask = size - 1
        hashes = self._hashes
        for s in self._slots:
            if s >= 0:
                r = s - shift
                i = hashes[r] & mask
                while slots[i] != _EMPTY:
                    i = (i + 1) & mask
                slots[i] = r
        self._slots, self._mask, self._used = slots, mask, self._linked


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
