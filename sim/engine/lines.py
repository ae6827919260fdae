"""The instance's telecom lines and what each campaign holds of them.

``Lines`` is the instance's concurrent-call limit. Every dial claims a line
through it and releases the line when the call ends; a campaign's ``Share``
counts the lines it holds and the agents its contacts hold (the roster keeps
``held``), so no other part updates those counters.
"""

from __future__ import annotations

import math
from collections.abc import Callable

EPS = 1e-9


class Share:
    """One campaign's share of the instance: its limits and what it holds now.

    ``dialing_capacity`` is its share of the instance's lines (dialingCapacity),
    ``bandwidth_allocation`` its share of its queue's agents.
    """

    __slots__ = ("bandwidth_allocation", "campaign_id", "dialing_capacity", "held", "lines")

    def __init__(
        self, campaign_id: str, bandwidth_allocation: float, dialing_capacity: float
    ) -> None:
        self.campaign_id = campaign_id
        self.bandwidth_allocation = bandwidth_allocation
        self.dialing_capacity = dialing_capacity
        self.lines = 0  # telecom lines held by this campaign's dials
        self.held = 0  # agents held by this campaign's contacts (kept by the roster)


class Lines:
    """The instance's concurrent-call limit, claimed and released per call.

    ``on_free`` callbacks run when ``freed()`` is called: a caller releases
    its line first and tells the dialers once the rest of its work is done,
    so what the freed line may start comes after it.
    """

    __slots__ = ("limit", "on_free", "used")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.on_free: list[Callable[[], None]] = []

    def free(self) -> int:
        return self.limit - self.used

    def headroom(self, share: Share) -> int:
        """Lines ``share`` may still take: its dialingCapacity share, and what is free."""
        room = math.floor(share.dialing_capacity * self.limit + EPS) - share.lines
        return min(room, self.limit - self.used)

    def claim(self, share: Share, n: int) -> None:
        """``n`` dials of ``share`` take a line each."""
        share.lines += n
        self.used += n

    def release(self, share: Share) -> None:
        """One of ``share``'s dials gave its line back (call ``freed`` when done)."""
        share.lines -= 1
        self.used -= 1

    def freed(self) -> None:
        """Lines were released: tell whoever waits for one."""
        for callback in self.on_free:
            callback()
