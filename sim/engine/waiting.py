"""The waiting queue: live calls with no agent, per queue, first come first served.

A call that reached the queue without a reserved agent (predictive dialing)
takes the longest-idle free agent, or waits. Two clocks run while it waits:

- the connection threshold (``call.threshold_at``, set by the telephony from
  the campaign's start point): past it the call counts as abandoned, and the
  campaign's ``after_threshold`` says whether it stays in the queue or the
  flow hangs up;
- the customer's patience: when it runs out the customer hangs up.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from sim.engine.agents import Agent, AgentRoster, QueuePool
from sim.engine.call import Call
from sim.engine.clock import Clock


class WaitingQueue:
    """Live calls waiting for an agent; each leaves exactly once.

    ``connect(call, agent)``, ``threshold_passed(call)`` and ``hung_up(call)``
    are the telephony's: what happens to a call when an agent takes it, when
    its threshold passes while it waits, and when its customer gives up.
    """

    def __init__(
        self,
        clock: Clock,
        roster: AgentRoster,
        connect: Callable[[Call, Agent], None],
        threshold_passed: Callable[[Call], None],
        hung_up: Callable[[Call], None],
    ) -> None:
        self.clock = clock
        self.roster = roster
        self._connect = connect
        self._threshold_passed = threshold_passed
        self._hung_up = hung_up
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
        queue = call.runtime.queue_id or ""
        agent = self.roster.pool(queue).take()
        if agent is not None:
            self._connect(call, agent)
            return
        call.waiting = True
        self._calls.setdefault(queue, deque()).append(call)
        self._counts[queue] = self._counts.get(queue, 0) + 1
        patience = call.runtime.profile.patience()
        clock = self.clock
        if call.threshold_at > clock.now:
            clock.call_at(call.threshold_at, self._at_threshold, call)
        else:
            self._at_threshold(call)
        if call.waiting:
            clock.call_in(patience, self._out_of_patience, call)

    def leave(self, call: Call) -> None:
        """``call`` stops waiting (its entry is skipped when met)."""
        call.waiting = False
        self._counts[call.runtime.queue_id or ""] -= 1

    def _at_threshold(self, call: Call) -> None:
        if call.waiting and not call.abandoned:
            self._threshold_passed(call)

    def _out_of_patience(self, call: Call) -> None:
        if call.waiting:
            self.leave(call)
            self._hung_up(call)

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
