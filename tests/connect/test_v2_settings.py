"""v2 planning settings in the core: create, Update*, instance limits, ListCampaigns, completion."""

from __future__ import annotations

from typing import Any

import pytest

from sim.connect import ServiceError
from sim.connect.v2config import DAY_S, CampaignLimits, Limit
from sim.domain import PAYLOAD_KEYS

from .conftest import INSTANCE, T0, ingest, make_core, outbound_item, put_outbound, v2_create

V2 = "connectcampaignsv2"
TIME = {
    "localTimeZoneConfig": {
        "defaultTimeZone": "America/Chicago",
        "localTimeZoneDetection": ["AREA_CODE"],
    },
    "telephony": {
        "openHours": {"dailyHours": {"MONDAY": [{"startTime": "T09:00", "endTime": "T21:00"}]}},
        "restrictedPeriods": {
            "restrictedPeriodList": [
                {"name": "July 4", "startDate": "2024-07-04", "endDate": "2024-07-05"}
            ]
        },
    },
}
LIMITS = {
    "allChannelSubtypes": {
        "communicationLimitsList": [{"maxCountPerRecipient": 3, "frequency": 7, "unit": "DAY"}]
    },
    "instanceLimitsHandling": "OPT_OUT",
}
SCHEDULE = {"startTime": "2023-11-14T22:13:20Z", "endTime": "2023-11-15T22:13:20Z"}


def call(core: Any, op: str, request: dict[str, Any], now: float = T0) -> dict[str, Any]:
    return core.call(V2, op, request, caller="x", now=now)  # type: ignore[no-any-return]


ONE_A_DAY = {
    "allChannelSubtypes": {
        "communicationLimitsList": [{"maxCountPerRecipient": 1, "frequency": 1, "unit": "DAY"}]
    }
}


def put_instance_limits(core: Any, config: dict[str, Any], now: float) -> None:
    path = {"connectInstanceId": INSTANCE, "communicationLimitsConfig": config}
    call(core, "PutInstanceCommunicationLimits", path, now=now)


def error(core: Any, op: str, request: dict[str, Any]) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        call(core, op, request)
    return info.value


def test_create_keeps_typed_settings_and_describe_echoes_them() -> None:
    core, _ = make_core()
    req = {
        **v2_create(),
        "communicationTimeConfig": TIME,
        "communicationLimitsOverride": LIMITS,
        "schedule": SCHEDULE,
    }
    cid = core.create_campaign(req, api="v2", now=T0)
    c = core.campaign(cid)
    assert c.communication_time is not None and c.communication_time.detection == ("AREA_CODE",)
    assert c.communication_time.default_zone == "America/Chicago"
    assert c.communication_time.telephony is not None
    assert c.communication_time.telephony.open_hours[0] == ((540, 1260),)
    assert c.communication_limits == CampaignLimits((Limit(3, 7 * DAY_S),), False)
    assert c.schedule is not None and c.schedule.end - c.schedule.start == DAY_S
    body = call(core, "DescribeCampaign", {"id": cid})["campaign"]
    assert body["communicationTimeConfig"] == TIME
    assert body["schedule"]["startTime"].startswith("2023-11-14T22:13:20")


def test_bad_settings_are_one_validation_error_naming_each() -> None:
    core, _ = make_core()
    bad_time = {
        "localTimeZoneConfig": {"defaultTimeZone": "Mars/Olympus"},
        "telephony": {
            "openHours": {
                "dailyHours": {
                    "FRIDAY": [
                        {"startTime": "T18:00", "endTime": "T09:00"},
                        {"startTime": "T25:00", "endTime": "T26:00"},
                    ]
                }
            },
            "restrictedPeriods": {
                "restrictedPeriodList": [{"startDate": "2024-07-05", "endDate": "2024-07-04"}]
            },
        },
    }
    req = {
        **v2_create(),
        "communicationTimeConfig": bad_time,
        "schedule": {"startTime": SCHEDULE["endTime"], "endTime": SCHEDULE["startTime"]},
    }
    with pytest.raises(ServiceError) as info:
        core.create_campaign(req, api="v2", now=T0)
    e = info.value
    assert (e.code, e.status) == ("ValidationException", 400)
    for fragment in (
        "defaultTimeZone: unknown IANA time zone 'Mars/Olympus'",
        'dailyHours["FRIDAY"][0]: endTime T09:00 is not after startTime T18:00',
        'dailyHours["FRIDAY"][1].startTime',
        "restrictedPeriodList[0]: endDate 2024-07-04 is before startDate 2024-07-05",
        "schedule.endTime: must be after startTime",
    ):
        assert fragment in e.message, e.message
    shape = error(
        core,
        "CreateCampaign",
        {
            **v2_create(),
            "communicationLimitsOverride": {
                "allChannelSubtypes": {
                    "communicationLimitsList": [
                        {"maxCountPerRecipient": 0, "frequency": 31, "unit": "WEEK"}
                    ]
                }
            },
        },
    )
    for member in ("maxCountPerRecipient", "frequency", "unit"):
        assert f"communicationLimitsList[0].{member}" in shape.message


def test_updates_only_while_initialized_and_each_is_an_event() -> None:
    core, sink = make_core()
    cid = core.create_campaign(v2_create(), api="v2", now=T0)
    call(core, "UpdateCampaignCommunicationTime", {"id": cid, "communicationTimeConfig": TIME})
    call(
        core,
        "UpdateCampaignCommunicationLimits",
        {"id": cid, "communicationLimitsOverride": LIMITS},
    )
    call(core, "UpdateCampaignSchedule", {"id": cid, "schedule": SCHEDULE}, now=T0 + 5)
    c = core.campaign(cid)
    assert c.communication_time is not None and c.schedule is not None
    assert c.communication_limits is not None and c.last_modified == T0 + 5
    updates = [e for e in sink.events if e.type == "CAMPAIGN_UPDATED"]
    assert [e.payload["operation"] for e in updates] == [
        "UpdateCampaignCommunicationTime",
        "UpdateCampaignCommunicationLimits",
        "UpdateCampaignSchedule",
    ]
    assert all(tuple(e.payload) == PAYLOAD_KEYS["CAMPAIGN_UPDATED"] for e in updates)
    assert [e.version for e in sink.events if e.stream_id == cid] == [1, 2, 3, 4]
    core.start_campaign(cid, T0)
    e = error(core, "UpdateCampaignSchedule", {"id": cid, "schedule": SCHEDULE})
    assert (e.code, e.status, e.extra) == (
        "InvalidCampaignStateException",
        409,
        {"state": "Running"},
    )
    assert error(core, "UpdateCampaignSchedule", {"id": "nope", "schedule": SCHEDULE}).status == 404
    missing = error(core, "UpdateCampaignCommunicationTime", {"id": cid})
    assert "communicationTimeConfig: Field required" in missing.message


def test_v1_campaigns_are_not_found_by_v2_updates() -> None:
    core, _ = make_core()
    from .conftest import v1_create

    cid = core.create_campaign(v1_create(), api="v1", now=T0)
    e = error(core, "UpdateCampaignSchedule", {"id": cid, "schedule": SCHEDULE})
    assert e.code == "ResourceNotFoundException"


def test_instance_limits_round_trip() -> None:
    core, _ = make_core()
    path = {"connectInstanceId": INSTANCE}
    assert call(core, "GetInstanceCommunicationLimits", path) == {"communicationLimitsConfig": {}}
    config = {
        "allChannelSubtypes": {
            "communicationLimitsList": [{"maxCountPerRecipient": 10, "frequency": 7, "unit": "DAY"}]
        }
    }
    assert (
        call(core, "PutInstanceCommunicationLimits", {**path, "communicationLimitsConfig": config})
        == {}
    )
    assert call(core, "GetInstanceCommunicationLimits", path) == {
        "communicationLimitsConfig": config
    }
    assert core.instance_limits == (Limit(10, 7 * DAY_S),)
    other = error(core, "GetInstanceCommunicationLimits", {"connectInstanceId": "other"})
    assert other.code == "ResourceNotFoundException"


def test_list_campaigns_pages_filters_and_rejects_foreign_tokens() -> None:
    core, _ = make_core()
    ids = [core.create_campaign(v2_create(), api="v2", now=T0 + i) for i in range(5)]
    seen, token, pages = [], None, 0
    while True:
        req: dict[str, Any] = {"maxResults": 2}
        if token:
            req["nextToken"] = token
        out = call(core, "ListCampaigns", req)
        seen += [s["id"] for s in out["campaignSummaryList"]]
        pages += 1
        token = out.get("nextToken")
        if token is None:
            break
    assert (seen, pages) == (ids, 3)
    first = call(core, "ListCampaigns", {})["campaignSummaryList"][0]
    assert first["channelSubtypes"] == ["TELEPHONY"] and first["connectInstanceId"] == INSTANCE
    none = call(
        core,
        "ListCampaigns",
        {"filters": {"instanceIdFilter": {"value": "other", "operator": "Eq"}}},
    )
    assert none == {"campaignSummaryList": []}
    assert error(core, "ListCampaigns", {"nextToken": "garbage"}).code == "ValidationException"
    assert error(core, "ListCampaigns", {"maxResults": 51}).code == "ValidationException"


def test_schedule_end_completes_the_campaign_and_ends_its_buffer() -> None:
    core, sink = make_core()
    cid = core.create_campaign({**v2_create(), "schedule": SCHEDULE}, api="v2", now=T0)
    end = core.campaign(cid).schedule.end  # type: ignore[union-attr]
    assert core.next_schedule_end() is None  # not started: nothing to complete
    core.start_campaign(cid, T0)
    put_outbound(core, cid, [outbound_item(0, expires=end + 600)])
    assert core.next_schedule_end() == end and core.complete_due(end - 1) == []
    assert core.complete_due(end) == [cid]
    assert core.campaign(cid).state == "Completed" and core.pending_count(cid) == 0
    expired = [e for e in sink.events if e.type == "DIAL_REQUEST_EXPIRED"]
    assert [e.payload["reason"] for e in expired] == ["campaign_completed"]
    assert error(core, "StartCampaign", {"id": cid}).extra == {"state": "Completed"}
    assert core.next_schedule_end() is None


def test_the_same_update_twice_changes_nothing_the_second_time() -> None:
    core, sink = make_core()
    cid = core.create_campaign(v2_create(), api="v2", now=T0)
    for now in (T0 + 1, T0 + 2):
        call(core, "UpdateCampaignSchedule", {"id": cid, "schedule": SCHEDULE}, now=now)
    assert [e.type for e in sink.events if e.stream_id == cid].count("CAMPAIGN_UPDATED") == 1
    assert core.campaign(cid).last_modified == T0 + 1


def test_a_call_dialed_before_instance_limits_were_put_counts_when_it_ends() -> None:
    """A client Puts instance limits while a call is up (sim serve). The next dial
    creates the instance ledger; the earlier call then ends and counts under the
    new limits, instead of raising (before: ValueError, a time before the
    ledger's epoch, out of the engine's callback: the run stopped)."""
    core, sink = make_core()
    cid = core.create_campaign(v2_create(), api="v2", now=T0)
    core.start_campaign(cid, T0)
    items = [outbound_item(i, expires=T0 + 3600) for i in (0, 1, 2)]
    items[2]["channelSubtypeParameters"]["telephony"]["destinationPhoneNumber"] = "+14440000000"
    put_outbound(core, cid, items)
    ingest(core, cid, 3)
    [first] = core.take_contacts(cid, 1, T0 + 10)  # no limits yet
    put_instance_limits(core, ONE_A_DAY, now=T0 + 20)
    [second] = core.take_contacts(cid, 1, T0 + 30)  # another number: the ledger starts
    assert second.phone_number != first.phone_number
    core.attempt_over(cid, first.contact_id, first.phone_number, T0 + 10, "CONNECTED")
    assert core.take_contacts(cid, 1, T0 + 40) == []  # the first number again: over 1/day
    skipped = [e for e in sink.events if e.type == "DIAL_REQUEST_EXPIRED"]
    assert [e.payload["reason"] for e in skipped] == ["communication_limit"]


def test_a_call_of_a_deleted_campaign_still_ends_under_the_instance_limits() -> None:
    """DeleteCampaign while a call is up (sim serve): when the call ends it counts
    toward the instance limits and no longer holds its number as in progress.
    (Before: its end was ignored, so the number stayed 'in progress' for good and
    no campaign could call it again under 1/day, even days later.)"""
    core, _ = make_core()
    put_instance_limits(core, ONE_A_DAY, now=T0)
    gone, other = (core.create_campaign(v2_create(), api="v2", now=T0) for _ in range(2))
    for cid in (gone, other):
        core.start_campaign(cid, T0)
    put_outbound(core, gone, [outbound_item(0, expires=T0 + 3600)])
    ingest(core, gone, 1)
    [first] = core.take_contacts(gone, 1, T0 + 10)
    call(core, "DeleteCampaign", {"id": gone}, now=T0 + 20)
    core.attempt_over(gone, first.contact_id, first.phone_number, T0 + 10, "CONNECTED")
    put_outbound(core, other, [outbound_item(0, expires=T0 + 7200)], now=T0 + 30)
    ingest(core, other, 1, now=T0 + 30)
    assert core.take_contacts(other, 1, T0 + 40) == []  # counted: 1 a day
    later = T0 + DAY_S + 60
    item = outbound_item(1, expires=later + 3600)
    item["channelSubtypeParameters"]["telephony"]["destinationPhoneNumber"] = first.phone_number
    put_outbound(core, other, [item], now=later)
    ingest(core, other, 1, now=later)
    taken = core.take_contacts(other, 1, later)
    assert [c.phone_number for c in taken] == [first.phone_number]  # a day later: allowed


def test_instance_limits_removed_and_put_again_while_a_call_is_up() -> None:
    """Put 1/day, a call starts, the limits are removed, the call ends, 1/day is
    Put again: the call counts (the history so far) and is no longer in progress,
    so the number may be called again a day later. (Before: its end was ignored
    while no limits applied, and the number stayed 'in progress' for good.)"""
    core, _ = make_core()
    put_instance_limits(core, ONE_A_DAY, now=T0)
    cid = core.create_campaign(v2_create(), api="v2", now=T0)
    core.start_campaign(cid, T0)
    put_outbound(core, cid, [outbound_item(0, expires=T0 + 3600)])
    ingest(core, cid, 1)
    [first] = core.take_contacts(cid, 1, T0 + 10)
    put_instance_limits(core, {}, T0 + 20)
    core.attempt_over(cid, first.contact_id, first.phone_number, T0 + 10, "CONNECTED")
    put_instance_limits(core, ONE_A_DAY, now=T0 + 30)
    later = T0 + DAY_S + 60
    item = outbound_item(1, expires=later + 3600)
    item["channelSubtypeParameters"]["telephony"]["destinationPhoneNumber"] = first.phone_number
    put_outbound(core, cid, [item], now=later)
    ingest(core, cid, 1, now=later)
    assert [c.phone_number for c in core.take_contacts(cid, 1, later)] == [first.phone_number]


def test_an_attempt_dialed_before_limits_ends_without_freeing_a_later_one() -> None:
    """One number listed three times. A is dialed before instance limits exist
    (not counted as in progress), 1/day is Put, B (the same number) is dialed
    and counted. A ends busy (not a contact): B is still in progress, so C may not be
    dialed while it is up. (Before: A's end undid B's, and C went out.)"""
    core, _ = make_core()
    cid = core.create_campaign(v2_create(), api="v2", now=T0)
    core.start_campaign(cid, T0)
    same = "+14440000000"
    items = [outbound_item(i, T0 + 3600, destinationPhoneNumber=same) for i in range(3)]
    put_outbound(core, cid, items)
    ingest(core, cid, 3)
    [a] = core.take_contacts(cid, 1, T0 + 10)  # no limits yet
    put_instance_limits(core, ONE_A_DAY, now=T0 + 20)
    [_b] = core.take_contacts(cid, 1, T0 + 30)
    core.attempt_over(cid, a.contact_id, a.phone_number, T0 + 10, "BUSY")
    assert core.take_contacts(cid, 1, T0 + 40) == []  # B is still up: 1 a day
