"""Every event of every shipped scenario matches its declared payload.

The engine and the core emit payloads as plain dicts; ``sim.domain.events``
declares each type's payload as a TypedDict (``PAYLOADS``, ``PAYLOAD_KEYS``).
Here each event of each ``scenarios/*.yaml`` run, as recorded in the log, has
exactly the declared keys in the declared order (the required ones, then those
of its ``NotRequired`` keys that apply, such as DIAL_REQUEST_DIALED's
``time_zone`` under calling hours), and values of the declared types (an int
passes for a float, as in Python's typing).
"""

from __future__ import annotations

import types
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, NotRequired, Union, get_args, get_origin, get_type_hints

import pytest

from sim.domain import PAYLOAD_KEYS, EventType
from sim.domain.events import PAYLOADS

from .conftest import GOOD_SCENARIOS, Ran, base_dict, build, run

# Types no shipped scenario emits: Update* is an HTTP-only v2 operation; a
# refused and a failed request are made on purpose by ``test_refused_and_failed``.
NOT_IN_SHIPPED = {
    EventType.CAMPAIGN_UPDATED,
    EventType.DIAL_REQUEST_REJECTED,
    EventType.DIAL_REQUEST_FAILED,
}
HINTS = {t.value: get_type_hints(p) for t, p in PAYLOADS.items()}
OPTIONAL = {
    t.value: {
        k for k, h in get_type_hints(p, include_extras=True).items() if get_origin(h) is NotRequired
    }
    for t, p in PAYLOADS.items()
}


def _keys_fit(keys: tuple[str, ...], declared: tuple[str, ...], optional: Any) -> bool:
    """``keys`` are ``declared`` in order, leaving out only optional ones."""
    return keys == tuple(k for k in declared if k not in optional or k in keys)


def _fits(value: Any, hint: Any) -> bool:
    origin = get_origin(hint)
    if hint is Any:
        return True
    if origin in (Union, types.UnionType):
        return any(_fits(value, arg) for arg in get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if origin is not None:
        return isinstance(value, origin)
    return isinstance(value, hint)


def payload_problems(events: Any) -> tuple[list[str], Counter[str]]:
    """(what breaks the declared payloads, first few per type; events per type)."""
    problems: list[str] = []
    seen: Counter[str] = Counter()
    for e in events:
        seen[e.type] += 1
        if seen[e.type] > 3 and problems and problems[-1].startswith(e.type):
            continue
        keys = PAYLOAD_KEYS.get(e.type)
        if keys is None:
            problems.append(f"{e.type}: not a declared event type ({e.stream_id})")
        elif not _keys_fit(tuple(e.payload), keys, OPTIONAL[e.type]):
            problems.append(f"{e.type}: keys {tuple(e.payload)} != {keys} ({e.stream_id})")
        else:
            for key, hint in HINTS[e.type].items():
                if key in e.payload and not _fits(e.payload[key], hint):
                    value = e.payload[key]
                    problems.append(f"{e.type}.{key} = {value!r} is not {hint} ({e.stream_id})")
    return problems, seen


@pytest.mark.parametrize("name", GOOD_SCENARIOS)
def test_every_event_matches_its_payload(name: str, scenario_run: Callable[[str], Ran]) -> None:
    problems, _ = payload_problems(scenario_run(name).events())
    assert problems == []


def test_the_shipped_scenarios_emit_every_event_type(
    scenario_run: Callable[[str], Ran],
) -> None:
    seen: set[str] = set()
    for name in GOOD_SCENARIOS:
        seen |= {e.type for e in scenario_run(name).events()}
    assert seen == {t.value for t in EventType} - NOT_IN_SHIPPED


def test_refused_and_failed_requests_match_their_payloads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A non-E.164 row is refused at intake; a BatchPutContact refused for good
    (not retryable) ends its requests DIAL_REQUEST_FAILED."""
    from sim.connect import ServiceError
    from sim.engine.api import ApiClient

    original = ApiClient.call
    refused: list[str] = []

    def refuse_first_bpc(
        self: ApiClient, service: str, operation: str, request: dict[str, Any], now: float
    ) -> Any:
        if operation == "BatchPutContact" and not refused:
            refused.append(request["ClientToken"])
            return ServiceError("AccessDeniedException", "injected by the test")
        return original(self, service, operation, request, now)

    monkeypatch.setattr(ApiClient, "call", refuse_first_bpc)
    (tmp_path / "list.csv").write_text("phone_number\n+12015550100\n12345\n+12015550102\n")
    data = base_dict()
    data["campaigns"][0]["sources"] = [{"kind": "csv", "path": "list.csv"}]
    ran = run(build(data, base_dir=tmp_path))
    problems, seen = payload_problems(ran.events())
    assert problems == []
    assert refused and seen[EventType.DIAL_REQUEST_REJECTED] == 1
    assert seen[EventType.DIAL_REQUEST_FAILED] >= 1


def test_the_check_finds_a_bad_payload() -> None:
    from sim.domain import Event

    good = Event(
        "r1", 3, "DIAL_REQUEST_COMPLETED", 1.0, {"campaign_id": "c", "outcome": "X", "attempts": 1}
    )
    swapped = good._replace(payload={"outcome": "X", "campaign_id": "c", "attempts": 1})
    float_count = good._replace(payload={"campaign_id": "c", "outcome": "X", "attempts": 1.0})
    unknown = good._replace(type="DIAL_REQUEST_COMPLETE")
    assert payload_problems([good])[0] == []
    for bad in (swapped, float_count, unknown):
        assert len(payload_problems([bad])[0]) == 1, bad
