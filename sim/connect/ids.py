"""Identifiers drawn from the run's RNG, and wire timestamp helpers."""

from __future__ import annotations

import random
from datetime import UTC, datetime

_VERSION_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_SET = (0x4000 << 64) | (0x8000 << 48)


def new_uuid(rng: random.Random) -> str:
    """``str(uuid.UUID(int=rng.getrandbits(128), version=4))``, without the UUID object.

    The same bits are consumed and the same string produced; building the
    string directly is several times faster, which matters at 10^5 ids/s.
    """
    h = ((rng.getrandbits(128) & _VERSION_CLEAR) | _VERSION_SET).to_bytes(16, "big").hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def to_posix(value: datetime) -> float:
    """POSIX seconds of a wire timestamp; a naive one is UTC (as the API documents)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def iso8601(posix: float) -> str:
    """A POSIX time as the ISO-8601 UTC string rest-json timestamps use."""
    return datetime.fromtimestamp(posix, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
