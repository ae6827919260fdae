"""Throughput and latency of the HTTP face under concurrent boto3 clients.

Run: ``python benchmarks/bench_server.py --clients N --requests M``. Starts
the server on a free loopback port (built-in instance, rate limits raised),
then N threads, each with its own boto3 client (retries off), send M calls
each: even-numbered clients PutDialRequestBatch, odd ones BatchPutContact (as
the campaigns principal), 10 items a call. Prints requests/s, p50/p99
latency and 5xx count, and the ratio against a reference measured in the
same run: the same calls made in-process on ``Simulation.call`` (no HTTP).
The last line is ``requests_per_s=<n> p99_ms=<n> errors_5xx=<n>``.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.config
from botocore.exceptions import BotoCoreError, ClientError

from sim.connect import CAMPAIGNS_PRINCIPAL, Quota, Quotas
from sim.scenario import parse_scenario
from sim.server import DEFAULT_SCENARIO, ServerHandle, Simulation, create_app
from sim.store import Store

ITEMS = 10
INSTANCE = "default-instance"
CAMPAIGN = "default-campaign"
BIG = Quota(rate=1e12, burst=1e12)
QUOTAS = Quotas(**{name: BIG for name in Quotas.model_fields})


def scenario() -> Any:
    data = copy.deepcopy(DEFAULT_SCENARIO)
    data["api"] = {"buffer_limit": 10**7}
    return parse_scenario(data)


def dial_batch(tag: str, expires: datetime | str) -> list[dict[str, Any]]:
    return [
        {
            "clientToken": f"{tag}-{i}",
            "phoneNumber": "+15551230000",
            "expirationTime": expires,
            "attributes": {},
        }
        for i in range(ITEMS)
    ]


def contact_batch(tag: str) -> list[dict[str, Any]]:
    return [
        {
            "RequestIdentifier": f"{tag}-{i}",
            "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+15557654321"},
            "SystemEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+15550100"},
            "QueueId": "default",
            "Campaign": {"CampaignId": CAMPAIGN},
        }
        for i in range(ITEMS)
    ]


class Tally:
    """Latencies and error counts from all client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors_4xx = 0
        self.errors_5xx = 0

    def add(self, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies.append(seconds)
            if status >= 500:
                self.errors_5xx += 1
            elif status >= 400:
                self.errors_4xx += 1


def client_thread(url: str, n: int, requests: int, tally: Tally, deadline: float) -> None:
    principal = n % 2 == 1
    client = boto3.client(
        "connect" if principal else "connectcampaigns",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDCAMPAIGNS" if principal else f"AKIDBENCH{n}",
        aws_secret_access_key="not-checked",
        config=botocore.config.Config(retries={"total_max_attempts": 1}, max_pool_connections=2),
    )
    expires = datetime.now(UTC) + timedelta(days=1)
    for r in range(requests):
        if time.monotonic() > deadline:
            return
        tag = f"c{n}-r{r}"
        started = time.perf_counter()
        status = 200
        try:
            if principal:
                client.batch_put_contact(
                    InstanceId=INSTANCE, ClientToken=tag, ContactDataRequestList=contact_batch(tag)
                )
            else:
                client.put_dial_request_batch(id=CAMPAIGN, dialRequests=dial_batch(tag, expires))
        except ClientError as error:
            status = int(error.response["ResponseMetadata"]["HTTPStatusCode"])
        except BotoCoreError:
            status = 599  # no HTTP answer at all counts as a server failure
        tally.add(time.perf_counter() - started, status)


def reference(clients: int, requests: int) -> float:
    """Calls per second of the same workload on Simulation.call, in-process."""
    simulation = Simulation(scenario(), Store(":memory:"), quotas=QUOTAS)
    simulation.start()
    expires = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    started = time.perf_counter()
    for n in range(clients):
        for r in range(requests):
            tag = f"ref-c{n}-r{r}"
            if n % 2:
                request = {
                    "InstanceId": INSTANCE,
                    "ClientToken": tag,
                    "ContactDataRequestList": contact_batch(tag),
                }
                simulation.call("connect", "BatchPutContact", request, CAMPAIGNS_PRINCIPAL)
            else:
                request = {"id": CAMPAIGN, "dialRequests": dial_batch(tag, expires)}
                simulation.call("connectcampaigns", "PutDialRequestBatch", request, f"u{n}")
    elapsed = time.perf_counter() - started
    simulation.stop()
    return clients * requests / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent boto3 clients")
    parser.add_argument("--requests", type=int, default=200, help="calls per client")
    parser.add_argument("--timeout", type=float, default=120.0, help="wall-clock cap, seconds")
    args = parser.parse_args(argv)
    tally = Tally()
    with ServerHandle(create_app(scenario(), quotas=QUOTAS)) as server:
        deadline = time.monotonic() + args.timeout
        threads = [
            threading.Thread(
                target=client_thread,
                args=(server.endpoint_url, n, args.requests, tally, deadline),
            )
            for n in range(args.clients)
        ]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    done = len(tally.latencies)
    rate = done / elapsed if elapsed > 0 else 0.0
    cuts = statistics.quantiles(tally.latencies, n=100) if done >= 2 else [0.0] * 99
    ref = reference(args.clients, min(args.requests, 200))
    print(f"clients={args.clients} requests={done} in {elapsed:.2f}s")
    print(f"latency p50={cuts[49] * 1000:.2f}ms p99={cuts[98] * 1000:.2f}ms")
    print(f"in-process reference: {ref:.0f} calls/s; HTTP/in-process = {rate / ref:.3f}")
    print(f"errors_4xx={tally.errors_4xx}")
    print(f"requests_per_s={rate:.0f} p99_ms={cuts[98] * 1000:.1f} errors_5xx={tally.errors_5xx}")
    return 0 if tally.errors_5xx == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
