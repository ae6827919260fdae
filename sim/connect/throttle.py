"""Token buckets refilled in the caller's clock."""

from __future__ import annotations

from sim.connect.config import Quota


class TokenBucket:
    """``rate`` tokens per second up to ``burst``; starts full.

    Time is whatever the caller passes as ``now`` (simulated or wall clock).
    A clock that goes backwards refills nothing rather than draining.
    """

    __slots__ = ("burst", "last", "rate", "tokens")

    def __init__(self, quota: Quota) -> None:
        self.rate = quota.rate
        self.burst = quota.burst
        self.tokens = quota.burst
        self.last: float | None = None

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last call."""
        last = self.last
        if last is None or now > last:
            if last is not None:
                self.tokens = min(self.burst, self.tokens + (now - last) * self.rate)
            self.last = now

    def try_take(self, now: float) -> bool:
        """Take one token if there is one; False means throttled (nothing taken)."""
        self.refill(now)
        # POSIX floats near 1.7e9 resolve ~2.4e-7 s, so "exactly one token
        # refilled" can come out a hair short; tolerate that rounding.
        if self.tokens >= 1.0 - 1e-6:
            self.tokens -= 1.0
            return True
        return False
