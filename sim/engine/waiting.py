"""The waiting queue: live calls with no agent, per queue, first come first served.

A live call that reached the queue without a reserved agent (predictive
dialing) takes the longest-idle free agent, or waits. It is abandoned at the
connection threshold or when the customer's patience runs out, whichever
comes first; the threshold clock starts at the answer, or at the start or end
of the customer's greeting (the v2 connectionStartPoint; the US TSR counts
two seconds from the completed greeting).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from sim.engine.agents import Agent, AgentRoster, QueuePool
from sim.engine.call import Call
from sim.engine.clock import Clock


class WaitingQueue:
    """Live calls waiting for an agent; connects or abandons each exactly once.

    ``connect(call, agent)`` and ``abandon(call)`` are the telephony's: what
    happens to a call once it leaves the queue.
    """

    def __init__(
        self,
        clock: Clock,
        roster: AgentRoster,
        connect: Callable[[Call, Agent], None],
        abandon: Callable[[Call], None],
    ) -> None:
        self.clock = clock
        self.roster = roster
        self._connect = connect
        self._abandon = abandon
        self._calls: dict[str, deque[Call]] = {}
        self._counts: dict[str, int] = {}

    def serve_on_free(self, pool: QueuePool) -> None:
        """Waiting calls go first to an agent of ``pool`` who becomes free."""
        name = pool.name
        pool.on_free.append(lambda: self.serve(name))

    def count(self, queue: str) -> int:
        """Live calls waiting in ``queue`` now."""
        return self._counts.get(queue, 0)

    def route(self, call: Call) -> None:
        """A live call with no reserved agent: the next free agent, or wait."""
        runtime = call.runtime
        queue = runtime.queue_id or ""
        agent = self.roster.pool(queue).take()
        if agent is not None:
            self._connect(call, agent)
            return
        call.waiting = True
        self._calls.setdefault(queue, deque()).append(call)
        self._counts[queue] = self._counts.get(queue, 0) + 1
        profile = runtime.profile
        limit = profile.patience()
        predictive = runtime.config.predictive
        deadline = predictive.connection_threshold + profile.threshold_offset(
            predictive.connection_start_point
        )
        self.clock.call_in(min(limit, deadline), self._give_up, call)

    def _give_up(self, call: Call) -> None:
        if call.waiting:
            call.waiting = False
            self._counts[call.runtime.queue_id or ""] -= 1
            self._abandon(call)

    def serve(self, queue: str) -> None:
        """Free agents of ``queue`` take waiting calls, oldest first."""
        waiting = self._calls.get(queue)
        if not waiting:
            return
        pool = self.roster.pool(queue)
        while waiting and pool.available:
            call = waiting.popleft()
            if not call.waiting:
                continue
            agent = pool.take()
            if agent is None:
                waiting.appendleft(call)
                return
            self._counts[queue] -= 1
            self._connect(call, agent)
