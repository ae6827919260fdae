"""Redials of abandoned numbers too soon (the UK Ofcom 72-hour rule).

Ofcom's persistent-misuse policy: once a call to a number is abandoned, the
number may be called again within 72 hours only with a live operator
guaranteed to be there. A progressive or preview campaign reserves its agent
before it dials, so its calls qualify; a predictive or agentless campaign
does not, and nor does a campaign the scenario does not know (one a client
created through the HTTP face): their calls to the number inside the gap count.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from sim.domain import Outcome
from sim.store.schema import contacts

# Modes whose calls always have an agent waiting for the customer.
AGENT_FIRST_MODES = frozenset({"progressive", "preview"})


def early_redials(
    conn: Connection, run_id: int, gap_s: float, scenario: Mapping[str, Any]
) -> dict[str, int]:
    """campaign -> calls placed without a guaranteed agent within ``gap_s`` after a
    call to the same number was abandoned (and '*' over all campaigns)."""
    c = contacts.c
    abandoned: dict[str, list[float]] = {}
    query = (
        select(c.customer_endpoint, c.disconnect_timestamp)
        .where(c.run_id == run_id, c.outcome == Outcome.ABANDONED)
        .order_by(c.disconnect_timestamp)
    )
    for number, ended in conn.execute(query):
        abandoned.setdefault(number, []).append(float(ended))
    counts: dict[str, int] = {"*": 0}
    if not abandoned:
        return counts
    modes = {str(x.get("id")): x.get("mode") for x in scenario.get("campaigns") or ()}
    later = select(c.campaign_id, c.customer_endpoint, c.initiation_timestamp).where(
        c.run_id == run_id,
        c.customer_endpoint.in_(
            select(c.customer_endpoint)
            .where(c.run_id == run_id, c.outcome == Outcome.ABANDONED)
            .scalar_subquery()
        ),
    )
    for campaign, number, started in conn.execute(later):
        if modes.get(campaign) in AGENT_FIRST_MODES or started is None:
            continue
        ends = abandoned[number]
        # An abandonment that ended in (started - gap, started] precedes this call.
        i = bisect_right(ends, started - gap_s)
        if i < len(ends) and ends[i] <= started:
            counts[campaign] = counts.get(campaign, 0) + 1
            counts["*"] += 1
    return counts
