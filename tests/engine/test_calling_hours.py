"""Calling hours and the v2 schedule in the simulation (communicationTimeConfig).

Properties over random lists and calendars: no dial outside the recipient's
open hours or on a restricted date (checked on the wall clock of the zone the
list says the number is in, not with the code under test), every request
ends exactly once, unresolved recipients are dropped. Then a planning answer
(four zones finish later than one) and the schedule's end (Completed).
"""

from __future__ import annotations

import csv
import tempfile
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import invariants as inv
from .conftest import SCENARIOS, Ran, base_dict, build, run

LIST = SCENARIOS / "lists" / "national_4zones.csv"
with LIST.open(newline="") as f:
    ROWS = list(csv.DictReader(f))
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
TOLL_FREE = {"phone_number": "+18005550123", "zip_code": "", "expected_zone": ""}
PROPS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def write_list(rows: list[dict[str, str]], folder: Path) -> Path:
    path = folder / "list.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, ["phone_number", "zip_code"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def scenario(
    path: Path,
    start: str,
    hours: dict[str, Any] | None,
    *,
    default: str | None = None,
    detection: tuple[str, ...] = ("ZIP_CODE", "AREA_CODE"),
    horizon: float = 2 * 86400,
    agents: int = 3,
    expires: str = "3d",
    schedule: dict[str, str] | None = None,
) -> dict[str, Any]:
    tz: dict[str, Any] = {}
    if detection:
        tz["localTimeZoneDetection"] = list(detection)
    if default:
        tz["defaultTimeZone"] = default
    communication: dict[str, Any] = {"localTimeZoneConfig": tz}
    if hours is not None:
        communication["telephony"] = hours
    campaign: dict[str, Any] = {
        "id": "c1",
        "api": "v2",
        "queue": "q",
        "communication_time": communication,
        "sources": [
            {
                "kind": "csv",
                "path": str(path),
                "attribute_columns": ["zip_code"],
                "expires_after": expires,
            }
        ],
    }
    if schedule is not None:
        campaign["campaign_schedule"] = schedule
    groups = [
        {
            "name": "g",
            "queue": "q",
            "staffing": [{"start": "00:00", "end": "00:00", "agents": agents}],
        }
    ]
    return base_dict(start=start, horizon=horizon, campaigns=[campaign], agent_groups=groups)


def dials(ran: Ran) -> list[tuple[float, str, dict[str, Any]]]:
    """(time, phone, DIAL_REQUEST_DIALED payload) of every dial."""
    phones = {
        e.stream_id: e.payload["customer_endpoint"] for e in ran.events() if e.type == "INITIATED"
    }
    return [
        (e.time, phones[e.payload["contact_id"]], dict(e.payload))
        for e in ran.events()
        if e.type == "DIAL_REQUEST_DIALED"
    ]


def wall_open(hours: dict[str, Any], zone: str, t: float) -> bool:
    """The oracle: the rules looked up on the zone's wall clock at ``t``."""
    local = datetime.fromtimestamp(t, ZoneInfo(zone))
    periods = (hours.get("restrictedPeriods") or {}).get("restrictedPeriodList", [])
    for p in periods:
        if date.fromisoformat(p["startDate"]) <= local.date() < date.fromisoformat(p["endDate"]):
            return False
    minute = local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 6e7
    for r in hours["openHours"]["dailyHours"].get(DAYS[local.weekday()], []):
        start = int(r["startTime"][1:3]) * 60 + int(r["startTime"][4:6])
        end = int(r["endTime"][1:3]) * 60 + int(r["endTime"][4:6]) or 1440
        if start <= minute < end:
            return True
    return False


def hhmm(minute: int) -> str:
    return f"T{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def calendars(draw: st.DrawFn) -> dict[str, Any]:
    """Random open hours (0-2 ranges a day, whole quarter hours) and restricted dates."""
    daily: dict[str, list[dict[str, str]]] = {}
    for day in DAYS:
        ranges = []
        for _ in range(draw(st.integers(0, 2))):
            start = draw(st.integers(0, 94)) * 15
            end = min(1440, start + draw(st.integers(1, 48)) * 15)
            ranges.append({"startTime": hhmm(start), "endTime": hhmm(end % 1440)})
        if ranges:
            daily[day] = ranges
    hours: dict[str, Any] = {"openHours": {"dailyHours": daily}}
    periods = []
    for i in range(draw(st.integers(0, 2))):
        first = date(2027, 1, 11) + timedelta(days=draw(st.integers(0, 3)))
        last = first + timedelta(days=draw(st.integers(0, 2)))
        periods.append(
            {"name": f"p{i}", "startDate": first.isoformat(), "endDate": last.isoformat()}
        )
    if periods:
        hours["restrictedPeriods"] = {"restrictedPeriodList": periods}
    return hours


@PROPS
@given(
    rows=st.lists(st.sampled_from([*ROWS[:400], TOLL_FREE]), min_size=1, max_size=40),
    hours=calendars(),
    start_hour=st.integers(0, 23),
    default=st.sampled_from([None, "America/Denver"]),
    expires=st.sampled_from(["6h", "3d"]),
)
def test_no_dial_outside_the_recipients_window_and_each_request_ends_once(
    rows: list[dict[str, str]],
    hours: dict[str, Any],
    start_hour: int,
    default: str | None,
    expires: str,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_list(rows, Path(folder))
        start = f"2027-01-11T{start_hour:02d}:00:00+00:00"  # January: no DST change near
        ran = run(build(scenario(path, start, hours, default=default, expires=expires)))
        events = ran.events()
    inv.check_all(events, ran.scenario, ran.drained)
    expected = {r["phone_number"]: r["expected_zone"] or default for r in rows}
    for t, phone, payload in dials(ran):
        zone = expected[phone]
        assert payload["time_zone"] == zone
        assert wall_open(hours, zone, t), (phone, zone, datetime.fromtimestamp(t, ZoneInfo(zone)))
        assert payload["window_wait_s"] >= 0
    dropped = Counter(e.payload["reason"] for e in events if e.type == "DIAL_REQUEST_EXPIRED")[
        "DROPPED_MISSING_TIMEZONE"
    ]
    unresolved = sum(1 for r in rows if not expected[r["phone_number"]])
    assert dropped == unresolved


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    rows=st.lists(st.sampled_from(ROWS[:400]), min_size=1, max_size=30),
    hours=calendars(),
    start=st.sampled_from(["2027-03-13", "2027-11-06"]),  # US clocks change the next night
    start_hour=st.integers(0, 23),
    preview=st.booleans(),
)
def test_across_a_clock_change_every_call_rings_inside_the_window(
    rows: list[dict[str, str]], hours: dict[str, Any], start: str, start_hour: int, preview: bool
) -> None:
    """Over a DST weekend, in progressive and in preview mode (reviews of 60-200 s,
    timeout 120 s), every call rings when the recipient's wall clock is inside
    its open hours."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_list(rows, Path(folder))
        data = scenario(path, f"{start}T{start_hour:02d}:00:00+00:00", hours, expires="6h")
        if preview:
            review = {"kind": "uniform", "low": 60, "high": 200}
            data["campaigns"][0].update(
                mode="preview", preview={"timeout": "120s", "review_time": review}
            )
        ran = run(build(data))
    zone = {r["phone_number"]: r["expected_zone"] for r in rows}
    zone_of = {payload["contact_id"]: zone[phone] for _, phone, payload in dials(ran)}
    for e in ran.events():
        if e.type == "RINGING":
            z = zone_of[e.stream_id]
            assert wall_open(hours, z, e.time), (z, datetime.fromtimestamp(e.time, ZoneInfo(z)))


def test_a_campaign_sleeps_until_the_first_zone_opens(tmp_path: Path) -> None:
    """Nothing opens before 09:00 New York (14:00 UTC); the first dial is then, exactly."""
    nine_to_eight = {d: [{"startTime": "T09:00", "endTime": "T20:00"}] for d in DAYS}
    rows = [r for r in ROWS if r["expected_zone"] == "America/New_York"][:5]
    path = write_list(rows, tmp_path)
    ran = run(
        build(
            scenario(
                path, "2027-01-11T06:00:00+00:00", {"openHours": {"dailyHours": nine_to_eight}}
            )
        )
    )
    first = min(t for t, _, _ in dials(ran))
    assert first == datetime(2027, 1, 11, 14, tzinfo=ZoneInfo("UTC")).timestamp()
    assert all(p["window_wait_s"] > 0 for _, _, p in dials(ran))


def completion(ran: Ran) -> float:
    return max(t for t, _, _ in dials(ran)) - ran.scenario.start_ts


def test_four_zones_finish_later_than_one(tmp_path: Path) -> None:
    """The same list and staff: spread over four zones, the west opens three hours
    after the east, so the list takes longer than if every number were in one zone."""
    hours = {
        "openHours": {
            "dailyHours": {d: [{"startTime": "T09:00", "endTime": "T20:00"}] for d in DAYS}
        }
    }
    rows = ROWS[:200]
    path = write_list(rows, tmp_path)
    start = "2027-01-11T13:00:00+00:00"  # 08:00 New York
    spread = run(build(scenario(path, start, hours)))
    one = run(build(scenario(path, start, hours, default="America/New_York", detection=())))
    zones = Counter(p["time_zone"] for _, _, p in dials(spread))
    assert len(zones) == 4 and set(Counter(p["time_zone"] for _, _, p in dials(one))) == {
        "America/New_York"
    }
    assert len(dials(spread)) == len(dials(one)) == len(rows)
    assert completion(spread) > completion(one) + 3600


def test_the_schedule_end_completes_the_campaign(tmp_path: Path) -> None:
    """At schedule.endTime the campaign is Completed and what waits ends EXPIRED."""
    hours = {
        "openHours": {
            "dailyHours": {d: [{"startTime": "T09:00", "endTime": "T10:00"}] for d in DAYS}
        }
    }
    rows = [r for r in ROWS if r["expected_zone"] == "America/New_York"][:80]
    path = write_list(rows, tmp_path)
    schedule = {"start_time": "2027-01-11T14:30:00+00:00", "end_time": "2027-01-11T15:00:00+00:00"}
    data = scenario(path, "2027-01-11T13:00:00+00:00", hours, agents=1, schedule=schedule)
    ran = run(build(data))
    times = [t for t, _, _ in dials(ran)]
    assert times and min(times) >= datetime(2027, 1, 11, 14, 30, tzinfo=ZoneInfo("UTC")).timestamp()
    assert max(times) < datetime(2027, 1, 11, 15, tzinfo=ZoneInfo("UTC")).timestamp()
    states = [e.payload for e in ran.events() if e.type == "CAMPAIGN_STATE_CHANGED"]
    assert states[-1]["state"] == "Completed"
    reasons = Counter(e.payload["reason"] for e in ran.events() if e.type == "DIAL_REQUEST_EXPIRED")
    assert reasons["campaign_completed"] == len(rows) - len(times)
    inv.check_all(ran.events(), ran.scenario, ran.drained)


def test_outcomes_follow_the_recipients_local_hour(tmp_path: Path) -> None:
    """Everyone answers at 09:xx local, nobody at 10:xx: each zone's dials show it."""
    hours = {
        "openHours": {
            "dailyHours": {d: [{"startTime": "T09:00", "endTime": "T11:00"}] for d in DAYS}
        }
    }
    rows = ROWS[:120]
    path = write_list(rows, tmp_path)
    data = scenario(path, "2027-01-11T13:00:00+00:00", hours, agents=30)
    data["durations"]["ring_to_answer"] = {"kind": "fixed", "value": 2}  # within the ring timeout
    data["campaigns"][0]["answer_rates_by_hour"] = {
        "hours": {
            9: {
                "live_answer": 1.0,
                "voicemail": 0.0,
                "no_answer": 0.0,
                "busy": 0.0,
                "invalid_number": 0.0,
            },
            10: {
                "live_answer": 0.0,
                "voicemail": 0.0,
                "no_answer": 1.0,
                "busy": 0.0,
                "invalid_number": 0.0,
            },
        }
    }
    ran = run(build(data))
    outcome = {e.stream_id: e.payload["outcome"] for e in ran.events() if e.type == "DISCONNECTED"}
    seen = Counter()
    for t, _, p in dials(ran):
        hour = datetime.fromtimestamp(t, ZoneInfo(p["time_zone"])).hour
        got = outcome[p["contact_id"]]
        seen[hour] += 1
        assert got == ("NO_ANSWER" if hour == 10 else "CONNECTED"), (hour, got)
    assert seen[9] > 0


def test_an_hour_with_its_own_amd_rates_classifies_its_dials_by_them(tmp_path: Path) -> None:
    """Everyone answers at 09:xx and 10:xx local; AMD takes every person for a
    machine at 10:xx only (that hour's ``amd``): 09:xx dials reach agents as
    HUMAN_ANSWERED, 10:xx dials are hung up on as VOICEMAIL_NO_BEEP."""
    hours = {
        "openHours": {
            "dailyHours": {d: [{"startTime": "T09:00", "endTime": "T11:00"}] for d in DAYS}
        }
    }
    path = write_list(ROWS[:120], tmp_path)
    data = scenario(path, "2027-01-11T13:00:00+00:00", hours, agents=2)
    data["durations"]["talk"] = {"kind": "fixed", "value": 300}
    data["durations"]["ring_to_answer"] = {"kind": "fixed", "value": 2}
    data["campaigns"][0]["answering_machine_detection"] = True
    live = {"live_answer": 1.0, "voicemail": 0.0, "no_answer": 0.0, "busy": 0.0}
    data["campaigns"][0]["answer_rates_by_hour"] = {
        "hours": {
            9: {**live, "invalid_number": 0.0},
            10: {**live, "invalid_number": 0.0, "amd": {"human_as_machine": 1.0}},
        }
    }
    ran = run(build(data))
    ended = {
        e.stream_id: (e.payload["outcome"], e.payload["amd_status"])
        for e in ran.events()
        if e.type == "DISCONNECTED"
    }
    seen = Counter()
    for t, _, p in dials(ran):
        hour = datetime.fromtimestamp(t, ZoneInfo(p["time_zone"])).hour
        seen[hour] += 1
        expected = (
            ("AMD_HANGUP", "VOICEMAIL_NO_BEEP") if hour == 10 else ("CONNECTED", "HUMAN_ANSWERED")
        )
        assert ended[p["contact_id"]] == expected, hour
    assert seen[9] > 0 and seen[10] > 0


def test_answer_rates_are_validated_with_their_location(tmp_path: Path) -> None:
    from sim.scenario import ScenarioError

    path = write_list(ROWS[:3], tmp_path)
    data = scenario(path, "2027-01-11T13:00:00+00:00", None)
    data["campaigns"][0]["answer_rates_by_hour"] = {
        "hours": {
            25: {
                "live_answer": 0.5,
                "voicemail": 0.0,
                "no_answer": 0.1,
                "busy": 0.0,
                "invalid_number": 0.0,
            }
        },
        "weekday_live_factor": {"FUNDAY": 1.0},
    }
    try:
        build(data)
    except ScenarioError as exc:
        text = str(exc)
    else:
        raise AssertionError("accepted")
    assert "campaigns[0].answer_rates_by_hour.hours" in text
    assert "sum to 1" in text and "FUNDAY" in text


def test_staffing_for_a_deadline_needs_more_agents_over_four_zones(
    tmp_path: Path, dask_cluster: Any
) -> None:
    """`sim staff`'s search: the same list and deadline (12:10 New York) need more
    agents when the west opens at 12:00 New York than when every number is in the east."""
    from sim.analysis.staffing import find_staffing

    hours = {
        "openHours": {
            "dailyHours": {d: [{"startTime": "T09:00", "endTime": "T20:00"}] for d in DAYS}
        }
    }
    path = write_list(ROWS[:200], tmp_path)
    start = "2027-01-11T13:00:00+00:00"  # 08:00 New York
    answers = {}
    for name, kw in {
        "four zones": {},
        "one zone": {"default": "America/New_York", "detection": ()},
    }.items():
        spread = build(scenario(path, start, hours, horizon=86400, **kw))
        result = find_staffing(
            spread,
            deadline_s=15_000.0,
            max_abandonment=1.0,
            k=3,
            cluster=dask_cluster,
            low=1,
            high=32,
        )
        answers[name] = result.agents
    assert answers["one zone"] is not None and answers["four zones"] is not None
    assert answers["four zones"] > answers["one zone"], answers


def test_a_preview_is_placed_inside_the_window_it_was_taken_in(tmp_path: Path) -> None:
    """Preview: the agent reviews a contact for up to the timeout (30 s) before the
    call is placed. A window of 09:00-09:02 New York time: every call rings by
    09:02, so no contact is taken in its last 30 s. (Before: contacts taken
    at 09:01:47 rang at 09:02:01 and 09:02:05, after the window closed.)"""
    every_day = {day: [{"startTime": "T09:00", "endTime": "T09:02"}] for day in DAYS}
    hours = {"openHours": {"dailyHours": every_day}}
    campaign = {
        "id": "c1",
        "api": "v2",
        "mode": "preview",
        "queue": "q",
        "communication_time": {
            "localTimeZoneConfig": {"defaultTimeZone": "America/New_York"},
            "telephony": hours,
        },
        "sources": [
            {"kind": "schedule", "batches": [{"at": 0, "count": 25}], "expires_after": "1h"}
        ],
    }
    data = base_dict(start="2026-10-06T13:00:00+00:00", horizon=7200, campaigns=[campaign])
    ran = run(build(data))
    rings = [e.time for e in ran.events() if e.type == "RINGING"]
    assert len(rings) >= 5
    zone = "America/New_York"
    late = [
        datetime.fromtimestamp(t, ZoneInfo(zone)).time()
        for t in rings
        if not wall_open(hours, zone, t)
    ]
    assert late == []
