"""A list longer than the campaign buffer: the loader waits for room, loses nothing.

A full buffer answers each item RequestThrottled (v1) or BufferLimitExceeded
(v2). The loader (a well-written client) retries those items until they are
placed or expire, and reads no further into its list meanwhile, so every row
is dialed and the campaign never holds more than ``buffer_limit`` requests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import base_dict, build, run

ROWS = 300
LIMIT = 20


def scenario(folder: Path, api: str) -> dict[str, Any]:
    path = folder / "list.csv"
    lines = ["phone_number"] + [f"+1212555{i:04d}" for i in range(ROWS)]
    path.write_text("\n".join(lines) + "\n")
    campaign = {
        "id": "c1",
        "mode": "progressive",
        "api": api,
        "queue": "q",
        "sources": [{"kind": "csv", "path": str(path), "expires_after": "1d"}],
    }
    return base_dict(
        horizon=86400,
        campaigns=[campaign],
        api={"buffer_limit": LIMIT},
    )


@pytest.mark.parametrize(
    ("api", "code"), [("v1", "RequestThrottled"), ("v2", "BufferLimitExceeded")]
)
def test_a_list_longer_than_the_buffer_is_dialed_whole(tmp_path: Path, api: str, code: str) -> None:
    ran = run(build(scenario(tmp_path, api)))
    events = ran.events()
    accepted = [e for e in events if e.type == "DIAL_REQUEST_ACCEPTED"]
    tokens = [e.payload["client_token"] for e in accepted]
    # Every row placed exactly once, and dialed.
    assert len(tokens) == len(set(tokens)) == ROWS
    assert sum(e.type == "DIAL_REQUEST_DIALED" for e in events) == ROWS
    # The buffer did fill (the client met backpressure) and every refusal was of that kind,
    # for rows that were placed later.
    refused = [e for e in events if e.type == "DIAL_REQUEST_REJECTED"]
    assert refused and {e.payload["failure_code"] for e in refused} == {code}
    assert {e.payload["client_token"] for e in refused} <= set(tokens)
    # The campaign never held more than its limit: accepted and not yet dialed.
    pending = peak = 0
    for e in events:
        if e.type == "DIAL_REQUEST_ACCEPTED":
            pending += 1
        elif e.type in ("DIAL_REQUEST_DIALED", "DIAL_REQUEST_EXPIRED"):
            pending -= 1
        peak = max(peak, pending)
    assert peak == LIMIT
    # The feed read no further while the buffer was full: refusals concern one batch at a time.
    seen_refused: set[str] = set()
    for e in events:
        if e.type == "DIAL_REQUEST_REJECTED":
            seen_refused.add(e.payload["client_token"])
        elif e.type == "DIAL_REQUEST_ACCEPTED":
            seen_refused.discard(e.payload["client_token"])
        assert len(seen_refused) <= 25
