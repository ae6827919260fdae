"""Request quotas of HTTP clients at ``--speed X``: the wall clock by default.

AWS's quotas are per wall-clock second; at ``--speed 60`` a simulated minute
passes each second, so measured on the simulated clock a client could send
60 times the real rate. ``quota_clock="simulated"`` asks for exactly that.
The simulated loader and dialer always keep simulated-time quotas, in
buckets of their own. A controllable clock stands in for the wall clock.
"""

from __future__ import annotations

import orjson
import pytest

from sim.connect import CAMPAIGNS_PRINCIPAL, ServiceError
from sim.scenario import parse_scenario
from sim.server import Simulation, create_app
from sim.store import Store

from .conftest import INSTANCE, V1, Asgi, FakeClock, scenario
from .oracle import contact_item, expires

SPEED = 60.0
BURST, RATE = 15, 10.0  # BatchPutContact's AWS default quota


def simulation(quota_clock: str, clock: FakeClock) -> Simulation:
    return Simulation(
        parse_scenario(scenario()),
        Store(":memory:"),
        speed=SPEED,
        clock=clock,
        quota_clock=quota_clock,
    )


def back_to_back(sim: Simulation, clock: FakeClock, calls: int, gap: float) -> int:
    """BatchPutContact ``calls`` times, ``gap`` wall seconds apart; the accepted count."""
    accepted = 0
    for n in range(calls):
        request = {"InstanceId": INSTANCE, "ContactDataRequestList": [contact_item(f"q{n}")]}
        try:
            sim.call("connect", "BatchPutContact", request, CAMPAIGNS_PRINCIPAL)
            accepted += 1
        except ServiceError as error:
            assert (error.code, error.status) == ("LimitExceededException", 429)
        clock.advance(gap)
    return accepted


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_wall_clock_quotas_by_default(clock: FakeClock) -> None:
    sim = simulation("wall", clock)
    sim.start()
    try:
        # 60 calls over 0.59 wall seconds: the burst plus 5.9 tokens of refill.
        assert back_to_back(sim, clock, 60, 0.01) == BURST + 5
    finally:
        sim.stop()


def test_simulated_clock_quotas_on_request(clock: FakeClock) -> None:
    sim = simulation("simulated", clock)
    sim.start()
    try:
        # 0.01 wall s = 0.6 simulated s, in which 6 tokens come back.
        assert back_to_back(sim, clock, 60, 0.01) == 60
    finally:
        sim.stop()


def test_the_default_app_measures_http_quotas_on_the_wall_clock(clock: FakeClock) -> None:
    app = create_app(None, speed=SPEED)
    asgi = Asgi(app, clock)
    try:
        assert asgi.simulation.quota_clock == "wall"
        statuses = []
        for n in range(30):
            body = orjson.dumps({"ContactDataRequestList": [contact_item(f"h{n}")]})
            reply = asgi.request("PUT", f"/contact/batch/{INSTANCE}", body, key="AKIDCAMPAIGNS")
            statuses.append(reply.status)
        assert statuses == [200] * BURST + [429] * (30 - BURST)
    finally:
        asgi.close()


def test_unknown_quota_clock_is_refused() -> None:
    with pytest.raises(ValueError, match="quota_clock"):
        create_app(None, quota_clock="sundial")


def dialer_errors(quota_clock: str, clock: FakeClock) -> list[str | None]:
    """Drain BatchPutContact's bucket over HTTP, then let the simulated dialer call."""
    sim = simulation(quota_clock, clock)
    sim.start()
    back_to_back(sim, clock, BURST + 5, 0.0)  # every call at one instant
    request = {
        "id": V1,
        "dialRequests": [
            {
                "clientToken": "after-drain",
                "phoneNumber": "+15551230000",
                "expirationTime": expires(),
                "attributes": {},
            }
        ],
    }
    sim.call("connectcampaigns", "PutDialRequestBatch", request, "access-key/AKIDUSER")
    clock.advance(0.001)
    sim.call("connectcampaigns", "GetCampaignState", {"id": V1}, "access-key/AKIDUSER")
    sim.stop()
    assert sim.run_id is not None
    events = sim.store.iter_events(sim.run_id)
    return [e.payload["error"] for e in events if e.type == "BATCH_PUT_CONTACT_CALLED"][:1]


def test_wall_clock_http_quotas_leave_the_simulated_dialer_alone(clock: FakeClock) -> None:
    assert dialer_errors("wall", clock) == [None]


def test_simulated_http_quotas_share_the_dialer_buckets(clock: FakeClock) -> None:
    assert dialer_errors("simulated", clock) == ["LimitExceededException"]
