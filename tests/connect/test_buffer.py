"""The dial-request buffer: FIFO, expiry sweep, take, requeue, compaction."""

from __future__ import annotations

from sim.connect import OutboundCore
from sim.domain import ListSink

from .conftest import T0, dial_item, make_core, put_dial, running


def fill(
    n: int, expires: list[float] | None = None
) -> tuple[OutboundCore, ListSink, str, list[str]]:
    core, sink = make_core()
    cid = running(core)
    exp = expires or [T0 + 600] * n
    out = put_dial(core, cid, [dial_item(i, expires=exp[i]) for i in range(n)])
    return core, sink, cid, [r["id"] for r in out["successfulRequests"]]


def test_fifo_take() -> None:
    core, _, cid, ids = fill(5)
    assert [r.id for r in core.take_dial_requests(cid, 2, T0)] == ids[:2]
    assert core.pending_count(cid) == 3
    assert [r.id for r in core.take_dial_requests(cid, 10, T0)] == ids[2:]
    assert core.take_dial_requests(cid, 1, T0) == []


def test_take_expires_what_it_meets_at_expiration_time() -> None:
    core, sink, cid, ids = fill(3, [T0 + 10, T0 + 600, T0 + 5])
    taken = core.take_dial_requests(cid, 1, T0 + 20)
    assert [r.id for r in taken] == [ids[1]]
    expired = [e for e in sink.events if e.type == "DIAL_REQUEST_EXPIRED"]
    assert [(e.stream_id, e.time, e.version) for e in expired] == [(ids[0], T0 + 10, 2)]
    assert core.pending_count(cid) == 1


def test_expiry_sweep_and_next_expiration() -> None:
    core, sink, cid, ids = fill(4, [T0 + 30, T0 + 10, T0 + 20, T0 + 40])
    assert core.next_expiration() == T0 + 10
    assert core.expire_due(T0 + 25) == 2
    expired = [e for e in sink.events if e.type == "DIAL_REQUEST_EXPIRED"]
    assert [(e.stream_id, e.time) for e in expired] == [(ids[1], T0 + 10), (ids[2], T0 + 20)]
    assert all(e.payload == {"campaign_id": cid, "reason": "expired"} for e in expired)
    assert core.next_expiration() == T0 + 30
    assert core.pending_count(cid) == 2
    taken = core.take_dial_requests(cid, 5, T0 + 25)
    assert [r.id for r in taken] == [ids[0], ids[3]]
    assert core.next_expiration() is None


def test_requeue_goes_to_tail_and_keeps_version() -> None:
    core, sink, cid, ids = fill(3)
    (first,) = core.take_dial_requests(cid, 1, T0)
    first.version += 1  # the engine emitted DIAL_REQUEST_DIALED
    core.requeue(first, T0 + 1)
    assert core.pending_count(cid) == 3
    order = [r.id for r in core.take_dial_requests(cid, 3, T0 + 2)]
    assert order == [ids[1], ids[2], ids[0]]
    core.requeue(first, T0 + 3)
    assert core.expire_due(T0 + 600) == 1  # one event, not two
    last = sink.events[-1]
    assert (last.stream_id, last.version, last.type) == (ids[0], 3, "DIAL_REQUEST_EXPIRED")


def test_requeue_expired_or_stopped() -> None:
    core, sink, cid, _ids = fill(2)
    a, b = core.take_dial_requests(cid, 2, T0)
    core.requeue(a, T0 + 601)
    assert sink.events[-1].payload["reason"] == "expired"
    assert sink.events[-1].time == T0 + 601
    core.stop_campaign(cid, T0 + 2)
    core.requeue(b, T0 + 3)
    assert sink.events[-1].payload["reason"] == "campaign_stopped"
    assert core.pending_count(cid) == 0 and b.done


def test_stale_entries_are_compacted() -> None:
    core, _ = make_core(buffer_limit=10**6)
    cid = running(core)
    for k in range(200):
        items = [dial_item(25 * k + i, expires=T0 + 10**6) for i in range(25)]
        put_dial(core, cid, items)
        core.take_dial_requests(cid, 25, T0)
    assert len(core._buffers) <= 2 * core.pending_count(cid) + 1024 + 25
