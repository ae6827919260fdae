"""Per-run summary KPIs, read from the store with SQL (never from live objects).

Every figure is defined in ``docs/store.md`` ("Run summary"); the sources
are the event log (request, dial and BatchPutContact counts, waits), the
``contacts`` projection (outcomes) and the ``interval_kpis`` '*' rows (agent
time). ``sim.analysis.table`` renders a summary for the terminal.
"""

from __future__ import annotations

import dataclasses
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
from sqlalchemy import Connection, case, func, select

from sim.analysis import abandonment
from sim.analysis.redials import early_redials
from sim.analysis.zones import dialing_day
from sim.domain import LIVE_OUTCOMES, EventType, Outcome
from sim.store import RunInfo, Store
from sim.store.schema import ALL_CAMPAIGNS, contacts, events, events_of_types, interval_kpis

THROTTLED = "LimitExceededException"
__all__ = ["RunSummary", "run_summary", "status_note", "worst_window_rate"]


@dataclass(frozen=True)
class RunSummary:
    """The headline figures of one run (keys of ``as_dict`` are documented in docs/store.md)."""

    run_id: int
    name: str
    status: str
    seed: int
    dial_requests_received: int
    dial_requests_accepted: int
    dial_requests_rejected: int
    dial_requests_expired: int
    dial_requests_failed: int
    contacts_created: int
    dials: int
    live_answers: int
    voicemail: int
    no_answer: int
    busy_or_invalid: int
    connected_to_agent: int
    abandoned: int
    abandonment_rate: float | None
    abandoned_connect: int
    abandonment_rate_connect: float | None
    amd_hangups: int
    expired_contacts: int
    agent_occupancy: float | None
    agent_utilisation: float | None
    wait_to_dial_mean_s: float | None
    wait_to_dial_p90_s: float | None
    creation_to_dial_mean_s: float | None
    creation_to_dial_p90_s: float | None
    dials_per_hour: float | None
    list_completion_s: float | None
    batch_put_contact_calls: int
    batch_put_contact_throttled: int
    batch_put_contact_retries: int
    sim_duration_s: float | None
    runtime_s: float | None
    abandonment_limit: float | None = None
    abandonment_window_s: float | None = None
    abandonment_worst_window: float | None = None
    abandonment_limit_exceeded: bool | None = None
    abandoned_redial_gap_s: float | None = None
    abandoned_redialed_early: int | None = None
    amd_statuses: dict[str, int] = field(default_factory=dict)
    per_campaign: dict[str, dict[str, Any]] = field(default_factory=dict)
    dialing_day: dict[str, Any] | None = None  # sim.analysis.zones; v2 hours / limits only

    def as_dict(self) -> dict[str, Any]:
        """Plain dict with snake_case keys (JSON-ready); ``dialing_day`` only if a
        campaign had calling hours or contact limits at work."""
        out = dataclasses.asdict(self)
        if out["dialing_day"] is None:
            del out["dialing_day"]
        return out


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


@dataclass
class _Tally:
    """One campaign's contacts, tallied (see ``_tallies``)."""

    outcomes: dict[str, int] = field(default_factory=dict)
    to_agent: int = 0
    live: int = 0  # a person answered, in a campaign with agents
    abandoned: int = 0  # of those: not connected in time, or hung up on by AMD
    visible: int = 0  # answered and counted live by Connect (HUMAN_ANSWERED / AMD off)
    visible_abandoned: int = 0  # of those: not connected to an agent in time
    expired: int = 0  # never dialed (disconnect reason EXPIRED)
    amd: dict[str, int] = field(default_factory=dict)

    def add(self, other: _Tally) -> None:
        for mine, theirs in ((self.outcomes, other.outcomes), (self.amd, other.amd)):
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n
        for name in ("to_agent", "live", "abandoned", "visible", "visible_abandoned", "expired"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _outcome_figures(t: _Tally) -> dict[str, Any]:
    """Answer and abandon figures of a tally (shared by totals and campaigns)."""
    counts = t.outcomes
    return {
        "live_answers": sum(n for o, n in counts.items() if o in LIVE_OUTCOMES),
        "voicemail": counts.get(Outcome.VOICEMAIL, 0),
        "no_answer": counts.get(Outcome.NO_ANSWER, 0),
        "busy_or_invalid": counts.get(Outcome.BUSY, 0) + counts.get(Outcome.INVALID_NUMBER, 0),
        "connected_to_agent": t.to_agent,
        "abandoned": t.abandoned,
        "abandonment_rate": _ratio(t.abandoned, t.live),
        "abandoned_connect": t.visible_abandoned,
        "abandonment_rate_connect": _ratio(t.visible_abandoned, t.visible),
        "amd_hangups": counts.get(Outcome.AMD_HANGUP, 0),
        "expired_contacts": t.expired,
    }


_COUNTED_TYPES = (
    EventType.DIAL_REQUEST_ACCEPTED,
    EventType.DIAL_REQUEST_DIALED,
    EventType.DIAL_REQUEST_EXPIRED,
    EventType.DIAL_REQUEST_FAILED,
)


def _type_counts(conn: Connection, run_id: int) -> dict[str, int]:
    """Events of the counted types (from the type index), and INITIATED (one
    per ``contacts`` row)."""
    counts: dict[str, int] = {
        t: int(
            conn.execute(
                select(func.count()).where(events.c.run_id == run_id, events_of_types(t))
            ).scalar_one()
        )
        for t in _COUNTED_TYPES
    }
    contacts_query = select(func.count()).where(contacts.c.run_id == run_id)
    counts[EventType.INITIATED] = int(conn.execute(contacts_query).scalar_one())
    return counts


def _tallies(conn: Connection, run_id: int) -> dict[str, _Tally]:
    """campaign -> its contacts tallied by outcome, AMD status and abandonment.

    The regulatory view counts every person who answered a campaign with
    agents; abandoned are those not connected to an agent within the
    threshold, and those hung up on because AMD took them for a machine. The
    Connect view counts the answered contacts AMD classified HUMAN_ANSWERED
    (all answered ones with AMD off); abandoned are those not connected in time.
    The conditions are ``sim.analysis.abandonment``'s.
    """
    c = contacts.c
    views = abandonment.conditions()
    query = (
        select(
            c.campaign_id,
            c.outcome,
            c.answering_machine_detection_status,
            func.count(),
            func.count(c.connected_to_agent_timestamp),
            *(func.sum(case((cond, 1), else_=0)) for cond in views),
            func.sum(case((c.disconnect_reason == "EXPIRED", 1), else_=0)),
        )
        .where(c.run_id == run_id)
        .group_by(c.campaign_id, c.outcome, c.answering_machine_detection_status)
    )
    out: dict[str, _Tally] = {}
    for campaign, outcome, amd, n, to_agent, lv, ab, vis, vis_ab, exp in conn.execute(query):
        t = out.setdefault(campaign or "", _Tally())
        if outcome is not None:
            t.outcomes[outcome] = t.outcomes.get(outcome, 0) + n
        if amd is not None:
            t.amd[amd] = t.amd.get(amd, 0) + n
        t.to_agent += to_agent
        t.live += int(lv or 0)
        t.abandoned += int(ab or 0)
        t.visible += int(vis or 0)
        t.visible_abandoned += int(vis_ab or 0)
        t.expired += int(exp or 0)
    return out


def _creation_waits(conn: Connection, run_id: int) -> tuple[float | None, float | None]:
    """(mean, p90) seconds from a contact's creation to its dial, over dialed contacts."""
    c = contacts.c
    query = select(c.initiation_timestamp - c.created_timestamp).where(
        c.run_id == run_id, c.attempt.is_not(None), c.created_timestamp.is_not(None)
    )
    waits = array("d", (float(w) for (w,) in conn.execute(query) if w is not None))
    if not waits:
        return None, None
    values = np.frombuffer(waits, dtype=np.float64)
    return float(values.mean()), float(np.percentile(values, 90))


def _agent_time(conn: Connection, run_id: int) -> tuple[float | None, float | None]:
    k = interval_kpis.c
    query = select(
        func.sum(k.on_contact_s), func.sum(k.acw_s), func.sum(k.reserved_s), func.sum(k.logged_in_s)
    ).where(k.run_id == run_id, k.campaign_id == ALL_CAMPAIGNS)
    talk, acw, reserved, logged_in = (v or 0.0 for v in conn.execute(query).one())
    return _ratio(talk + acw, logged_in), _ratio(talk + acw + reserved, logged_in)


def _payloads(conn: Connection, run_id: int, type_: str) -> Iterable[tuple[float, dict[str, Any]]]:
    query = select(events.c.time, events.c.payload).where(
        events.c.run_id == run_id, events_of_types(type_)
    )
    for t, payload in conn.execution_options(yield_per=20000).execute(query):
        yield t, orjson.loads(payload)


def _dial_waits(conn: Connection, run_id: int) -> tuple[float | None, float | None, float | None]:
    """(mean wait, p90 wait) from acceptance to dial, and the time of the last dial."""
    waits = array("d")
    last: float | None = None
    for t, p in _payloads(conn, run_id, EventType.DIAL_REQUEST_DIALED):
        last = t if last is None or t > last else last
        if p.get("waited_s") is not None:
            waits.append(float(p["waited_s"]))
    if not waits:
        return None, None, last
    values = np.frombuffer(waits, dtype=np.float64)
    return float(values.mean()), float(np.percentile(values, 90)), last


def _batch_put_contact(conn: Connection, run_id: int) -> tuple[int, int, int]:
    calls = throttled = retries = 0
    for _, p in _payloads(conn, run_id, EventType.BATCH_PUT_CONTACT_CALLED):
        calls += 1
        throttled += p.get("error") == THROTTLED
        retries += (p.get("attempt") or 1) > 1
    return calls, throttled, retries


def _list_completion(conn: Connection, run_id: int) -> float | None:
    ended = (
        EventType.DIAL_REQUEST_DIALED,
        EventType.DIAL_REQUEST_EXPIRED,
        EventType.DIAL_REQUEST_FAILED,
    )
    query = select(func.max(events.c.time)).where(
        events.c.run_id == run_id, events_of_types(*ended)
    )
    value = conn.execute(query).scalar()
    return None if value is None else float(value)


def _per_campaign(
    conn: Connection, run_id: int, tallies: dict[str, _Tally]
) -> dict[str, dict[str, Any]]:
    k = interval_kpis.c
    query = (
        select(
            k.campaign_id,
            func.sum(k.accepted),
            func.sum(k.rejected),
            func.sum(k.expired),
            func.sum(k.failed),
            func.sum(k.dials),
        )
        .where(k.run_id == run_id, k.campaign_id != ALL_CAMPAIGNS)
        .group_by(k.campaign_id)
        .order_by(k.campaign_id)
    )
    out: dict[str, dict[str, Any]] = {}
    for campaign, accepted, rejected, expired, failed, dials in conn.execute(query):
        tally = tallies.get(campaign, _Tally())
        out[campaign] = {
            "dial_requests_received": int(accepted + rejected),
            "dial_requests_accepted": int(accepted),
            "dial_requests_rejected": int(rejected),
            "dial_requests_expired": int(expired),
            "dial_requests_failed": int(failed),
            "dials": int(dials),
            **_outcome_figures(tally),
            "amd_statuses": dict(sorted(tally.amd.items())),
        }
    return out


def _distinct_rejections(conn: Connection, run_id: int) -> dict[str, int]:
    """campaign -> dial requests refused and never accepted, each counted once.

    A client retries a throttled item with the same clientToken, so the log
    may hold several DIAL_REQUEST_REJECTED events for one request, and a
    later acceptance of it.
    """
    refused: dict[tuple[str, str], None] = {}
    for _, p in _payloads(conn, run_id, EventType.DIAL_REQUEST_REJECTED):
        refused[(str(p.get("campaign_id")), str(p.get("client_token")))] = None
    if refused:
        for _, p in _payloads(conn, run_id, EventType.DIAL_REQUEST_ACCEPTED):
            refused.pop((str(p.get("campaign_id")), str(p.get("client_token"))), None)
    out: dict[str, int] = {}
    for campaign, _token in refused:
        out[campaign] = out.get(campaign, 0) + 1
    return out


def worst_window_rate(times: np.ndarray, abandoned: np.ndarray, window: float) -> float | None:
    """The highest abandonment rate over any window of ``window`` seconds.

    ``times`` (sorted) and ``abandoned`` (0/1) are the live calls that reached
    the queue. Windows slide over the calls' times; when the run is shorter
    than the window, the one window is the whole run.
    """
    n = len(times)
    if n == 0:
        return None
    if times[-1] - times[0] <= window:
        return float(abandoned.sum() / n)
    cumulative = np.concatenate(([0], np.cumsum(abandoned)))
    starts = np.searchsorted(times, times - window, side="right")
    ends = np.arange(1, n + 1)
    # Only full windows (ending a whole window after the first call) count.
    full = times >= times[0] + window
    counts = (ends - starts)[full]
    rates = (cumulative[ends] - cumulative[starts])[full] / counts
    return float(rates.max())


def _abandonment_windows(conn: Connection, run_id: int, window: float) -> dict[str, float | None]:
    """campaign -> worst rolling-window regulatory abandonment rate (and '*' over all)."""
    c = contacts.c
    views = abandonment.conditions()
    query = (
        select(c.campaign_id, c.disconnect_timestamp, case((views.live_abandoned, 1), else_=0))
        .where(c.run_id == run_id, views.live)
        .order_by(c.disconnect_timestamp)
    )
    by_campaign: dict[str, tuple[array[float], array[int]]] = {}
    for campaign, t, abandoned in conn.execute(query):
        for key in (campaign or "", "*"):
            times, flags = by_campaign.setdefault(key, (array("d"), array("b")))
            times.append(float(t))
            flags.append(int(abandoned))
    return {
        key: worst_window_rate(
            np.frombuffer(times, dtype=np.float64), np.frombuffer(flags, dtype=np.int8), window
        )
        for key, (times, flags) in by_campaign.items()
    }


def run_summary(store: Store, run_id: int | None = None) -> RunSummary:
    """The summary KPIs of one run (the latest when ``run_id`` is None)."""
    info = store.run(run_id)
    rid = info.id
    with store.engine.connect() as conn:
        types = _type_counts(conn, rid)
        tallies = _tallies(conn, rid)
        occupancy, utilisation = _agent_time(conn, rid)
        wait_mean, wait_p90, last_dial = _dial_waits(conn, rid)
        created_mean, created_p90 = _creation_waits(conn, rid)
        calls, throttled, retries = _batch_put_contact(conn, rid)
        list_end = _list_completion(conn, rid)
        per_campaign = _per_campaign(conn, rid, tallies)
        refused = _distinct_rejections(conn, rid)
        rule = info.scenario.get("abandonment_rule") or {}
        limit = rule.get("limit")
        window = rule.get("window")
        worst = _abandonment_windows(conn, rid, float(window)) if window else {}
        gap = rule.get("abandoned_redial_gap")
        early = early_redials(conn, rid, float(gap), info.scenario) if gap else None
        day = dialing_day(conn, rid, info.sim_start)
    for campaign, figures in per_campaign.items():
        figures["dial_requests_rejected"] = refused.get(campaign, 0)
        figures["dial_requests_received"] = (
            figures["dial_requests_accepted"] + figures["dial_requests_rejected"]
        )
        figures["abandonment_worst_window"] = worst.get(campaign)
        figures["abandonment_limit_exceeded"] = _exceeded(worst.get(campaign), limit)
        figures["abandoned_redialed_early"] = None if early is None else early.get(campaign, 0)
    total = _Tally()
    for tally in tallies.values():
        total.add(tally)
    dials = types.get(EventType.DIAL_REQUEST_DIALED, 0)
    dial_hours = None if last_dial is None else (last_dial - info.sim_start) / 3600.0
    accepted = types.get(EventType.DIAL_REQUEST_ACCEPTED, 0)
    rejected = sum(refused.values())
    return RunSummary(
        run_id=rid,
        name=info.name,
        status=info.status,
        seed=info.seed,
        dial_requests_received=accepted + rejected,
        dial_requests_accepted=accepted,
        dial_requests_rejected=rejected,
        dial_requests_expired=types.get(EventType.DIAL_REQUEST_EXPIRED, 0),
        dial_requests_failed=types.get(EventType.DIAL_REQUEST_FAILED, 0),
        contacts_created=types.get(EventType.INITIATED, 0),
        dials=dials,
        **_outcome_figures(total),
        agent_occupancy=occupancy,
        agent_utilisation=utilisation,
        wait_to_dial_mean_s=wait_mean,
        wait_to_dial_p90_s=wait_p90,
        creation_to_dial_mean_s=created_mean,
        creation_to_dial_p90_s=created_p90,
        dials_per_hour=_ratio(dials, dial_hours) if dial_hours else None,
        list_completion_s=None if list_end is None else list_end - info.sim_start,
        batch_put_contact_calls=calls,
        batch_put_contact_throttled=throttled,
        batch_put_contact_retries=retries,
        sim_duration_s=None if info.sim_end is None else info.sim_end - info.sim_start,
        runtime_s=info.runtime_s,
        abandonment_limit=limit,
        abandonment_window_s=window,
        abandonment_worst_window=worst.get("*"),
        abandonment_limit_exceeded=_exceeded(worst.get("*"), limit),
        abandoned_redial_gap_s=gap,
        abandoned_redialed_early=None if early is None else early["*"],
        amd_statuses=dict(sorted(total.amd.items())),
        per_campaign=per_campaign,
        dialing_day=day,
    )


def status_note(info: RunInfo) -> str:
    """One line on a run that did not complete: why, and what its figures cover."""
    if info.status == "running":
        return f"run {info.id} is still running (pid {info.pid} on {info.host}): figures so far"
    reason = (info.error or "").strip().splitlines()
    why = reason[-1] if info.status == "failed" and reason else " ".join(reason)
    return f"run {info.id} {info.status}: {why}; figures cover only what was recorded"


def _exceeded(rate: float | None, limit: float | None) -> bool | None:
    if rate is None or limit is None:
        return None
    return rate > limit
