"""BatchPutContact's fast path never decides what pydantic would not.

On generated requests, valid and not: whenever ``contact_items`` accepts a
request, pydantic accepts it too and reads the same values; the batches the
core builds from either parse are equal.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.connect.contacts import ItemFailure, parse, parse_slow
from sim.connect.errors import ServiceError
from sim.connect.fastpath import contact_items

MISSING = object()


class Sub(str):
    """A str subclass: pydantic may treat it differently, so the fast path must not take it."""


def mostly(valid: st.SearchStrategy[Any], other: st.SearchStrategy[Any]) -> Any:
    """``valid`` nine times in ten, else ``other``."""
    return st.integers(0, 9).flatmap(lambda k: valid if k else other)


def texts(lo: int, hi: int) -> st.SearchStrategy[Any]:
    """Strings within lo..hi mostly; else strings around the bounds and other types."""
    return mostly(
        st.text(alphabet="abcXYZ019+-_", min_size=lo, max_size=min(hi, 12)),
        st.one_of(
            st.just("a" * hi),
            st.just("a" * (hi + 1)),
            st.just(""),
            st.text(max_size=4),  # any unicode, surrogates included
            st.builds(Sub, st.just("x")),
            st.integers(),
            st.none(),
            st.just(MISSING),
        ),
    )


ENDPOINT = mostly(
    st.fixed_dictionaries(
        {},
        optional={
            "Type": st.sampled_from(["TELEPHONE_NUMBER", "VOIP", "PHONE", 5, None]),
            "Address": texts(0, 256),
            "Extra": st.integers(),
        },
    ),
    st.sampled_from([None, MISSING, "TELEPHONE_NUMBER"]),
)
CAMPAIGN = mostly(
    st.fixed_dictionaries({}, optional={"CampaignId": texts(1, 100)}),
    st.sampled_from([None, MISSING, "c"]),
)
ATTRIBUTES = mostly(
    st.dictionaries(texts(1, 32767).filter(lambda k: isinstance(k, str)), texts(0, 32767)),
    st.sampled_from([None, MISSING, [("a", "b")]]),
)
STRATEGY = mostly(st.sampled_from([MISSING, None]), st.just({"Type": "AGENT_FIRST"}))


@st.composite
def items(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 40)) == 0:
        return draw(st.sampled_from([None, "item", 7, []]))
    fields = {
        "RequestIdentifier": draw(texts(0, 80)),
        "CustomerEndpoint": draw(ENDPOINT),
        "SystemEndpoint": draw(ENDPOINT),
        "QueueId": draw(texts(0, 40)),
        "Campaign": draw(CAMPAIGN),
        "Attributes": draw(ATTRIBUTES),
        "OutboundStrategy": draw(STRATEGY),
    }
    return {k: v for k, v in fields.items() if v is not MISSING}


@st.composite
def requests(draw: st.DrawFn) -> Any:
    fields = {
        "InstanceId": draw(texts(1, 100)),
        "ClientToken": draw(texts(0, 500)),
        "ContactDataRequestList": draw(
            mostly(
                st.lists(items(), min_size=1, max_size=3),
                st.one_of(st.lists(items(), max_size=27), st.sampled_from(["x", MISSING])),
            )
        ),
    }
    return {k: v for k, v in fields.items() if v is not MISSING}


def _endpoint(e: Any) -> Any:
    return None if e is None else (None if e.Type is None else str(e.Type), e.Address)


def _normal(item: Any) -> Any:
    if isinstance(item, ItemFailure):
        return item
    campaign = item.Campaign
    return (
        _endpoint(item.SystemEndpoint),
        _endpoint(item.CustomerEndpoint),
        item.RequestIdentifier,
        item.QueueId,
        item.Attributes,
        None if campaign is None else campaign.CampaignId,
        item.OutboundStrategy,
    )


@settings(max_examples=600, deadline=None)
@given(requests())
def test_fast_path_agrees_with_pydantic(request: Any) -> None:
    fast = contact_items(request)
    try:
        slow = parse_slow(request)
    except ServiceError:
        assert fast is None, "the fast path accepted a request pydantic refuses"
        return
    if fast is None:
        return
    batch = parse(request)
    assert (batch.instance_id, batch.client_token, batch.raw_ids) == (
        slow.instance_id,
        slow.client_token,
        slow.raw_ids,
    )
    assert [_normal(i) for i in batch.items] == [_normal(i) for i in slow.items]


def _dialer_request(n: int, rng: random.Random) -> dict[str, Any]:
    return {
        "InstanceId": "inst-1",
        "ClientToken": f"c-{rng.randrange(10**6)}",
        "ContactDataRequestList": [
            {
                "RequestIdentifier": f"r{k}",
                "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": f"+1202555{k:04d}"},
                "SystemEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+15550000001"},
                "Campaign": {"CampaignId": "c"},
                "QueueId": "q1",
                "Attributes": {"k": "v"} if k % 2 else {},
            }
            for k in range(n)
        ],
    }


@pytest.mark.parametrize("n", [1, 25])
def test_the_dialers_requests_take_the_fast_path(n: int) -> None:
    request = _dialer_request(n, random.Random(n))
    fast = contact_items(request)
    assert fast is not None and len(fast[2]) == n
    assert [_normal(i) for i in parse(request).items] == [
        _normal(i) for i in parse_slow(request).items
    ]
