"""How the engine calls the core: the wire entry point, with retry backoff.

The simulated dialer and the simulated list loader are API clients like any
other: they call ``OutboundCore.call`` with wire dicts, and back off when
throttled, the way an AWS SDK client does.
"""

from __future__ import annotations

import random
from typing import Any

from sim.connect import CAMPAIGNS_PRINCIPAL, OutboundCore, ServiceError

# Errors worth retrying with the same request (and the same ClientToken).
RETRYABLE = frozenset(
    {
        "LimitExceededException",
        "ThrottlingException",
        "InternalServiceException",
        "InternalServerException",
        "TooManyRequestsException",
    }
)

BACKOFF_BASE_S = 0.1
BACKOFF_CAP_S = 20.0


def backoff(rng: random.Random, attempt: int) -> float:
    """Delay before retry ``attempt`` (1-based): capped exponential, equal jitter.

    Half the exponential step is fixed and half is drawn, as the AWS SDKs'
    "equal jitter" does, so retries spread out without ever retrying at once.
    """
    step = min(BACKOFF_CAP_S, BACKOFF_BASE_S * (2 ** (attempt - 1)))
    return float(step / 2 + rng.uniform(0.0, step / 2))


class ApiClient:
    """Calls the core on the simulated clock with a fixed caller identity."""

    __slots__ = ("caller", "core")

    def __init__(self, core: OutboundCore, caller: str = CAMPAIGNS_PRINCIPAL) -> None:
        self.core = core
        self.caller = caller

    def call(
        self, service: str, operation: str, request: dict[str, Any], now: float
    ) -> dict[str, Any] | ServiceError:
        """The wire response, or the ServiceError it raised (failures are data)."""
        try:
            return self.core.call(service, operation, request, caller=self.caller, now=now)
        except ServiceError as error:
            return error
