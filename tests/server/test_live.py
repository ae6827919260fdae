"""The simulation behind the API: dialed requests, concurrency, the recorded run."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sim.scenario import parse_scenario
from sim.server import ServerHandle, create_app
from sim.store import Store

from .conftest import INSTANCE, NO_THROTTLE, PRINCIPAL_KEY, V1, client_factory, scenario
from .test_api import contact_item

SPEED = 200.0
FAST = {
    "ring_to_answer": "2s",
    "talk": "5s",
    "patience": "30s",
    "voicemail": "3s",
    "busy_signal": "1s",
}


def fast_scenario() -> Any:
    data = scenario(durations=FAST)
    data["agent_groups"][0]["after_contact_work"] = "2s"
    return parse_scenario(data)


def wait_for(predicate: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_pushed_dial_requests_are_dialed_to_completion(tmp_path: Path) -> None:
    db = tmp_path / "serve.db"
    app = create_app(fast_scenario(), speed=SPEED, db=str(db), quotas=NO_THROTTLE)
    with ServerHandle(app) as server:
        make = client_factory(server)
        campaigns, connect = make("connectcampaigns"), make("connect")
        # Simulated time runs SPEED times faster than the client's clock.
        expires = datetime.now(UTC) + timedelta(days=2)
        requests = [
            {
                "clientToken": f"life-{i}",
                "phoneNumber": "+15551230000",
                "expirationTime": expires,
                "attributes": {},
            }
            for i in range(8)
        ]
        out = campaigns.put_dial_request_batch(id=V1, dialRequests=requests)
        assert len(out["successfulRequests"]) == 8
        index = server.simulation.index

        def contact_ids() -> list[str]:
            with server.simulation.cond:
                return list(index._contacts) if len(index) >= 8 else []

        ids = wait_for(contact_ids)

        def all_done() -> list[dict[str, Any]]:
            found = [
                connect.describe_contact(InstanceId=INSTANCE, ContactId=cid)["Contact"]
                for cid in ids
            ]
            return found if all("DisconnectTimestamp" in c for c in found) else []

        contacts = wait_for(all_done)
        for c in contacts:
            assert c["Campaign"] == {"CampaignId": V1}
            assert c["InitiationTimestamp"] <= c["RingStartTimestamp"] <= c["DisconnectTimestamp"]
            assert c["DisconnectReason"]
            assert c["AnsweringMachineDetectionStatus"]
        talked = [c for c in contacts if "AgentInfo" in c]
        for c in talked:
            agent = c["AgentInfo"]
            assert c["QueueInfo"]["EnqueueTimestamp"] <= agent["ConnectedToAgentTimestamp"]
            assert agent["AfterContactWorkStartTimestamp"] == c["DisconnectTimestamp"]
        wait_for(
            lambda: all(
                "AfterContactWorkEndTimestamp" in c["AgentInfo"]
                for c in all_done()
                if "AgentInfo" in c
            )
        )
        run_id = server.simulation.run_id
    store = Store(str(db))
    run = store.run(run_id)
    assert run.status == "completed"
    assert run.events > 0
    types = {e.type for e in store.iter_events(run_id)}
    assert {"CAMPAIGN_CREATED", "DIAL_REQUEST_ACCEPTED", "INITIATED", "COMPLETED"} <= types
    assert "DIAL_REQUEST_COMPLETED" in types
    store.dispose()


def test_concurrent_identical_requests_make_one_set_of_contacts() -> None:
    app = create_app(None, quotas=NO_THROTTLE)
    with ServerHandle(app) as server:
        make = client_factory(server)
        clients = [make("connect", PRINCIPAL_KEY) for _ in range(8)]
        items = [contact_item(f"c{i}") for i in range(5)]
        barrier = threading.Barrier(len(clients))
        results: list[Any] = [None] * len(clients)

        def push(n: int) -> None:
            barrier.wait()
            results[n] = clients[n].batch_put_contact(
                InstanceId=INSTANCE, ClientToken="same-token", ContactDataRequestList=items
            )["SuccessfulRequestList"]

        threads = [threading.Thread(target=push, args=(n,)) for n in range(len(clients))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(r == results[0] for r in results)
        assert len(results[0]) == 5
        assert len(server.simulation.index) == 5
