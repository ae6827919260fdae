"""Regression tests of ingestion-time batching (rules in sim/engine/ingest.py).

Contacts are created when their dial requests arrive, before any dial, as the
BatchPutContact reference describes. How accepted requests are grouped into
BatchPutContact calls, how throttled calls and failed items are retried, and
what becomes of invalid numbers are pinned here, so a change in any of them
shows up as a failing test. The calls are observed at the wire (``bpc_calls``
records every request the engine sends) and in the log
(BATCH_PUT_CONTACT_CALLED on the ``dialer:<campaign>`` stream).

``golden/batching.json`` pins the exact first calls of a fixed scenario and
seed; rewrite it deliberately with ``SIM_UPDATE_GOLDEN=1 pytest tests/engine``.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from sim.scenario import CsvSource, ScenarioError

from .conftest import GOLDEN, UPDATE_GOLDEN, BpcCall, Ran, base_dict, build, run

MAX_ITEMS = 25
GOLDEN_BATCHING = GOLDEN / "batching.json"
GOLDEN_CALLS = 40


def agentless(count: int = 100, lines: int = 200, **api: Any) -> dict[str, Any]:
    """An agentless campaign c1 with ``count`` requests submitted at t=0."""
    batches = [{"at": 0, "count": min(25, count - i)} for i in range(0, count, 25)]
    return base_dict(
        agent_groups=[],
        instance={"queues": ["q"], "phone_numbers": ["+15550100"], "concurrent_calls": lines},
        campaigns=[
            {
                "id": "c1",
                "mode": "agentless",
                "sources": [{"kind": "schedule", "batches": batches}],
            }
        ],
        api=api,
        horizon=4 * 3600,
    )


def accepted_order(ran: Ran) -> list[str]:
    return [e.stream_id for e in ran.events() if e.type == "DIAL_REQUEST_ACCEPTED"]


def dialer_log(ran: Ran) -> list[dict[str, Any]]:
    return [dict(e.payload) for e in ran.events() if e.type == "BATCH_PUT_CONTACT_CALLED"]


def token_number(token: str) -> int:
    campaign, _, n = token.rpartition("-")
    assert campaign == "c1", token
    return int(n)


def first_attempts(calls: list[BpcCall]) -> list[BpcCall]:
    seen: set[str] = set()
    firsts = []
    for call in calls:
        if call.token not in seen:
            seen.add(call.token)
            firsts.append(call)
    return firsts


def successes(calls: list[BpcCall]) -> Counter[str]:
    """Request id -> number of times BatchPutContact made it a contact."""
    made: Counter[str] = Counter()
    for call in calls:
        if call.response is not None:
            made.update(i["RequestIdentifier"] for i in call.response["SuccessfulRequestList"])
    return made


# -- grouping ---------------------------------------------------------------------


def test_calls_take_at_most_25_requests_in_fifo_order(bpc_calls: list[BpcCall]) -> None:
    # 1 call a second against 200 free lines: calls fill up to the 25-item cap.
    ran = run(build(agentless(count=110, dialer_calls_per_second=1.0)))
    assert bpc_calls, "no BatchPutContact call made"
    assert all(1 <= len(c.request_ids) <= MAX_ITEMS for c in bpc_calls)
    assert all(1 <= p["items"] <= MAX_ITEMS for p in dialer_log(ran))
    firsts = first_attempts(bpc_calls)
    # ClientTokens are <campaign>-1, -2, ... in call order.
    assert [token_number(c.token) for c in firsts] == list(range(1, len(firsts) + 1))
    # Taken in buffer order: the calls' items, concatenated, are the acceptance order.
    sent = [rid for c in firsts for rid in c.request_ids]
    assert sent == accepted_order(ran)
    assert max(len(c.request_ids) for c in bpc_calls) == MAX_ITEMS


def test_calls_are_spaced_by_the_dialer_rate(bpc_calls: list[BpcCall]) -> None:
    run(build(agentless(count=110, dialer_calls_per_second=2.0)))
    times = [c.time for c in first_attempts(bpc_calls)]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.5 - 1e-6


def test_contacts_are_created_as_requests_arrive_whatever_the_agents(
    bpc_calls: list[BpcCall],
) -> None:
    data = base_dict()  # 3 agents, 10 requests at t=0
    data["campaigns"][0]["sources"] = [{"kind": "schedule", "batches": [{"at": 0, "count": 10}]}]
    ran = run(build(data))
    # What arrived together is created together, before any agent is free for it.
    assert [len(c.request_ids) for c in bpc_calls] == [10]
    assert bpc_calls[0].time == ran.scenario.start_ts
    rows = ran.sql(
        "SELECT created_timestamp, initiation_timestamp FROM contacts WHERE run_id = :run"
    )
    assert {created for created, _ in rows} == {ran.scenario.start_ts}
    dials = sorted(dialed for _, dialed in rows)
    assert dials[:3] == [ran.scenario.start_ts] * 3 and dials[3] > dials[2]  # 3 agents
    assert ran.drained


def test_batches_arriving_apart_get_a_call_each(bpc_calls: list[BpcCall]) -> None:
    data = agentless(count=10)
    data["campaigns"][0]["sources"] = [
        {
            "kind": "schedule",
            "batches": [{"at": t, "count": n} for t, n in ((0, 3), (5, 7), (9, 1))],
        }
    ]
    ran = run(build(data))
    assert [len(c.request_ids) for c in bpc_calls] == [3, 7, 1]
    assert [c.time - ran.scenario.start_ts for c in bpc_calls] == [0.0, 5.0, 9.0]


def test_batches_arriving_while_a_call_is_due_share_the_next_call(
    bpc_calls: list[BpcCall],
) -> None:
    # One BatchPutContact call per 2 s; the client sends four batches of 10 in 0.3 s.
    data = agentless(count=40, dialer_calls_per_second=0.5)
    data["campaigns"][0]["sources"] = [
        {"kind": "schedule", "batches": [{"at": 0, "count": 10}] * 4}
    ]
    ran = run(build(data))
    start = ran.scenario.start_ts
    assert [(c.time - start, len(c.request_ids)) for c in bpc_calls] == [
        (0.0, 10),
        (2.0, 25),
        (4.0, 5),
    ]
    sent = [rid for c in bpc_calls for rid in c.request_ids]
    assert sent == accepted_order(ran)  # FIFO across the batches


# -- whole-call retries -------------------------------------------------------------


def throttled() -> dict[str, Any]:
    """The dialer wants 10 calls a second; the account allows one per 5 s."""
    return agentless(
        count=75,
        dialer_calls_per_second=10.0,
        quotas={"batch_put_contact": {"rate": 0.2, "burst": 1}},
    )


def test_throttled_call_is_retried_with_the_same_token_and_items(
    bpc_calls: list[BpcCall],
) -> None:
    ran = run(build(throttled()))
    log = dialer_log(ran)
    by_token: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for payload in log:
        by_token[payload["client_token"]].append(payload)
    retried = {t: p for t, p in by_token.items() if len(p) > 1}
    assert retried, "the quota should have throttled some calls"
    for token, attempts in by_token.items():
        assert [p["attempt"] for p in attempts] == list(range(1, len(attempts) + 1)), token
        assert all(p["error"] == "LimitExceededException" for p in attempts[:-1]), token
        assert attempts[-1]["error"] is None, token
        assert len({p["items"] for p in attempts}) == 1, token
    # At the wire: every attempt of a token carries the same requests.
    sent: dict[str, list[list[str]]] = defaultdict(list)
    for call in bpc_calls:
        sent[call.token].append(call.request_ids)
    for token, lists in sent.items():
        assert all(ids == lists[0] for ids in lists), token
    # No contact is duplicated: each request became exactly one contact.
    made = successes(bpc_calls)
    assert set(made) == set(accepted_order(ran))
    assert set(made.values()) == {1}
    contacts = [e for e in ran.events() if e.type == "INITIATED"]
    assert len(contacts) == 75


def test_injected_server_errors_are_retried_with_the_same_token(
    bpc_calls: list[BpcCall],
) -> None:
    ran = run(build(agentless(count=75, faults={"request_error_probability": 0.4})))
    errors = Counter(p["error"] for p in dialer_log(ran))
    assert errors["InternalServiceException"] > 0
    assert set(errors) == {None, "InternalServiceException"}
    for token, ids in _ids_by_token(bpc_calls).items():
        assert len(ids) == 1, f"{token} retried with other items"
    made = successes(bpc_calls)
    assert set(made) == set(accepted_order(ran)) and set(made.values()) == {1}


def _ids_by_token(calls: list[BpcCall]) -> dict[str, set[tuple[str, ...]]]:
    out: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for call in calls:
        out[call.token].add(tuple(call.request_ids))
    return out


# -- item failures ------------------------------------------------------------------


def test_failed_items_go_first_into_a_later_call_with_a_new_token(
    bpc_calls: list[BpcCall],
) -> None:
    ran = run(build(agentless(count=100, faults={"item_error_probability": 0.3})))
    failed_at: dict[str, int] = {}
    retried = 0
    for index, call in enumerate(bpc_calls):
        assert call.response is not None
        # Items that failed before lead this call (carried first), in failure order.
        carried = [rid for rid in call.request_ids if rid in failed_at]
        assert call.request_ids[: len(carried)] == carried
        for rid in carried:
            assert failed_at.pop(rid) < index
            retried += 1
        for item in call.response["FailedRequestList"]:
            assert item["FailureReasonCode"] == "INTERNAL_ERROR"
            failed_at[item["RequestIdentifier"]] = index
    assert retried > 0
    assert not failed_at, "failed items never retried"
    # A retry is a new call, never a replay of the refused one.
    assert all(len(ids) == 1 for ids in _ids_by_token(bpc_calls).values())
    # Never lost, never duplicated.
    made = successes(bpc_calls)
    assert set(made) == set(accepted_order(ran)) and set(made.values()) == {1}
    log = dialer_log(ran)
    assert sum(p["failed"] for p in log) == retried
    assert not [e for e in ran.events() if e.type == "DIAL_REQUEST_FAILED"]


def test_stopping_a_campaign_ends_its_carried_item_retries() -> None:
    data = agentless(count=50, dialer_calls_per_second=0.1, faults={"item_error_probability": 0.5})
    data["campaigns"][0]["schedule"] = [{"at": 25, "action": "stop"}]
    ran = run(build(data))
    events = ran.events()
    accepted = {e.stream_id for e in events if e.type == "DIAL_REQUEST_ACCEPTED"}
    ended = {
        e.stream_id
        for e in events
        if e.type in ("DIAL_REQUEST_COMPLETED", "DIAL_REQUEST_EXPIRED", "DIAL_REQUEST_FAILED")
    }
    assert accepted - ended == set()
    assert ran.drained


# -- invalid numbers ----------------------------------------------------------------


def csv_campaign(tmp_path: Path, rows: list[str], api: str) -> Ran:
    (tmp_path / "list.csv").write_text("phone_number,name\n" + "".join(f"{r},x\n" for r in rows))
    data = agentless()
    data["campaigns"][0]["api"] = api
    data["campaigns"][0]["sources"] = [{"kind": "csv", "path": "list.csv"}]
    return run(build(data, base_dir=tmp_path))


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_non_e164_number_is_rejected_at_intake_as_invalid_input(
    tmp_path: Path, api: str, bpc_calls: list[BpcCall]
) -> None:
    ran = csv_campaign(tmp_path, ["+12015550100", "12345", "+12015550102", "555-0100"], api)
    events = ran.events()
    rejected = [e.payload for e in events if e.type == "DIAL_REQUEST_REJECTED"]
    assert [(p["client_token"], p["failure_code"]) for p in rejected] == [
        ("s0-0-2", "InvalidInput"),
        ("s0-0-4", "InvalidInput"),
    ]
    assert all(p["reason"] == "phone number is not in E.164 format" for p in rejected)
    # Never accepted, so never dialed and never DIAL_REQUEST_FAILED.
    assert not [e for e in events if e.type == "DIAL_REQUEST_FAILED"]
    dialed = sorted(p for c in bpc_calls for p in c.phones)
    assert dialed == ["+12015550100", "+12015550102"]


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_number_breaking_the_wire_pattern_refuses_its_whole_batch(
    tmp_path: Path, api: str, bpc_calls: list[BpcCall], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Letters break the API's phone-number pattern: the whole PutDialRequestBatch
    # is a ValidationException, so the good rows of that batch are refused too.
    # Validation refuses such a list (its row is named), so the rows are fed to
    # the engine past it, as if the file changed after it was validated.
    numbers = ["+12015550100", "12a45", "+12015550102"]
    with pytest.raises(ScenarioError, match=r"list\.csv row 3: phone_number '12a45'"):
        csv_campaign(tmp_path, numbers, api)
    monkeypatch.setattr(CsvSource, "rows", lambda self: iter([(n, {"name": "x"}) for n in numbers]))
    ran = csv_campaign(tmp_path, ["+12015550100"], api)
    events = ran.events()
    rejected = [e.payload for e in events if e.type == "DIAL_REQUEST_REJECTED"]
    assert [(p["client_token"], p["failure_code"]) for p in rejected] == [
        ("s0-0-1", "ValidationException"),
        ("s0-0-2", "ValidationException"),
        ("s0-0-3", "ValidationException"),
    ]
    assert not [e for e in events if e.type == "DIAL_REQUEST_ACCEPTED"]
    assert bpc_calls == []


# -- the golden call sequence ---------------------------------------------------------


def golden_scenario() -> dict[str, Any]:
    """Small and busy: 60 requests, 4 agents, 6 lines, throttling and item errors."""
    data = base_dict(seed=2024, horizon=2 * 3600)
    data["agent_groups"][0]["staffing"][0]["agents"] = 4
    data["instance"]["concurrent_calls"] = 6
    data["campaigns"] = [
        {
            "id": "c1",
            "mode": "progressive",
            "queue": "q",
            "sources": [
                {"kind": "schedule", "batches": [{"at": 0, "count": 25}, {"at": 60, "count": 15}]},
                {"kind": "poisson", "rate_per_hour": 120, "batch_size": 5, "max_requests": 20},
            ],
        },
        {
            "id": "c2",
            "mode": "agentless",
            "dialing_capacity": 0.5,
            "sources": [{"kind": "schedule", "batches": [{"at": 0, "count": 25}]}],
        },
    ]
    data["api"] = {
        "dialer_calls_per_second": 5.0,
        "quotas": {"batch_put_contact": {"rate": 1.0, "burst": 2}},
        "faults": {"item_error_probability": 0.1},
    }
    return data


def golden_calls(calls: list[BpcCall], ran: Ran) -> list[dict[str, Any]]:
    """The first calls (up to GOLDEN_CALLS), items named by acceptance rank (#0 = first
    accepted)."""
    rank = {rid: i for i, rid in enumerate(accepted_order(ran))}
    start = ran.scenario.start_ts
    out = []
    for call in calls[:GOLDEN_CALLS]:
        failed = (
            [] if call.response is None else call.response["FailedRequestList"]
        )  # fmt: skip
        out.append(
            {
                "t": round(call.time - start, 6),
                "client_token": call.token,
                "items": [f"#{rank[rid]}" for rid in call.request_ids],
                "error": call.error,
                "failed_items": [f"#{rank[i['RequestIdentifier']]}" for i in failed],
            }
        )
    return out


def test_first_calls_match_golden(bpc_calls: list[BpcCall]) -> None:
    ran = run(build(golden_scenario()))
    got = golden_calls(bpc_calls, ran)
    assert len(got) >= 15  # throttled and failed calls included
    if UPDATE_GOLDEN:
        GOLDEN_BATCHING.write_text(json.dumps(got, indent=1) + "\n")
    if not GOLDEN_BATCHING.exists():
        pytest.fail(f"{GOLDEN_BATCHING} is missing; write it with SIM_UPDATE_GOLDEN=1")
    want = json.loads(GOLDEN_BATCHING.read_text())
    assert got == want, (
        f"BatchPutContact calls differ from {GOLDEN_BATCHING.name}. If the change is "
        "deliberate, rewrite it with: SIM_UPDATE_GOLDEN=1 pytest tests/engine/test_batching.py"
    )
