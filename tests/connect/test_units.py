"""Small units: ids, error paths, token bucket, idempotency store, public names."""

from __future__ import annotations

import random
import uuid

import pytest
from pydantic import BaseModel, ValidationError

import sim.connect
from sim.connect.config import Quota
from sim.connect.errors import format_loc, from_validation_error
from sim.connect.idempotency import IdempotencyStore, request_digest
from sim.connect.ids import iso8601, new_uuid
from sim.connect.throttle import TokenBucket


def test_public_names() -> None:
    assert sorted(sim.connect.__all__) == [
        "CAMPAIGNS_PRINCIPAL",
        "Campaign",
        "CoreConfig",
        "Faults",
        "OutboundCore",
        "Quota",
        "Quotas",
        "ServiceError",
    ]
    assert sim.connect.CAMPAIGNS_PRINCIPAL == "connect-campaigns.amazonaws.com"


def test_new_uuid_matches_stdlib() -> None:
    a, b = random.Random(5), random.Random(5)
    for _ in range(200):
        assert new_uuid(a) == str(uuid.UUID(int=b.getrandbits(128), version=4))


def test_iso8601() -> None:
    assert iso8601(0.5) == "1970-01-01T00:00:00.500000Z"


def test_format_loc() -> None:
    assert format_loc(("dialRequests", 2, "phoneNumber")) == "dialRequests[2].phoneNumber"
    assert format_loc(("a", "attributes", "k", "[key]")) == 'a.attributes["k"](key)'
    assert format_loc(()) == "(request)"


def test_every_pydantic_error_is_named() -> None:
    class M(BaseModel):
        a: int
        b: list[int]

    with pytest.raises(ValidationError) as e:
        M.model_validate({"a": "x", "b": [1, "y", "z"]})
    err = from_validation_error("connectcampaigns", e.value)
    assert err.code == "ValidationException"
    assert err.message.count(": ") == 3 and "b[2]: " in err.message


def test_token_bucket_refills_in_callers_clock() -> None:
    b = TokenBucket(Quota(rate=2, burst=3))
    assert [b.try_take(100.0) for _ in range(4)] == [True, True, True, False]
    assert b.try_take(100.5) and not b.try_take(100.5)
    assert not b.try_take(50.0)  # the past refills nothing
    assert [b.try_take(1000.0) for _ in range(4)] == [True, True, True, False]  # capped at burst


def test_idempotency_store_prunes_and_rebuilds_answers() -> None:
    s = IdempotencyStore(10)
    d = request_digest({"b": 1, "a": [1, 2]})
    assert d == request_digest({"a": [1, 2], "b": 1}) and len(d) == 16
    cid = "0f2b8a1c-1234-4abc-8def-0123456789ab"
    s.record("t", d, [cid], [(1, "INVALID_QUEUE", "queue 'x' not in the instance")], 0.0)
    got = s.lookup("t", 5.0)
    assert got is not None
    assert got == (d, [cid], [(1, "INVALID_QUEUE", "queue 'x' not in the instance")])
    got.contact_ids.append("mutated")
    assert s.lookup("t", 5.0) == got._replace(contact_ids=[cid])
    assert s.lookup("t", 10.0) is None
    s.record("u", d, [], [], 20.0)
    assert len(s) == 1 and s.lookup("u", 21.0) == (d, [], [])
