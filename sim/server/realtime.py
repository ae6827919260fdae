"""The scenario's model run against the wall clock, behind one lock.

One lock guards the core and the SimPy environment. A simulation thread
steps the events that are due on the wall clock, mapped to simulated time
by ``sim_now(wall) = start_ts + (wall - start_ts) * speed`` (the simulated
start is the wall clock's current second, so at speed 1 the two clocks
agree). HTTP handlers take the same lock, first step every event due by
their instant (so the event log stays in time order), call the core at
that instant, tell the model what changed by scheduling a callback at that
instant, and wake the simulation thread.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sim.connect import OutboundCore, Quotas, ServiceError
from sim.engine import Model
from sim.runner import RunRecorder, core_config
from sim.scenario import Scenario, apply_overrides
from sim.server.contacts import ContactIndex, describe_contact
from sim.server.protocol import CONNECT, internal_error
from sim.store import Store

log = logging.getLogger("sim.server")

REQUEST_OPS = frozenset({"PutDialRequestBatch", "PutOutboundRequestBatch"})
STATE_OPS = frozenset({"StartCampaign", "PauseCampaign", "ResumeCampaign", "StopCampaign"})
QUOTA_CLOCKS = ("wall", "simulated")
STEP_BUDGET = 5000  # events stepped per lock hold, so handlers get the lock
FLUSH_EVERY_S = 2.0  # wall seconds between writes of buffered events to the store
# The fastest simulated clock: a year-long horizon in about 30 wall seconds.
# Past it nothing is gained, and at inf (or near it) the clock itself breaks.
MAX_SPEED = 1e6


def wall_start(scenario: Scenario, wall: float) -> Scenario:
    """``scenario`` moved to start at ``wall`` (to the second) in its own timezone.

    Clients compute ``expirationTime`` from their real clock, so the
    simulated clock must start at the real one.
    """
    start = datetime.fromtimestamp(math.floor(wall), tz=scenario.start.tzinfo)
    return apply_overrides(scenario, {"start": start.isoformat()})


class Simulation:
    """A live run: the core and the model on the wall clock, recorded in ``store``.

    ``start()`` records the run and starts the clock; ``call`` and
    ``describe_contact`` serve HTTP requests; ``stop()`` finishes the run
    ('completed', or 'failed' if the model raised).
    """

    def __init__(
        self,
        scenario: Scenario,
        store: Store,
        *,
        speed: float = 1.0,
        quotas: Quotas | None = None,
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
        quota_clock: str = "wall",
    ) -> None:
        if not 0 < speed <= MAX_SPEED:  # NaN fails too
            raise ValueError(f"speed must be in (0, {MAX_SPEED:g}], got {speed}")
        if quota_clock not in QUOTA_CLOCKS:
            raise ValueError(f"quota_clock must be one of {QUOTA_CLOCKS}, got {quota_clock!r}")
        self.quota_clock = quota_clock
        self.base_scenario = scenario
        self.store = store
        self.speed = speed
        self.quotas = quotas
        self.seed = scenario.seed if seed is None else seed
        self.clock = clock
        self.index = ContactIndex()
        self.cond = threading.Condition(threading.Lock())
        self.failure: str | None = None
        self.recorder: RunRecorder | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------

    def start(self) -> None:
        """Record the run, build core and model at the wall clock, start the thread."""
        wall = self.clock()
        scenario = wall_start(self.base_scenario, wall)
        self.scenario = scenario
        self.start_ts = scenario.start_ts
        self.recorder = RunRecorder(self.store, scenario, self.seed)
        self.emitter = self.recorder.open("inline", tap=self.index)
        config = core_config(scenario)
        if self.quotas is not None:
            config = config.model_copy(update={"quotas": self.quotas})
        rng = random.Random(self.seed)
        self.core = OutboundCore(config, rng, self.emitter)
        self.model = Model(scenario, rng, self.emitter, self.core)
        self.arn_prefix = (
            f"arn:aws:connect:{config.region}:{config.account_id}:instance/{config.instance_id}"
        )
        with self.cond:
            self.model.setup()
        self._thread = threading.Thread(target=self._loop, name="sim-clock", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the clock, bring the model to now, and finish the run in the store."""
        with self.cond:
            self._stopping = True
            self.cond.notify_all()
        if self._thread is not None:
            self._thread.join()
        with self.cond:
            self._finish()

    def _finish(self) -> None:
        """The one end of the run: the model's ``finish``, recorded by the runner's
        ``RunRecorder`` (completed, or failed with what went wrong)."""
        recorder = self.recorder
        assert recorder is not None
        if self.failure is None:
            try:
                self._advance_to(self.sim_now(), final=True)
                recorder.complete(self.model.finish())
                return
            except Exception:  # keep what was recorded, fail the run
                self._fail("while finishing the run")
        assert self.failure is not None
        recorder.failed(self.failure.splitlines()[0], self.failure)

    @property
    def run_id(self) -> int | None:
        return None if self.recorder is None else self.recorder.run_id

    # -- the clock --------------------------------------------------------------

    def sim_now(self) -> float:
        """The simulated instant of the wall clock now (never before the model's now)."""
        mapped = self.start_ts + (self.clock() - self.start_ts) * self.speed
        return max(mapped, float(self.model.env.now))

    def _advance_to(self, target: float, *, final: bool = False) -> float:
        """Step every event due at or before ``target`` (all of them, or a budget)."""
        env = self.model.env
        if final and target > env.now:
            # A marker event at the target moves env.now there, so the run ends at it.
            self.model.clock.call_at(target, _noop)
        budget = math.inf if final else STEP_BUDGET
        while env.peek() <= target and budget > 0:
            env.step()
            budget -= 1
        self.emitter.flush()
        return float(env.now)

    def _loop(self) -> None:
        last_flush = time.monotonic()
        with self.cond:
            while not self._stopping and self.failure is None:
                try:
                    self._advance_to(self.sim_now())
                    if time.monotonic() - last_flush >= FLUSH_EVERY_S:
                        assert self.recorder is not None
                        self.recorder.flush()
                        last_flush = time.monotonic()
                except Exception:  # recorded; the run ends failed
                    self._fail("in the simulation thread")
                    return
                self.cond.wait(self._sleep_s())

    def _sleep_s(self) -> float:
        """Wall seconds until the next event is due (0 if overdue), at most a flush period."""
        due = float(self.model.env.peek())
        wait = (due - self.sim_now()) / self.speed
        return min(max(wait, 0.0), FLUSH_EVERY_S)

    def _fail(self, where: str) -> None:
        detail = traceback.format_exc()
        log.error("simulation failed %s:\n%s", where, detail)
        if self.failure is None:
            self.failure = f"{where}:\n{detail}"

    # -- serving requests ----------------------------------------------------------

    def _catch_up(self, service: str) -> float:
        """Step the model to the wall clock's instant; raise a 500 if the run failed."""
        if self.failure is not None or self._stopping:
            raise internal_error(service, "The simulation is not running")
        now = self.sim_now()
        env = self.model.env
        try:
            while env.peek() <= now:
                self._advance_to(now)
        except Exception:  # recorded; the run ends failed
            self._fail("while catching up for a request")
            raise internal_error(service, "The simulation failed") from None
        return now

    def call(
        self, service: str, operation: str, request: Mapping[str, Any], caller: str
    ) -> dict[str, Any]:
        """One API call (a JSON request) at the current simulated instant.

        Its request quota is measured on the wall clock (``quota_clock``
        "wall", in buckets of its own) or at the simulated instant, in the
        buckets the simulated loader and dialer use ("simulated"). Raises
        ServiceError.
        """
        with self.cond:
            now = self._catch_up(service)
            quota_time = self.clock() if self.quota_clock == "wall" else None
            try:
                response = self.core.call(
                    service,
                    operation,
                    request,
                    caller=caller,
                    now=now,
                    quota_time=quota_time,
                    json=True,
                )
            finally:
                self.emitter.flush()
            self._tell_model(operation, request, response, now)
            self.cond.notify()
        return response

    def describe_contact(self, instance_id: str, contact_id: str) -> dict[str, Any]:
        """DescribeContact from the live index; ResourceNotFoundException if unknown."""
        with self.cond:
            self._catch_up(CONNECT)
            view = self.index.get(contact_id)
        if view is None or view.instance_id != instance_id:
            raise ServiceError(
                "ResourceNotFoundException",
                f"Contact {contact_id!r} not found in instance {instance_id!r}",
                service=CONNECT,
            )
        return describe_contact(view, self.arn_prefix)

    def dial_request(self, request_id: str) -> dict[str, Any]:
        """The server's view of a dial request (a simulator extension, not an AWS API)."""
        with self.cond:
            self._catch_up(CONNECT)
            view = self.index.dial_request(request_id)
            if view is None:
                raise ServiceError(
                    "ResourceNotFoundException", f"Dial request {request_id!r} not found"
                )
            return view.wire()

    # -- telling the model --------------------------------------------------------

    def _at(self, now: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the simulated clock at ``now`` (not before what is stepped)."""
        self.model.clock.call_in(now - float(self.model.env.now), lambda _arg: fn())

    def _tell_model(
        self, operation: str, request: Mapping[str, Any], response: Mapping[str, Any], now: float
    ) -> None:
        campaign_id = request.get("id")
        model = self.model
        if operation in REQUEST_OPS and response.get("successfulRequests"):
            self._at(now, lambda: model.requests_arrived(str(campaign_id)))
        elif operation in STATE_OPS:
            self._at(now, lambda: model.campaign_changed(str(campaign_id)))
        elif operation == "CreateCampaign":
            model.attach_campaign(str(response["id"]))
        elif operation == "DeleteCampaign":
            self.model.detach_campaign(str(campaign_id))


def _noop(_arg: Any) -> None:
    """The marker event that ends a run at a given instant."""
