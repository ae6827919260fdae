"""Small scenarios and run helpers for the pacing tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.runner import RunOutcome, run_scenario
from sim.scenario import Scenario, apply_overrides, load_scenario, parse_scenario
from sim.store import Store

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def scenario(name: str, overrides: dict[str, Any] | None = None) -> Scenario:
    loaded = load_scenario(SCENARIOS / name)
    return apply_overrides(loaded, overrides) if overrides else loaded


def run(s: Scenario, seed: int | None = None) -> tuple[Store, RunOutcome]:
    store = Store("sqlite://")
    return store, run_scenario(s, store, seed=seed)


def query(store: Store, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql, params).fetchall()]


def small(**campaign: Any) -> Scenario:
    """One campaign on one queue of 5 agents, 200 requests at once."""
    base: dict[str, Any] = {
        "id": "c",
        "mode": "progressive",
        "queue": "q",
        "api": "v2",
        "sources": [{"kind": "schedule", "batches": [{"at": 0, "count": 25}] * 8}],
    }
    base.update(campaign)
    return parse_scenario(
        {
            "name": "small",
            "seed": 7,
            "start": "2026-03-02T09:00:00+00:00",
            "horizon": "6h",
            "instance": {"queues": ["q"], "phone_numbers": ["+15550100"], "concurrent_calls": 50},
            "agent_groups": [
                {
                    "name": "g",
                    "queue": "q",
                    "staffing": [{"start": "00:00", "end": "00:00", "agents": 5}],
                    "after_contact_work": "10s",
                }
            ],
            "campaigns": [base],
            "durations": {"talk": {"kind": "exponential", "mean": "2m"}},
        }
    )
