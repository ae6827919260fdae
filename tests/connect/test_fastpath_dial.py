"""PutDialRequestBatch's fast path never decides what pydantic would not.

On generated requests, valid and not: whenever ``dial_items`` accepts a
request, pydantic accepts it too and the intake reads the same values
(campaign id, and per item token, phone, expiration, attributes).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.connect.dialrequests import _v1_items
from sim.connect.errors import ServiceError, validate
from sim.connect.fastpath import dial_items
from sim.connect.models_campaign import PUT_DIAL_REQUEST_BATCH

MISSING = object()


class Sub(str):
    """A str subclass: the fast path must leave it to pydantic."""


ODD = st.one_of(
    st.just(""),
    st.text(max_size=4),  # any unicode, surrogates included
    st.sampled_from(["a\n", "1 2", "x.y", "٥", "\u00a0", "a:b"]),
    st.builds(Sub, st.just("x")),
    st.integers(),
    st.floats(),
    st.none(),
    st.just(True),
)
# Per member: valid values, and values at or past what the wire model allows.
TEXT = {"id": "abc-019:/", "clientToken": "abcXYZ019_-.", "phoneNumber": "+-0123456789"}
LIMIT = {"id": 256, "clientToken": 200, "phoneNumber": 20}
VALID_TIME = st.floats(1.6e9, 2.0e9) | st.integers(1_600_000_000, 2_000_000_000)
ODD_TIME = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.sampled_from([253402300799.0, 253402300800.0, -253402300799.0, -1e12, "1700000000"]),
    st.just("2026-01-05T00:00:00Z"),
)
NAMES = st.text(alphabet="abcXYZ019-_", min_size=1, max_size=8)
VALID_ATTRIBUTES = st.dictionaries(NAMES, st.text(alphabet="abc xyz\n", max_size=8), max_size=3)
ODD_ATTRIBUTES = st.sampled_from(
    [None, [("a", "b")], {"a b": "c"}, {"": "c"}, {"a": 1}, {"a" * 32767: ""}, {"a" * 32768: ""}]
)


def text(name: str) -> Any:
    return st.text(alphabet=TEXT[name], max_size=12)


def odd_text(name: str) -> Any:
    limit, last = LIMIT[name], TEXT[name][-1]
    at_bound = st.sampled_from([last * limit, last * (limit + 1)])
    return st.booleans().flatmap(lambda edge: at_bound if edge else ODD)


def item() -> Any:
    return st.fixed_dictionaries(
        {
            "clientToken": text("clientToken"),
            "phoneNumber": text("phoneNumber"),
            "expirationTime": VALID_TIME,
            "attributes": VALID_ATTRIBUTES,
        }
    )


@st.composite
def requests(draw: st.DrawFn) -> Any:
    """A valid request (1 to 25 items), then at most one member made odd or dropped."""
    request: dict[str, Any] = {
        "id": draw(text("id")),
        "dialRequests": draw(st.lists(item(), min_size=1, max_size=25)),
    }
    how = draw(
        st.sampled_from(["none", "id", "list", "item", "member", "member", "member", "drop"])
    )
    items = request["dialRequests"]
    k = draw(st.integers(0, len(items) - 1))
    if how == "id":
        request["id"] = draw(odd_text("id"))
    elif how == "list":
        request["dialRequests"] = draw(
            st.one_of(
                st.just([]),
                st.lists(item(), min_size=26, max_size=26),
                st.just(tuple(items)),
                st.just("x"),
            )
        )
    elif how == "item":
        items[k] = draw(st.sampled_from([None, "item", 7, [], {}]))
    elif how == "member":
        name = draw(st.sampled_from(["clientToken", "phoneNumber", "expirationTime", "attributes"]))
        if name == "expirationTime":
            items[k][name] = draw(ODD_TIME)
        elif name == "attributes":
            items[k][name] = draw(ODD_ATTRIBUTES)
        else:
            items[k][name] = draw(odd_text(name))
    elif how == "drop":
        del items[k][draw(st.sampled_from(sorted(items[k])))]
    return request


def slow(request: Any) -> tuple[str, list[Any]]:
    req = validate(PUT_DIAL_REQUEST_BATCH, "connectcampaigns", request)
    return req.id, _v1_items(req.dialRequests)


@settings(max_examples=1000, deadline=None)
@given(requests())
def test_fast_path_agrees_with_pydantic(request: Any) -> None:
    fast = dial_items(request)
    try:
        want = slow(request)
    except ServiceError:
        assert fast is None, "the fast path accepted a request pydantic refuses"
        return
    if fast is not None:
        assert fast == want


@pytest.mark.parametrize("n", [1, 25])
def test_the_sources_requests_take_the_fast_path(n: int) -> None:
    request = {
        "id": "c",
        "dialRequests": [
            {
                "clientToken": f"s0-0-{k}",
                "phoneNumber": f"+1202555{k:04d}",
                "expirationTime": 1767571200.123456789 + k,
                "attributes": {"k": "v"} if k % 2 else {},
            }
            for k in range(n)
        ],
    }
    fast = dial_items(request)
    assert fast is not None
    assert fast == slow(request)
    assert fast[1][0][3] is not request["dialRequests"][0]["attributes"]  # a copy, as pydantic's
