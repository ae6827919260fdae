"""The engine's thin layer over SimPy: callbacks at a delay, and event emission.

Waiting contacts and requests are plain data; the engine schedules bare SimPy
``Timeout`` events with a callback instead of one generator process per
contact, which keeps a million contacts cheap for the scheduler.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from heapq import heappop, heappush
from typing import Any, Protocol

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, Timeout
from simpy.events import Event as SimEvent

from sim.domain import Event, EventSink
from sim.domain.events import new_event

Callback = Callable[[Any], None]
Slot = tuple[float, int]  # (instant, SimPy event id)


class Versioned(Protocol):
    """The owner of a stream: it keeps the version of the stream's last event."""

    version: int


class _Call(Timeout):
    """A Timeout that calls ``fn(arg)`` when processed.

    One shared module-level callback reads ``fn`` off the event, so no
    closure is made per call; ``__init__`` is Timeout's, minus its checks
    (``call_in`` clamps the delay), and pushes the event itself at ``at``
    with the event id ``eid`` (what ``Environment.schedule`` does), so
    ``Clock.call_slot`` can place an event at an id it reserved earlier.
    """

    def __init__(
        self, env: simpy.Environment, clock: Clock, at: float, eid: int, fn: Callback, arg: Any
    ) -> None:
        self.env = env
        self.callbacks = [_fire]
        self._value = arg
        self._delay = at - env._now
        self._ok = True
        self.fn = fn
        self.clock = clock
        self.eid = eid
        heappush(env._queue, (at, NORMAL, eid, self))


def _fire(event: Any) -> None:
    event.clock.firing = event.eid
    event.fn(event._value)


class Clock:
    """Schedules plain callbacks on the simulated clock.

    ``firing`` is the SimPy event id of the callback being run (every engine
    callback is one of the clock's); ``reserve`` / ``passed`` / ``call_slot``
    let a part skip a zero-delay callback that would do nothing, keeping its
    place in the order of the instant in case it turns out to be needed.
    """

    __slots__ = ("env", "firing")

    def __init__(self, env: simpy.Environment) -> None:
        if not isinstance(env.now, float):
            env._now = float(env.now)  # times are floats
        self.env = env
        self.firing = -1

    @property
    def now(self) -> float:
        return self.env._now

    def call_in(self, delay: float, fn: Callback, arg: Any = None) -> Timeout:
        """Call ``fn(arg)`` after ``delay`` simulated seconds (0 = later this instant)."""
        env = self.env
        at = env._now + delay if delay > 0.0 else env._now
        return _Call(env, self, at, next(env._eid), fn, arg)

    def call_at(self, when: float, fn: Callback, arg: Any = None) -> Timeout:
        """Call ``fn(arg)`` at the absolute simulated instant ``when`` (or now if past)."""
        return self.call_in(when - self.env._now, fn, arg)

    # -- a zero-delay callback's place, kept without scheduling it ---------------

    def reserve(self) -> Slot:
        """The place a zero-delay ``call_in`` made now would take (its event id is
        used up, so every later event keeps the id it would have had)."""
        env = self.env
        return (env._now, next(env._eid))

    def passed(self, slot: Slot) -> bool:
        """Whether the run has gone past ``slot`` (a callback there would have run)."""
        at, eid = slot
        return self.env._now > at or self.firing > eid

    def call_slot(self, slot: Slot, fn: Callback, arg: Any = None) -> Timeout:
        """Call ``fn(arg)`` at a reserved ``slot`` the run has not passed."""
        return _Call(self.env, self, slot[0], slot[1], fn, arg)

    # -- running ---------------------------------------------------------------

    def run(self, until: SimEvent) -> None:
        """``env.run(until)`` with the clock's own callbacks dispatched inline.

        The same events in the same order as SimPy's loop (every event is
        taken off the same queue); a callback of this clock is called directly
        instead of through ``Environment.step`` and ``_fire``, anything else
        goes through ``step``. ``until`` must not have been processed yet.
        """
        env = self.env
        queue = env._queue
        step = env.step
        until.callbacks.append(StopSimulation.callback)
        try:
            while True:
                if queue and queue[0][3].__class__ is _Call:
                    env._now, _, eid, event = heappop(queue)
                    call: Any = event
                    call.callbacks = None
                    self.firing = eid
                    call.fn(call._value)
                else:
                    step()
        except StopSimulation:
            return
        except EmptySchedule:
            raise RuntimeError(f"no events left and {until!r} was not triggered") from None


class Emitter:
    """Buffers events in emission order and hands them to the sink in chunks.

    The core and the engine both emit through the same emitter, so the log's
    global order is the order in which things happened.
    """

    __slots__ = ("_buffer", "_chunk", "_sink", "count", "last_time")

    def __init__(self, sink: EventSink, chunk: int = 8192) -> None:
        self._sink = sink
        self._chunk = chunk
        self._buffer: list[Event] = []
        self.count = 0
        self.last_time: float | None = None  # time of the last event handed on

    def append(self, events: Sequence[Event]) -> None:
        """EventSink protocol: the core emits through this."""
        self._buffer.extend(events)
        if len(self._buffer) >= self._chunk:
            self.flush()

    def emit(
        self, stream_id: str, version: int, type_: str, time: float, payload: Mapping[str, Any]
    ) -> None:
        """Emit one event whose version the caller numbered."""
        buffer = self._buffer
        buffer.append(new_event(Event, (stream_id, version, type_, time, payload)))
        if len(buffer) >= self._chunk:
            self.flush()

    def emit_next(
        self, owner: Versioned, stream_id: str, type_: str, time: float, payload: Mapping[str, Any]
    ) -> None:
        """Emit the next event of ``owner``'s stream: its version is ``owner.version + 1``."""
        owner.version = version = owner.version + 1
        buffer = self._buffer
        buffer.append(new_event(Event, (stream_id, version, type_, time, payload)))
        if len(buffer) >= self._chunk:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            self.count += len(self._buffer)
            self.last_time = self._buffer[-1][3]
            self._sink.append(self._buffer)
            self._buffer = []
