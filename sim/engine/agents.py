"""Simulated agents: states, the free list per queue, and staffing by schedule.

An agent is a small record; its state changes are events on its own stream.
Each queue keeps a deque of AVAILABLE agents, longest-idle first, so taking
or releasing an agent is O(1).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.domain import AgentState, EventType
from sim.domain.events import Login, Logout, StateChange

if TYPE_CHECKING:
    from sim.engine.clock import Clock, Emitter
    from sim.engine.lines import Share

OFFLINE = AgentState.OFFLINE.value
AVAILABLE = AgentState.AVAILABLE.value
RESERVED = AgentState.RESERVED.value
ON_CONTACT = AgentState.ON_CONTACT.value
ACW = AgentState.AFTER_CONTACT_WORK.value
ON_BREAK = AgentState.ON_BREAK.value
_STATE_CHANGE = EventType.STATE_CHANGE.value  # plain str on the hot path


class Agent:
    """One agent. ``owner`` is the share of the campaign whose contact holds it."""

    __slots__ = (
        "available_since",
        "break_due",
        "group",
        "id",
        "in_pool",
        "leaving",
        "logged_in",
        "owner",
        "queue",
        "state",
        "version",
    )

    def __init__(self, agent_id: str, group: str, queue: str) -> None:
        self.id = agent_id
        self.group = group
        self.queue = queue
        self.state = OFFLINE
        self.version = 0
        self.logged_in = False
        self.leaving = False  # scheduled logout waits for the current contact
        self.owner: Share | None = None
        self.in_pool = False
        self.available_since = 0.0
        self.break_due = 0.0  # a break to take when the current contact ends


class QueuePool:
    """The agents serving one queue and the deque of those AVAILABLE."""

    __slots__ = (
        "available",
        "logged_in",
        "name",
        "on_change",
        "on_free",
        "on_wrap",
        "talking",
        "wrapping",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.available: deque[Agent] = deque()
        self.logged_in = 0
        # Agents on a contact / in after-contact work: predictive pacing's inputs.
        self.talking = 0
        self.wrapping = 0
        # Callbacks run whenever an agent becomes available, staffing moves,
        # or an agent starts after-contact work (predictive pacing listens).
        self.on_free: list[Callable[[], None]] = []
        self.on_change: list[Callable[[], None]] = []
        self.on_wrap: list[Callable[[], None]] = []

    def take(self) -> Agent | None:
        """The longest-idle available agent, removed from the free list."""
        available = self.available
        while available:
            agent = available.popleft()
            agent.in_pool = False
            if agent.state == AVAILABLE:
                return agent
        return None

    def free_count(self) -> int:
        return len(self.available)


class AgentRoster:
    """All agents, their state changes and their pools.

    Every state change goes through :meth:`set_state`, which emits the
    STATE_CHANGE event and keeps the free lists right.
    """

    def __init__(self, clock: Clock, emitter: Emitter) -> None:
        self.clock = clock
        self.emitter = emitter
        self.pools: dict[str, QueuePool] = {}
        self.groups: dict[str, list[Agent]] = {}

    def pool(self, queue: str) -> QueuePool:
        pool = self.pools.get(queue)
        if pool is None:
            pool = self.pools[queue] = QueuePool(queue)
        return pool

    def set_state(self, agent: Agent, state: str, contact_id: str | None = None) -> None:
        """Move ``agent`` to ``state``, emitting its STATE_CHANGE event."""
        previous = agent.state
        agent.state = state
        if previous in (ON_CONTACT, ACW) or state in (ON_CONTACT, ACW):
            pool = self.pools[agent.queue]
            if previous == ON_CONTACT:
                pool.talking -= 1
            elif previous == ACW:
                pool.wrapping -= 1
            if state == ON_CONTACT:
                pool.talking += 1
            elif state == ACW:
                pool.wrapping += 1
                for callback in pool.on_wrap:
                    callback()
        payload: StateChange = {"state": state, "previous": previous, "contact_id": contact_id}
        self.emitter.emit_next(agent, agent.id, _STATE_CHANGE, self.clock.now, payload)

    def reserve(self, agent: Agent, share: Share, contact_id: str | None = None) -> None:
        """Hold ``agent`` for one of ``share``'s dials before it rings (RESERVED)."""
        self.hold(agent, share)
        self.set_state(agent, RESERVED, contact_id)

    def hold(self, agent: Agent, share: Share) -> None:
        """``share``'s contact holds ``agent`` (if no contact holds it yet)."""
        if agent.owner is None:
            agent.owner = share
            share.held += 1

    def release(self, agent: Agent) -> None:
        """The agent's contact is over: available again, or logged out if leaving."""
        owner = agent.owner
        if owner is not None:
            owner.held -= 1
            agent.owner = None
        if agent.leaving:
            self._logout(agent)
            return
        if agent.break_due > 0.0:
            self._take_break(agent)
            return
        self.set_state(agent, AVAILABLE)
        self._make_available(agent)

    # -- breaks -----------------------------------------------------------------

    def start_break(self, group: str, duration: float, fraction: float) -> None:
        """A share of the group's agents take a break, each as soon as it is free."""
        active = [a for a in self.groups.get(group, []) if a.logged_in and not a.leaving]
        for agent in active[: round(fraction * len(active))]:
            agent.break_due = duration
            if agent.state == AVAILABLE:
                pool = self.pools[agent.queue]
                if agent.in_pool:
                    pool.available.remove(agent)
                    agent.in_pool = False
                self._take_break(agent)

    def _take_break(self, agent: Agent) -> None:
        duration = agent.break_due
        agent.break_due = 0.0
        self.set_state(agent, ON_BREAK)
        self.clock.call_in(duration, self._end_break, agent)

    def _end_break(self, agent: Agent) -> None:
        if agent.state != ON_BREAK:
            return
        if agent.leaving or not agent.logged_in:
            self._logout(agent)
            return
        self.set_state(agent, AVAILABLE)
        self._make_available(agent)

    def _make_available(self, agent: Agent) -> None:
        pool = self.pools[agent.queue]
        agent.available_since = self.clock.now
        if not agent.in_pool:
            agent.in_pool = True
            pool.available.append(agent)
        for callback in pool.on_free:
            callback()

    # -- staffing ---------------------------------------------------------------

    def set_headcount(self, group: str, queue: str, headcount: int) -> None:
        """Log agents in or out so the group's scheduled headcount is ``headcount``.

        Agents beyond the new headcount log out at once if idle; busy ones
        finish their contact first (``leaving``).
        """
        agents = self.groups.setdefault(group, [])
        pool = self.pool(queue)
        active = [a for a in agents if a.logged_in and not a.leaving]
        if headcount > len(active):
            need = headcount - len(active)
            # Agents still finishing a contact simply stay on.
            for agent in agents:
                if need == 0:
                    break
                if agent.logged_in and agent.leaving:
                    agent.leaving = False
                    need -= 1
            for agent in agents:
                if need == 0:
                    break
                if not agent.logged_in:
                    self._login(agent, pool)
                    need -= 1
            while need > 0:
                agent = Agent(f"{group}-{len(agents) + 1:04d}", group, queue)
                agents.append(agent)
                self._login(agent, pool)
                need -= 1
        elif headcount < len(active):
            excess = len(active) - headcount
            # Idle agents leave first, most recently freed first; then busy ones.
            idle = sorted(
                (a for a in active if a.state == AVAILABLE),
                key=lambda a: (-a.available_since, a.id),
            )
            busy = [a for a in reversed(active) if a.state != AVAILABLE]
            for agent in (idle + busy)[:excess]:
                if agent.state == AVAILABLE:
                    self._logout(agent)
                else:
                    agent.leaving = True
        for callback in pool.on_change:
            callback()

    def _login(self, agent: Agent, pool: QueuePool) -> None:
        agent.logged_in = True
        agent.leaving = False
        pool.logged_in += 1
        login: Login = {"group": agent.group, "queue_id": agent.queue}
        self.emitter.emit_next(agent, agent.id, EventType.LOGIN, self.clock.now, login)
        self.set_state(agent, AVAILABLE)
        self._make_available(agent)

    def _logout(self, agent: Agent) -> None:
        pool = self.pools[agent.queue]
        if agent.in_pool:
            # Keep len(available) exact: capacity decisions count on it.
            pool.available.remove(agent)
            agent.in_pool = False
        agent.logged_in = False
        agent.leaving = False
        pool.logged_in -= 1
        self.set_state(agent, OFFLINE)
        logout: Logout = {"group": agent.group}
        self.emitter.emit_next(agent, agent.id, EventType.LOGOUT, self.clock.now, logout)

    def logout_all(self) -> None:
        """End of the run: every logged-in agent goes OFFLINE (in id order)."""
        for agents in self.groups.values():
            for agent in agents:
                if agent.logged_in:
                    self._logout(agent)
