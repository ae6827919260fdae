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


def test_failed_items_are_retried_a_few_times_and_refused_ones_until_placed(
    tmp_path: Path,
) -> None:
    """With item faults (UnknownError) and a full buffer at once: a row the buffer
    refused is always placed in the end; a row that kept failing is given up
    after its tries (its last refusal an UnknownError), never for want of room;
    the waits for room do not use up a row's tries (12 at 30 % faults: none runs out)."""
    data = scenario(tmp_path, "v2")
    data["api"]["faults"] = {"item_error_probability": 0.3}  # 12 tries: 0.3**12 give up
    events = run(build(data)).events()
    placed = {e.payload["client_token"] for e in events if e.type == "DIAL_REQUEST_ACCEPTED"}
    last_refusal: dict[str, str] = {}
    for e in events:
        if e.type == "DIAL_REQUEST_REJECTED":
            last_refusal[e.payload["client_token"]] = e.payload["failure_code"]
    given_up = set(last_refusal) - placed
    assert {last_refusal[t] for t in given_up} <= {"UnknownError"}
    assert len(placed | given_up) == ROWS
    assert "BufferLimitExceeded" in last_refusal.values()
    assert "UnknownError" in last_refusal.values()
    # Tries count from the last wait for room: with 12 of them, no row runs out.
    assert not given_up
