"""Throughput of the outbound core on valid 25-item batches.

Run: ``python benchmarks/bench_connect.py [--items N] [--default-gc]``. Prints items/s of
BatchPutContact and PutDialRequestBatch (quotas raised so nothing throttles,
events dropped), each also as a ratio against a reference measured in the same
run (a bare TypeAdapter validation of the same batches), then one summary line.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from sim.connect import CAMPAIGNS_PRINCIPAL, CoreConfig, OutboundCore, Quota, Quotas
from sim.connect.models_campaign import PUT_DIAL_REQUEST_BATCH
from sim.connect.models_contact import BATCH_PUT_CONTACT_REQUEST
from sim.domain import Event
from sim.runner import BULK_GC_THRESHOLD, bulk_collector

START = 1_700_000_000.0
BATCH = 25


class DropSink:
    """Discards events (the benchmark measures the core, not a store)."""

    def append(self, events: Sequence[Event]) -> None:
        pass


def make_core() -> tuple[OutboundCore, str]:
    big = Quota(rate=1e12, burst=1e12)
    quotas = Quotas(**{name: big for name in Quotas.model_fields})
    config = CoreConfig(
        instance_id="inst-1",
        queues=("q1",),
        phone_numbers=("+15550000001",),
        quotas=quotas,
        buffer_limit=10**9,
    )
    core = OutboundCore(config, random.Random(1), DropSink())
    cid = core.create_campaign(
        {
            "name": "bench",
            "connectInstanceId": "inst-1",
            "dialerConfig": {"progressiveDialerConfig": {"bandwidthAllocation": 1.0}},
            "outboundCallConfig": {"connectContactFlowId": "flow", "connectQueueId": "q1"},
        },
        api="v1",
        now=START,
    )
    core.start_campaign(cid, START)
    return core, cid


# A small pool of batches is reused with fresh tokens, as a simulation makes
# requests on the fly: holding every input in memory at once would mostly
# measure the garbage collector walking the inputs.
POOL = 64
DEFAULT_BUFFER_LIMIT = CoreConfig.model_fields["buffer_limit"].default


def bpc_batches(cid: str, n_batches: int) -> list[dict[str, Any]]:
    return [
        {
            "InstanceId": "inst-1",
            "ClientToken": f"tok-{b}",
            "ContactDataRequestList": [
                {
                    "RequestIdentifier": f"r{b}-{i}",
                    "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": f"+1555{i:07d}"},
                    "SystemEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+15550000001"},
                    "QueueId": "q1",
                    "Campaign": {"CampaignId": cid},
                    "Attributes": {"customer": str(i)},
                }
                for i in range(BATCH)
            ],
        }
        for b in range(n_batches)
    ]


def dial_batches(cid: str, n_batches: int) -> list[dict[str, Any]]:
    return [
        {
            "id": cid,
            "dialRequests": [
                {
                    "clientToken": f"t{b}-{i}",
                    "phoneNumber": f"+1555{i:07d}",
                    "expirationTime": "2030-01-01T00:00:00Z",
                    "attributes": {"customer": str(i)},
                }
                for i in range(BATCH)
            ],
        }
        for b in range(n_batches)
    ]


def rate(n_items: int, seconds: float) -> float:
    return n_items / seconds if seconds > 0 else float("inf")


def _timed(fn: Callable[[], None]) -> float:
    """CPU seconds of ``fn`` (process time: other jobs on the machine do not count)."""
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def bench_once(items: int) -> tuple[float, float, float, float]:
    """Items/s on a fresh core: (reference, BatchPutContact, PutDialRequestBatch with
    the buffer bounded at the default limit, PutDialRequestBatch into an ever-growing
    buffer)."""
    n_batches = max(1, items // BATCH)
    n_items = n_batches * BATCH
    core, cid = make_core()
    bpc, dial = bpc_batches(cid, POOL), dial_batches(cid, POOL)

    def reference() -> None:
        for k in range(n_batches):
            BATCH_PUT_CONTACT_REQUEST.validate_python(bpc[k % POOL])
            PUT_DIAL_REQUEST_BATCH.validate_python(dial[k % POOL])

    def batch_put_contact() -> None:
        for k in range(n_batches):
            b = bpc[k % POOL]
            b["ClientToken"] = f"tok-{k}"
            core.call("connect", "BatchPutContact", b, caller=CAMPAIGNS_PRINCIPAL, now=START)

    def put_dial_request_batch(drain_at: int | None) -> float:
        """CPU seconds of the calls alone; the buffer is drained (untimed) at ``drain_at``."""
        spent = 0.0
        for k in range(n_batches):
            b = dial[k % POOL]
            for i, item in enumerate(b["dialRequests"]):
                item["clientToken"] = f"u{drain_at}-{k}-{i}"
            t0 = time.process_time()
            core.call("connectcampaigns", "PutDialRequestBatch", b, caller="engine", now=START)
            spent += time.process_time() - t0
            if drain_at is not None and core.pending_count(cid) >= drain_at:
                core.take_dial_requests(cid, drain_at, START)
        return spent

    ref = rate(2 * n_items, _timed(reference))
    bpc_rate = rate(n_items, _timed(batch_put_contact))
    # A dialer keeps the buffer bounded (default buffer_limit 10,000 per campaign);
    # an ever-growing buffer mostly measures the garbage collector walking it.
    dial_rate = rate(n_items, put_dial_request_batch(DEFAULT_BUFFER_LIMIT))
    unbounded = rate(n_items, put_dial_request_batch(None))
    return ref, bpc_rate, dial_rate, unbounded


def bench(items: int, repeat: int) -> tuple[float, float]:
    """Best of ``repeat`` runs (the least disturbed one), printed with ratios."""
    runs = [bench_once(items) for _ in range(repeat)]
    ref, bpc_rate, dial_rate, unbounded = (max(r[i] for r in runs) for i in range(4))
    print(f"reference (validation only): {ref:,.0f} items/s")
    print(f"BatchPutContact:     {bpc_rate:,.0f} items/s ({bpc_rate / ref:.2f} x reference)")
    print(f"PutDialRequestBatch: {dial_rate:,.0f} items/s ({dial_rate / ref:.2f} x reference)")
    print(
        f"PutDialRequestBatch, buffer never drained ({items:,} live): {unbounded:,.0f} items/s "
        f"({unbounded / ref:.2f} x reference)"
    )
    return bpc_rate, dial_rate


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=200_000, help="items per API (default 200000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is kept (default 3)")
    parser.add_argument(
        "--default-gc",
        action="store_true",
        help="keep Python's collector thresholds (default: the bulk ones every run uses)",
    )
    args = parser.parse_args(argv)
    # ``sim run`` runs the core under ``bulk_collector`` (see sim/runner.py);
    # measured the same way unless asked otherwise.
    collector = contextlib.nullcontext() if args.default_gc else bulk_collector()
    print(f"collector thresholds: {'default' if args.default_gc else BULK_GC_THRESHOLD}")
    with collector:
        bpc_rate, dial_rate = bench(args.items, args.repeat)
    print(
        f"batch_put_contact_items_per_s={bpc_rate:.0f} put_dial_request_items_per_s={dial_rate:.0f}"
    )


if __name__ == "__main__":
    main()
