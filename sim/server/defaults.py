"""The built-in instance ``sim serve`` simulates when no scenario is given.

One queue staffed around the clock by 10 agents, one progressive campaign per
API version, no arrival sources: every dial request comes from HTTP clients.
The start is a placeholder; the server moves it to the wall clock.
"""

from __future__ import annotations

from typing import Any

DEFAULT_INSTANCE_ID = "default-instance"
DEFAULT_CAMPAIGN_V1 = "default-campaign"
DEFAULT_CAMPAIGN_V2 = "default-campaign-v2"
DEFAULT_QUEUE = "default"

DEFAULT_SCENARIO: dict[str, Any] = {
    "name": "serve-default",
    "description": "Built-in instance of sim serve: 10 agents around the clock, no sources.",
    "seed": 0,
    "start": "2026-01-01T00:00:00+00:00",
    "horizon": "30d",
    "instance": {
        "id": DEFAULT_INSTANCE_ID,
        "queues": [DEFAULT_QUEUE],
        "phone_numbers": ["+15550100"],
        "concurrent_calls": 50,
    },
    "agent_groups": [
        {
            "name": "agents",
            "queue": DEFAULT_QUEUE,
            # end == start: the shift lasts the whole day, every day.
            "staffing": [{"start": "00:00", "end": "00:00", "agents": 10}],
            "after_contact_work": "10s",
        }
    ],
    "campaigns": [
        {
            "id": DEFAULT_CAMPAIGN_V1,
            "mode": "progressive",
            "api": "v1",
            "queue": DEFAULT_QUEUE,
            "bandwidth_allocation": 0.5,
        },
        {
            "id": DEFAULT_CAMPAIGN_V2,
            "mode": "progressive",
            "api": "v2",
            "queue": DEFAULT_QUEUE,
            "bandwidth_allocation": 0.5,
        },
    ],
}
