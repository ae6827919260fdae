"""A PostgreSQL store behind the server: whatever text a client sends is recorded."""

from __future__ import annotations

import orjson

from sim.server import create_app
from sim.store import Store

from .conftest import INSTANCE, NO_THROTTLE, PRINCIPAL_KEY, Asgi
from .oracle import contact_item


def test_a_nul_character_in_a_request_does_not_fail_the_run(postgres_url: str) -> None:
    """PostgreSQL text cannot hold U+0000, which JSON lets a client send in any
    string: a RequestIdentifier "r\\u0000id" went into the contacts projection
    as is, the COPY failed, the run ended 'failed' and the events of that
    write were lost. The event log keeps the exact text (it is JSON); a text
    column of a projection gets U+FFFD in its place."""
    asgi = Asgi(create_app(None, quotas=NO_THROTTLE, db=postgres_url))
    item = contact_item("r\x00id", Attributes={"k": "v\x00"})
    body = orjson.dumps({"ContactDataRequestList": [item]})
    reply = asgi.request("PUT", f"/contact/batch/{INSTANCE}", body, key=PRINCIPAL_KEY)
    assert reply.status == 200, reply.body
    (made,) = reply.json()["SuccessfulRequestList"]
    run_id = asgi.simulation.run_id
    asgi.close()
    store = Store(postgres_url)
    try:
        run = store.run(run_id)
        assert (run.status, run.error) == ("completed", None)
        events = list(store.iter_events(run_id))
        assert len(events) == run.events
        (initiated,) = [e for e in events if e.stream_id == made["ContactId"]]
        assert initiated.payload["request_identifier"] == "r\x00id"
    finally:
        store.dispose()
