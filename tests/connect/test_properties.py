"""hypothesis: random valid and invalid requests only ever give documented outcomes."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.connect import ServiceError

from .conftest import SYSTEM, T0, call_bpc, make_core, put_dial, running

BPC_CODES = {"InvalidRequestException", "IdempotencyException", "ResourceNotFoundException"}
DIAL_CODES = {"ValidationException"}

junk = st.one_of(
    st.none(), st.integers(-5, 5), st.text(max_size=5), st.lists(st.integers(), max_size=2)
)
phone = st.one_of(st.from_regex(r"\+[1-9]\d{6,12}", fullmatch=True), st.text(max_size=22), junk)
endpoint = st.one_of(
    st.none(),
    junk,
    st.fixed_dictionaries(
        {},
        optional={
            "Type": st.sampled_from(["TELEPHONE_NUMBER", "VOIP", "BAD"]),
            "Address": st.one_of(phone, st.just(SYSTEM)),
        },
    ),
)


def contact_items(cid: str) -> st.SearchStrategy[Any]:
    item = st.fixed_dictionaries(
        {"CustomerEndpoint": endpoint},
        optional={
            "RequestIdentifier": st.one_of(st.text(max_size=3), st.text(min_size=81, max_size=82)),
            "SystemEndpoint": endpoint,
            "QueueId": st.sampled_from(["q1", "q2", "nope", 3]),
            "Campaign": st.one_of(st.just({"CampaignId": cid}), st.just({"CampaignId": "x"}), junk),
            "Attributes": st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
            "OutboundStrategy": st.one_of(st.just({"Type": "AGENT_FIRST"}), junk),
        },
    )
    return st.one_of(item, item, item, junk)


@st.composite
def bpc_requests(draw: st.DrawFn, cid: str) -> dict[str, Any]:
    req: dict[str, Any] = {
        "InstanceId": draw(st.sampled_from(["inst-1", "inst-1", "other", ""])),
        "ContactDataRequestList": draw(st.lists(contact_items(cid), min_size=0, max_size=27)),
    }
    if draw(st.booleans()):
        req["ClientToken"] = draw(st.sampled_from(["a", "b", "c" * 501]))
    return req


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(data=st.data())
def test_batch_put_contact_outcomes(data: st.DataObject) -> None:
    core, sink = make_core()
    cid = running(core)
    for _ in range(3):
        req = data.draw(bpc_requests(cid))
        n = len(sink.events)
        try:
            out = call_bpc(core, req)
        except ServiceError as e:
            assert e.code in BPC_CODES, e
            assert len(sink.events) == n
            continue
        items = req["ContactDataRequestList"]
        assert len(out["SuccessfulRequestList"]) + len(out["FailedRequestList"]) == len(items)
        if req.get("ClientToken"):
            events = len(sink.events)
            assert call_bpc(core, req) == out  # replay: identical, no new events
            assert len(sink.events) == events
    ids = [e.stream_id for e in sink.events if e.type == "INITIATED"]
    assert len(ids) == len(set(ids))


@st.composite
def dial_batches(draw: st.DrawFn) -> list[Any]:
    item = st.fixed_dictionaries(
        {
            "clientToken": st.one_of(st.sampled_from(["", "a", "b", "c"]), st.text(max_size=3)),
            "phoneNumber": st.one_of(phone, st.just("+15551234567")),
            "expirationTime": st.one_of(
                st.floats(T0 - 10, T0 + 1000), st.just("2030-01-01T00:00:00Z"), junk
            ),
            "attributes": st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
        }
    )
    return draw(st.lists(st.one_of(item, item, item, junk), min_size=0, max_size=27))


@SETTINGS
@given(batches=st.lists(dial_batches(), min_size=1, max_size=3))
def test_dial_request_outcomes(batches: list[list[Any]]) -> None:
    core, sink = make_core(buffer_limit=20)
    cid = running(core)
    for items in batches:
        try:
            out = put_dial(core, cid, items)
        except ServiceError as e:
            assert e.code in DIAL_CODES, e
            continue
        assert len(out["successfulRequests"]) + len(out["failedRequests"]) == len(items)
        codes = {f["failureCode"] for f in out["failedRequests"]}
        assert codes <= {"InvalidInput", "RequestThrottled"}
        assert core.pending_count(cid) <= 20
    accepted = [e.stream_id for e in sink.events if e.type == "DIAL_REQUEST_ACCEPTED"]
    assert len(accepted) == len(set(accepted)) == core.pending_count(cid)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_same_seed_same_contact_ids(seed: int) -> None:
    def ids() -> list[str]:
        core, _ = make_core(seed=seed)
        cid = running(core)
        req = {
            "InstanceId": "inst-1",
            "ContactDataRequestList": [
                {
                    "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": f"+1444000000{i}"},
                    "QueueId": "q1",
                    "Campaign": {"CampaignId": cid},
                }
                for i in range(5)
            ],
        }
        out = call_bpc(core, req)
        return [s["ContactId"] for s in out["SuccessfulRequestList"]]

    assert ids() == ids()
