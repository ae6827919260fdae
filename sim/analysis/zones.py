"""The v2 dialing day in the report: figures per recipient time zone, waits for the
window, requests dropped for want of a zone or ended by contact limits.

Read from the log: each dial of a campaign with calling hours carries the
recipient's zone (``time_zone``) and how long its contact waited after
creation for the zone's window to open (``window_wait_s``) on its
DIAL_REQUEST_DIALED event; outcomes come from the ``contacts`` projection.
A run without calling hours or contact limits at work has none of these:
``dialing_day`` is None and the summary has no section for it (docs/store.md, "Run summary").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, select

from sim.domain import LIVE_OUTCOMES, EventType, Outcome
from sim.store.schema import contacts, events, events_of_types

DROPPED = "DROPPED_MISSING_TIMEZONE"
LIMITED = "communication_limit"


@dataclass
class _Zone:
    dials: int = 0
    live: int = 0  # a person answered (LIVE_OUTCOMES)
    answered_live: int = 0  # a person answered in a campaign with agents
    abandoned: int = 0  # of those: not connected in time, or hung up on by AMD
    waited: int = 0  # dials whose contact waited for the window to open
    wait_s: float = 0.0
    last_dial: float = 0.0

    def figures(self, sim_start: float) -> dict[str, Any]:
        return {
            "dials": self.dials,
            "live_answers": self.live,
            "abandoned": self.abandoned,
            "abandonment_rate": self.abandoned / self.answered_live if self.answered_live else None,
            "waited_for_window": self.waited,
            "window_wait_mean_s": self.wait_s / self.waited if self.waited else None,
            "list_completion_s": self.last_dial - sim_start,
        }


def _dials(conn: Connection, run_id: int) -> tuple[dict[str, _Zone], dict[str, _Zone], int, int]:
    """(zone -> tally, contact id -> its zone's tally, requests dropped with no zone,
    requests ended by contact limits)."""
    zones: dict[str, _Zone] = {}
    by_contact: dict[str, _Zone] = {}
    dropped = limited = 0
    query = select(events.c.type, events.c.time, events.c.payload).where(
        events.c.run_id == run_id,
        events_of_types(EventType.DIAL_REQUEST_DIALED, EventType.DIAL_REQUEST_EXPIRED),
    )
    for type_, t, raw in conn.execution_options(yield_per=20000).execute(query):
        p = orjson.loads(raw)
        if type_ == EventType.DIAL_REQUEST_EXPIRED:
            dropped += p.get("reason") == DROPPED
            limited += p.get("reason") == LIMITED
            continue
        name = p.get("time_zone")
        if name is None:
            continue
        zone = zones.setdefault(name, _Zone())
        zone.dials += 1
        zone.last_dial = max(zone.last_dial, float(t))
        wait = float(p.get("window_wait_s") or 0.0)
        if wait > 0:
            zone.waited += 1
            zone.wait_s += wait
        by_contact[p["contact_id"]] = zone
    return zones, by_contact, dropped, limited


def dialing_day(conn: Connection, run_id: int, sim_start: float) -> dict[str, Any] | None:
    """The dialing-day section of a run's summary; None if nothing in it happened."""
    zones, by_contact, dropped, limited = _dials(conn, run_id)
    if not zones and not dropped and not limited:
        return None
    c = contacts.c
    query = select(c.contact_id, c.outcome, c.queue_id, c.live_person, c.abandoned).where(
        c.run_id == run_id
    )
    for contact_id, outcome, queue_id, live_person, abandoned in conn.execute(query):
        zone = by_contact.get(contact_id)
        if zone is None:
            continue
        zone.live += outcome in LIVE_OUTCOMES
        if queue_id is not None and live_person:
            zone.answered_live += 1
            zone.abandoned += bool(abandoned) or outcome == Outcome.AMD_HANGUP.value
    waited = sum(z.waited for z in zones.values())
    wait_s = sum(z.wait_s for z in zones.values())
    return {
        "waited_for_window": waited,
        "window_wait_mean_s": wait_s / waited if waited else None,
        "dropped_missing_timezone": dropped,
        "ended_by_contact_limits": limited,
        "zones": {name: zones[name].figures(sim_start) for name in sorted(zones)},
    }
