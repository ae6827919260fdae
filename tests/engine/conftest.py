"""Shared helpers for the engine tests: scenario builders, runs, event logs.

Runs go through ``sim.runner.run_scenario`` into a real ``Store`` so every
test sees what a user sees: the event log and projections in the database.
The scenarios of ``scenarios/*.yaml`` are run once per test session and
shared (``scenario_run``), which keeps the whole engine suite fast.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sim.domain import Event
from sim.runner import RunOutcome, run_scenario
from sim.scenario import Scenario, load_scenario, parse_scenario
from sim.store import Store

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
GOOD_SCENARIOS = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE_GOLDEN = os.environ.get("SIM_UPDATE_GOLDEN") == "1"

START = "2026-10-06T09:00:00+00:00"


def base_dict(**overrides: Any) -> dict[str, Any]:
    """A small valid scenario as plain data: one progressive campaign, 3 agents.

    Top-level keys in ``overrides`` replace the defaults (a deep copy is made).
    """
    data: dict[str, Any] = {
        "name": "engine-test",
        "seed": 1,
        "start": START,
        "horizon": 3600,
        "interval": 900,
        "instance": {
            "queues": ["q"],
            "phone_numbers": ["+15550100"],
            "concurrent_calls": 10,
        },
        "agent_groups": [
            {
                "name": "g",
                "queue": "q",
                "staffing": [{"start": "00:00", "end": "00:00", "agents": 3}],
                "after_contact_work": 5,
            }
        ],
        "campaigns": [
            {
                "id": "c1",
                "mode": "progressive",
                "queue": "q",
                "sources": [{"kind": "schedule", "batches": [{"at": 0, "count": 10}]}],
            }
        ],
        "durations": {
            "ring_to_answer": {"kind": "exponential", "mean": 8},
            "talk": {"kind": "exponential", "mean": 60},
            "patience": {"kind": "exponential", "mean": 20},
            "voicemail": 10,
            "busy_signal": 3,
        },
    }
    data.update(copy.deepcopy(overrides))
    return data


def build(data: dict[str, Any], base_dir: Path | None = None) -> Scenario:
    return parse_scenario(data, base_dir=base_dir)


@dataclass
class Ran:
    """A finished run: its scenario, store and outcome, with log helpers."""

    scenario: Scenario
    store: Store
    outcome: RunOutcome
    _events: list[Event] | None = None

    @property
    def run_id(self) -> int:
        return self.outcome.run_id

    def events(self) -> list[Event]:
        """The run's log in position order (read once, then cached: do not mutate)."""
        if self._events is None:
            self._events = list(self.store.iter_events(self.run_id))
        return self._events

    def sql(self, query: str, **params: Any) -> list[tuple[Any, ...]]:
        from sqlalchemy import text

        with self.store.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(query), {"run": self.run_id, **params})]

    @property
    def drained(self) -> bool:
        """The run ended before its horizon: every source and request was done."""
        info = self.store.run(self.run_id)
        assert info.sim_end is not None
        return info.sim_end < self.scenario.end_ts


def run(scenario: Scenario, db: Path | str = "", seed: int | None = None) -> Ran:
    """Run ``scenario`` into the store at ``db`` ("" = a private in-memory database)."""
    store = Store(db)
    outcome = run_scenario(scenario, store, seed=seed)
    return Ran(scenario, store, outcome)


@pytest.fixture(scope="session")
def scenario_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Ran]:
    """``scenario_run(name)``: scenarios/<name>.yaml run once per session (cached)."""
    cache: dict[str, Ran] = {}
    folder = tmp_path_factory.mktemp("scenario-runs")

    def get(name: str) -> Ran:
        if name not in cache:
            cache[name] = run(load_scenario(SCENARIOS / f"{name}.yaml"), folder / f"{name}.db")
        return cache[name]

    return get


@dataclass
class BpcCall:
    """One BatchPutContact call as the dialer sent it, with what came back."""

    time: float
    token: str
    request_ids: list[str]
    phones: list[str]
    response: dict[str, Any] | None  # None: the call raised (throttled, 5xx)
    error: str | None


@pytest.fixture
def bpc_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[BpcCall]]:
    """Record every BatchPutContact call the engine makes (wire request and response)."""
    from sim.connect import ServiceError
    from sim.engine.api import ApiClient

    calls: list[BpcCall] = []
    original = ApiClient.call

    def spy(
        self: ApiClient, service: str, operation: str, request: dict[str, Any], now: float
    ) -> Any:
        result = original(self, service, operation, request, now)
        if operation == "BatchPutContact":
            items = request["ContactDataRequestList"]
            error = result.code if isinstance(result, ServiceError) else None
            calls.append(
                BpcCall(
                    now,
                    request["ClientToken"],
                    [i["RequestIdentifier"] for i in items],
                    [i["CustomerEndpoint"]["Address"] for i in items],
                    None if error else copy.deepcopy(result),
                    error,
                )
            )
        return result

    monkeypatch.setattr(ApiClient, "call", spy)
    yield calls
