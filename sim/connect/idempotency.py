"""Idempotency records of BatchPutContact: ClientToken -> (digest, response).

A record keeps only a 16-byte digest of the canonical request and the
response serialised with orjson, so a week of tokens stays small and a
replayed response cannot be mutated by whoever received the first one.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import orjson


class _Record(NamedTuple):
    digest: bytes
    response: bytes
    expires: float


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


class IdempotencyStore:
    """Tokens seen within ``retention_s``; expired ones are pruned lazily.

    Expiries are kept in a queue in recording order, which is expiry order as
    long as the caller's clock does not go backwards, so pruning pops from its
    front in O(1). (Popping the first key of a dict instead is O(deleted keys):
    CPython leaves a tombstone per deleted entry until the dict is resized.)
    """

    def __init__(self, retention_s: float) -> None:
        self.retention_s = retention_s
        self._records: dict[str, _Record] = {}
        self._expiries: deque[tuple[float, str]] = deque()

    def __len__(self) -> int:
        return len(self._records)

    def lookup(self, token: str, now: float) -> tuple[bytes, dict[str, Any]] | None:
        """(digest, response copy) recorded for ``token``, or None if unknown or expired."""
        rec = self._records.get(token)
        if rec is None or rec.expires <= now:
            return None
        return rec.digest, orjson.loads(rec.response)

    def record(self, token: str, digest: bytes, response: Mapping[str, Any], now: float) -> None:
        """Remember ``response`` for ``token`` until ``now + retention_s``."""
        self._prune(now)
        expires = now + self.retention_s
        self._records[token] = _Record(digest, orjson.dumps(response), expires)
        self._expiries.append((expires, token))

    def _prune(self, now: float) -> None:
        records, expiries = self._records, self._expiries
        while expiries and expiries[0][0] <= now:
            _, token = expiries.popleft()
            rec = records.get(token)
            if rec is not None and rec.expires <= now:  # not recorded again since
                del records[token]
