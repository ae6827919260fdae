"""The campaign buffer: arriving requests, their contacts waiting FIFO, expiry, stop.

A request is pending from acceptance until it is dialed or ends: arriving
(no contact yet), ingesting (in a BatchPutContact call), then waiting as a
created contact. A waiting contact that expires, or whose campaign stops,
ends EXPIRED: DISCONNECTED (EXPIRED) and COMPLETED on its stream, then
DIAL_REQUEST_EXPIRED on its request's.
"""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.connect import OutboundCore, texts
from sim.connect.ids import new_uuid
from sim.connect.waiting import ContactQueue
from sim.domain import DialRequest, ListSink, WaitingContact

from .conftest import T0, dial_item, ingest, make_core, put_dial, running


def fill(
    n: int, expires: list[float] | None = None
) -> tuple[OutboundCore, ListSink, str, list[str]]:
    core, sink = make_core()
    cid = running(core)
    exp = expires or [T0 + 600] * n
    out = put_dial(core, cid, [dial_item(i, expires=exp[i]) for i in range(n)])
    return core, sink, cid, [r["id"] for r in out["successfulRequests"]]


def test_every_stage_counts_as_pending() -> None:
    core, _, cid, ids = fill(5)
    assert core.pending_count(cid) == core.arriving_count(cid) == 5
    taken = core.take_arriving(cid, 2, T0)
    assert [r.id for r in taken] == ids[:2]
    assert core.pending_count(cid) == 5 and core.arriving_count(cid) == 3  # 2 ingesting
    ingest(core, cid, 10)
    assert core.waiting_count(cid) == 3 and core.pending_count(cid) == 5
    core.ingestion_ended(cid, 2)
    assert core.pending_count(cid) == 3


def test_waiting_contacts_are_dialed_in_creation_order() -> None:
    core, _, cid, ids = fill(5)
    contacts = ingest(core, cid, 5)
    taken = core.take_contacts(cid, 2, T0 + 1)
    assert [(c.request_id, c.contact_id) for c in taken] == list(
        zip(ids[:2], contacts[:2], strict=True)
    )
    assert taken[0].attributes == {"n": "0"} and taken[0].created_at == T0
    rest = core.take_contacts(cid, 10, T0 + 1)
    assert [c.request_id for c in rest] == ids[2:]
    assert core.take_contacts(cid, 1, T0 + 1) == [] and core.pending_count(cid) == 0


def _ended(sink: ListSink) -> list[tuple[str, str, float, int]]:
    types = ("DISCONNECTED", "COMPLETED", "DIAL_REQUEST_EXPIRED")
    return [(e.stream_id, e.type, e.time, e.version) for e in sink.events if e.type in types]


def test_take_ends_expired_contacts_at_their_expiration() -> None:
    core, sink, cid, ids = fill(3, [T0 + 10, T0 + 600, T0 + 5])
    contacts = ingest(core, cid)
    taken = core.take_contacts(cid, 1, T0 + 20)
    assert [c.request_id for c in taken] == [ids[1]]
    assert _ended(sink) == [
        (contacts[0], "DISCONNECTED", T0 + 10, 2),
        (contacts[0], "COMPLETED", T0 + 10, 3),
        (ids[0], "DIAL_REQUEST_EXPIRED", T0 + 10, 2),
    ]
    disconnected = next(e for e in sink.events if e.type == "DISCONNECTED")
    assert disconnected.payload == {
        "disconnect_reason": "EXPIRED",
        "amd_status": "AMD_DISABLED",  # the test campaign has AMD off
        "outcome": "EXPIRED",
        "live_person": None,
    }


def test_expiry_sweep_ends_contacts_in_expiration_order() -> None:
    core, sink, cid, ids = fill(4, [T0 + 30, T0 + 10, T0 + 20, T0 + 40])
    contacts = ingest(core, cid)
    assert core.next_expiration() == T0 + 10
    assert core.expire_due(T0 + 25) == 6  # two contacts, three events each
    ended = [(s, t) for s, typ, t, _ in _ended(sink) if typ == "DIAL_REQUEST_EXPIRED"]
    assert ended == [(ids[1], T0 + 10), (ids[2], T0 + 20)]
    assert core.next_expiration() == T0 + 30
    assert [c.contact_id for c in core.take_contacts(cid, 5, T0 + 25)] == [
        contacts[0],
        contacts[3],
    ]
    assert core.next_expiration() is None


def test_stop_ends_arriving_and_waiting_requests_at_the_stop() -> None:
    core, sink, cid, ids = fill(4)
    contacts = ingest(core, cid, 2)  # ids[0:2] wait as contacts, ids[2:] still arrive
    core.stop_campaign(cid, T0 + 7)
    expired = [e for e in sink.events if e.type == "DIAL_REQUEST_EXPIRED"]
    assert sorted(e.stream_id for e in expired) == sorted(ids)
    assert all(e.time == T0 + 7 and e.payload["reason"] == "campaign_stopped" for e in expired)
    ended_contacts = {e.stream_id for e in sink.events if e.type == "DISCONNECTED"}
    assert ended_contacts == set(contacts)
    assert core.pending_count(cid) == 0


def test_contacts_created_after_a_stop_end_at_once() -> None:
    core, sink, cid, _ = fill(2)
    taken = core.take_arriving(cid, 2, T0)
    core.stop_campaign(cid, T0 + 1)
    core.contacts_created(cid, [(r, f"contact-{i}") for i, r in enumerate(taken)], T0 + 2)
    disconnected = [e for e in sink.events if e.type == "DISCONNECTED"]
    assert [e.stream_id for e in disconnected] == ["contact-0", "contact-1"]
    assert core.pending_count(cid) == 0


def test_paused_campaigns_still_create_contacts() -> None:
    core, _, cid, _ = fill(3)
    core.pause_campaign(cid, T0 + 1)
    assert len(ingest(core, cid, now=T0 + 2)) == 3
    assert core.waiting_count(cid) == 3


def _request(i: int, expiration: float) -> DialRequest:
    return DialRequest(f"r{i}", "c", f"t{i}", f"+1555{i:07d}", expiration, T0, 1)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["push", "pop", "expire"]), st.integers(0, 50)),
        max_size=300,
    )
)
def test_contact_queue_matches_a_naive_model(ops: list[tuple[str, int]]) -> None:
    """FIFO pops and expiry pops of the run-structured queue equal those of a plain list."""
    queue = ContactQueue("c")
    model: list[tuple[float, int]] = []  # (expiration, i) in FIFO order
    now = T0
    for n, (op, arg) in enumerate(ops):
        if op == "push":
            expiration = T0 + 100 + arg * 7 % 60
            queue.push(_request(n, expiration), f"c{n}", now)
            model.append((expiration, n))
        elif op == "pop":
            got = queue.pop()
            want = model.pop(0) if model else None
            assert (got.contact_id if got else None) == (f"c{want[1]}" if want else None)
        else:
            now = max(now, T0 + 100 + arg)
            while (got := queue.pop_expired(now)) is not None:
                soonest = min(model)  # earliest expiration, then the oldest
                model.remove(soonest)
                assert (got.expiration, got.contact_id) == (soonest[0], f"c{soonest[1]}")
            assert not model or min(model)[0] > now
        assert len(queue) == len(model)
        soonest_exp = min(model)[0] if model else None
        assert queue.next_expiration() == soonest_exp
    assert math.isfinite(now)


def test_taken_contacts_do_not_accumulate() -> None:
    queue = ContactQueue("c")
    for i in range(20_000):
        queue.push(_request(i, T0 + 10**6), f"c{i}", T0)
        assert queue.pop() is not None
    run = queue._runs[0]
    assert len(run.expiration) < 2100  # compacted as it goes, not 20,000 kept
    assert sum(len(s[0]) for s in run.texts.segments) < 2100


def test_a_long_queue_gives_back_every_contact_as_pushed() -> None:
    """Past a few segments the text columns are frozen into bytes: each contact
    still comes back equal (ids, phone, attributes, ring timeout, AMD flags), FIFO."""
    rng = random.Random(11)
    queue = ContactQueue("c")
    want: list[WaitingContact] = []
    for i in range(3 * texts.SEGMENT + 17):
        attrs = {} if i % 4 == 0 else {"account_id": f"ACC-{i}", "tier": "gold" * (i % 3)}
        request = DialRequest(
            new_uuid(rng), "c", f"t{i}", f"+1555{i:07d}", T0 + 10**6 + i, T0 - i % 5, 1, attrs
        )
        if i % 1000 == 999:
            request.ring_timeout = 15.0 + i
        if i % 7 == 0:
            request.amd_enabled, request.await_prompt = i % 2 == 0, None
        contact_id = new_uuid(rng)
        queue.push(request, contact_id, T0 + i)
        want.append(
            WaitingContact(
                contact_id,
                request.id,
                "c",
                request.phone_number,
                request.accepted_at,
                T0 + i,
                request.expiration,
                attrs or None,
                request.ring_timeout,
                request.amd_enabled,
                request.await_prompt,
            )
        )
    run = queue._runs[0]
    assert sum(isinstance(s, texts.Frozen) for s in run.texts.segments) == 3
    got = [queue.pop_expired(T0 + 10**6 + 2)]  # the earliest expiration: the head
    got += [queue.pop() for _ in range(len(want) - 1)]
    assert got == want
    assert queue.pop() is None
