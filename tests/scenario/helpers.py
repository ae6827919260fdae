"""Shared test data: a minimal valid scenario mapping and the scenarios folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

MINIMAL: dict[str, Any] = {
    "start": "2026-10-06T09:00:00-04:00",
    "horizon": "8h",
    "instance": {"queues": ["sales"]},
    "agent_groups": [
        {
            "name": "team-a",
            "queue": "sales",
            "staffing": [{"start": "09:00", "end": "17:00", "agents": 10}],
        }
    ],
    "campaigns": [{"id": "camp-1", "queue": "sales"}],
}
