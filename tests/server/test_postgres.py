"""A PostgreSQL store behind the server: whatever text a client may send is recorded.

The connect model lets a RequestIdentifier be any string of up to 80
characters, U+0000 included (JSON can carry it); the contacts projection
keeps it as ``dial_request_id``. On PostgreSQL either one failed the COPY:
the run ended 'failed' and the events of that write were lost.
"""

from __future__ import annotations

import orjson
import pytest

from sim.server import create_app
from sim.store import Store
from sim.store.replay import replay

from .conftest import INSTANCE, NO_THROTTLE, PRINCIPAL_KEY, Asgi
from .oracle import contact_item


@pytest.mark.parametrize(
    "rid",
    [
        "r\x00id",  # text cannot hold U+0000: the projection gets U+FFFD instead
        "r" * 80,  # the model's longest, past the column's old varchar(64)
    ],
    ids=["nul", "80-chars"],
)
def test_any_request_identifier_is_recorded(postgres_url: str, rid: str) -> None:
    asgi = Asgi(create_app(None, quotas=NO_THROTTLE, db=postgres_url))
    item = contact_item(rid, Attributes={"k": "v\x00"})
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
        assert initiated.payload["request_identifier"] == rid  # the log keeps it exactly
        assert replay(store, run_id).equal  # the projection's U+FFFD is the stored form
    finally:
        store.dispose()


def test_a_store_made_by_an_earlier_sim_takes_a_long_request_identifier(
    postgres_url: str,
) -> None:
    """A PostgreSQL store made before dial_request_id became varchar(80) keeps
    varchar(64): opening it to write widens the column, so an 80-character
    RequestIdentifier is recorded there too. (Before: the COPY failed, the
    run ended 'failed' and the batch's events were lost.)"""
    from sqlalchemy import text

    store = Store(postgres_url)
    with store.engine.begin() as conn:  # the layout an earlier sim made
        conn.execute(text("ALTER TABLE contacts ALTER COLUMN dial_request_id TYPE varchar(64)"))
    store.dispose()
    asgi = Asgi(create_app(None, quotas=NO_THROTTLE, db=postgres_url))
    body = orjson.dumps({"ContactDataRequestList": [contact_item("r" * 80)]})
    reply = asgi.request("PUT", f"/contact/batch/{INSTANCE}", body, key=PRINCIPAL_KEY)
    assert reply.status == 200, reply.body
    run_id = asgi.simulation.run_id
    asgi.close()
    store = Store(postgres_url)
    try:
        run = store.run(run_id)
        assert (run.status, run.error) == ("completed", None)
        assert store.count_events(run_id) == run.events > 0
    finally:
        store.dispose()
