"""DeleteCampaign of a campaign the scenario defines, in the middle of a run.

As in AWS, it succeeds: the campaign stops (its buffer ends EXPIRED), its
simulated dialer is detached, and everything it held ends without a
traceback: carried items, calls backing off, contacts in progress, redials
and the schedule's later control actions.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from sim.connect import ServiceError
from sim.domain import TERMINAL_TYPES
from sim.scenario import parse_scenario
from sim.server import Simulation
from sim.store import Store

from .conftest import V1, V2, FakeClock, scenario

USER = "access-key/AKIDUSER"
SPEED = 60.0


def busy_scenario() -> Any:
    data = scenario(
        horizon="3h",
        api={"faults": {"request_error_probability": 0.7, "item_error_probability": 0.3}},
        durations={"talk": "2m", "ring_to_answer": "5s", "patience": "30s"},
    )
    data["agent_groups"][0]["staffing"][0]["agents"] = 10
    data["campaigns"][0].update(
        schedule=[
            {"at": "20m", "action": "pause"},
            {"at": "30m", "action": "resume"},
            {"at": "50m", "action": "stop"},
        ],
        redial={"max_attempts": 3, "delay": "5m", "on": ["NO_ANSWER", "BUSY", "VOICEMAIL"]},
        sources=[
            {
                "kind": "poisson",
                "rate_per_hour": 600,
                "batch_size": 10,
                "max_requests": 400,
                "expires_after": "2h",
            }
        ],
    )
    return parse_scenario(data)


def busy(sim: Simulation) -> bool:
    """Requests buffered, a BatchPutContact call backing off, items carried, calls up,
    redials scheduled."""
    model = sim.model
    parts = model.campaigns.get(V1)
    if parts is None or parts.redial is None:
        return False
    ingestor = parts.ingestor
    return bool(
        sim.core.pending_count(V1)
        and ingestor.in_call
        and ingestor.carry
        and model.telephony.active
        and parts.redial.pending
    )


def test_delete_a_scenario_campaign_mid_run(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    store = Store(":memory:")
    sim = Simulation(busy_scenario(), store, speed=SPEED, clock=clock)
    sim.start()
    try:
        for _ in range(20000):  # 1 wall ms = 60 simulated ms per step
            clock.advance(0.001)
            with sim.cond:
                sim._catch_up("connect")
                if busy(sim):
                    break
        else:
            pytest.fail("the run never had everything in flight at once")
        assert sim.sim_now() - sim.start_ts < 20 * 60, "delete before the scheduled pause"
        with caplog.at_level(logging.ERROR, logger="sim.server"):
            assert sim.call("connectcampaigns", "DeleteCampaign", {"id": V1}, USER) == {}
            with pytest.raises(ServiceError) as info:
                sim.call("connectcampaigns", "GetCampaignState", {"id": V1}, USER)
            assert info.value.code == "ResourceNotFoundException"
            # The scheduled pause / resume / stop, the redials, the backoff and
            # the horizon all come and go.
            for _ in range(4 * 60):
                clock.advance(1.0)
                state = sim.call("connectcampaignsv2", "GetCampaignState", {"id": V2}, USER)
                assert state == {"state": "Running"}
            sim.stop()
        assert sim.failure is None
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    finally:
        if sim.failure is None and not sim._stopping:
            sim.stop()
    assert sim.run_id is not None
    run = store.run(sim.run_id)
    assert run.status == "completed"
    ended: dict[str, str] = {}
    accepted: set[str] = set()
    for e in store.iter_events(sim.run_id):
        if e.payload.get("campaign_id") != V1:
            continue
        if e.type == "DIAL_REQUEST_ACCEPTED":
            accepted.add(e.stream_id)
        elif e.type in TERMINAL_TYPES:
            ended[e.stream_id] = e.type
    assert accepted, "the source placed nothing"
    # Nothing the deleted campaign accepted is left without an end.
    assert accepted <= set(ended)
    store.dispose()
