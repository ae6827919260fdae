"""Every event the core emits: known type, payload keys == PAYLOAD_KEYS, versions 1..n."""

from __future__ import annotations

from collections import defaultdict

from sim.domain import PAYLOAD_KEYS, STREAM_KIND

from .conftest import (
    T0,
    dial_item,
    ingest,
    make_core,
    outbound_item,
    put_dial,
    put_outbound,
    running,
)


def test_event_contract_over_a_session() -> None:
    core, sink = make_core(buffer_limit=6)
    v1 = running(core)
    v2 = running(core, "v2")
    put_dial(core, v1, [dial_item(i, expires=T0 + 10 + i) for i in range(8)])
    put_outbound(core, v2, [outbound_item(i) for i in range(3)] + [outbound_item(9, expires=T0)])
    ingest(core, v1, 3, T0 + 1)
    ingest(core, v2, 2, T0 + 1)
    taken = core.take_contacts(v1, 1, T0 + 2)  # the engine dials it: its stream goes on there
    core.expire_due(T0 + 13)
    core.pause_campaign(v2, T0 + 20)
    core.stop_campaign(v2, T0 + 21)
    core.take_arriving(v1, 10, T0 + 100)

    streams: dict[str, list[int]] = defaultdict(list)
    for e in sink.events:
        assert e.type in STREAM_KIND, e
        assert tuple(e.payload) == PAYLOAD_KEYS[e.type], e
        streams[e.stream_id].append(e.version)
    for stream, versions in streams.items():
        assert versions == list(range(1, len(versions) + 1)), stream
    types = {e.type for e in sink.events}
    assert types == {
        "CAMPAIGN_CREATED",
        "CAMPAIGN_STATE_CHANGED",
        "DIAL_REQUEST_ACCEPTED",
        "DIAL_REQUEST_REJECTED",
        "DIAL_REQUEST_EXPIRED",
        "INITIATED",
        "DISCONNECTED",
        "COMPLETED",
    }
    # Every buffered request ended exactly once, but the one taken to be dialed.
    assert core.pending_count(v1) == core.pending_count(v2) == 0
    accepted = {e.stream_id for e in sink.events if e.type == "DIAL_REQUEST_ACCEPTED"}
    expired = [e.stream_id for e in sink.events if e.type == "DIAL_REQUEST_EXPIRED"]
    assert len(expired) == len(set(expired)) == len(accepted) - 1
    assert taken[0].request_id not in expired
    # Every contact that was not dialed ended, EXPIRED.
    created = {e.stream_id for e in sink.events if e.type == "INITIATED"}
    ended = [e for e in sink.events if e.type == "DISCONNECTED"]
    assert {e.stream_id for e in ended} == created - {taken[0].contact_id}
    assert {e.payload["disconnect_reason"] for e in ended} == {"EXPIRED"}
