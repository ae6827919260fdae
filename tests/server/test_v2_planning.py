"""boto3 against `sim serve`: a v2 campaign's calling hours, limits, schedule, and ListCampaigns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from .conftest import INSTANCE, V2, ClientFactory
from .test_api import v2_create

TIME: dict[str, Any] = {
    "localTimeZoneConfig": {
        "defaultTimeZone": "America/New_York",
        "localTimeZoneDetection": ["ZIP_CODE", "AREA_CODE"],
    },
    "telephony": {
        "openHours": {
            "dailyHours": {
                day: [{"startTime": "T09:00", "endTime": "T21:00"}]
                for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
            }
        },
        "restrictedPeriods": {
            "restrictedPeriodList": [
                {"name": "Christmas", "startDate": "2026-12-25", "endDate": "2026-12-26"}
            ]
        },
    },
}
LIMITS: dict[str, Any] = {
    "allChannelSubtypes": {
        "communicationLimitsList": [
            {"maxCountPerRecipient": 3, "frequency": 1, "unit": "DAY"},
            {"maxCountPerRecipient": 6, "frequency": 7, "unit": "DAY"},
        ]
    },
    "instanceLimitsHandling": "OPT_IN",
}


def schedule(days: int = 1) -> dict[str, datetime]:
    start = datetime(2027, 1, 4, 14, 0, tzinfo=UTC)
    return {"startTime": start, "endTime": start + timedelta(days=days)}


def test_create_with_calling_hours_then_update_them(client: ClientFactory) -> None:
    v2 = client("connectcampaignsv2")
    cid = v2.create_campaign(**v2_create(), communicationTimeConfig=TIME, schedule=schedule())["id"]
    described = v2.describe_campaign(id=cid)["campaign"]
    assert described["communicationTimeConfig"] == TIME
    assert described["schedule"]["endTime"] == schedule()["endTime"]
    weekend = {
        **TIME,
        "telephony": {
            "openHours": {
                "dailyHours": {"SATURDAY": [{"startTime": "T10:00", "endTime": "T18:00"}]}
            }
        },
    }
    v2.update_campaign_communication_time(id=cid, communicationTimeConfig=weekend)
    v2.update_campaign_communication_limits(id=cid, communicationLimitsOverride=LIMITS)
    v2.update_campaign_schedule(id=cid, schedule=schedule(days=3))
    described = v2.describe_campaign(id=cid)["campaign"]
    assert described["communicationTimeConfig"] == weekend
    assert described["communicationLimitsOverride"] == LIMITS
    assert described["schedule"]["endTime"] == schedule(3)["endTime"]
    v2.start_campaign(id=cid)
    with pytest.raises(v2.exceptions.InvalidCampaignStateException) as info:
        v2.update_campaign_schedule(id=cid, schedule=schedule())
    assert info.value.response["state"] == "Running"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_bad_configurations_get_the_models_validation_errors(client: ClientFactory) -> None:
    v2 = client("connectcampaignsv2")
    cid = v2.create_campaign(**v2_create())["id"]
    bad_zone = {**TIME, "localTimeZoneConfig": {"defaultTimeZone": "Atlantis/Capital"}}
    with pytest.raises(v2.exceptions.ValidationException) as info:
        v2.update_campaign_communication_time(id=cid, communicationTimeConfig=bad_zone)
    assert "Atlantis/Capital" in info.value.response["message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    reversed_schedule = {"startTime": schedule()["endTime"], "endTime": schedule()["startTime"]}
    with pytest.raises(v2.exceptions.ValidationException):
        v2.update_campaign_schedule(id=cid, schedule=reversed_schedule)
    too_many = {
        "allChannelSubtypes": {
            "communicationLimitsList": [{"maxCountPerRecipient": 1, "frequency": 1, "unit": "DAY"}]
            * 3
        }
    }
    with pytest.raises(v2.exceptions.ValidationException) as info:
        v2.update_campaign_communication_limits(id=cid, communicationLimitsOverride=too_many)
    assert "communicationLimitsList" in info.value.response["message"]
    with pytest.raises(v2.exceptions.ResourceNotFoundException):
        v2.update_campaign_schedule(id="no-such-campaign", schedule=schedule())


def test_instance_communication_limits(client: ClientFactory) -> None:
    v2 = client("connectcampaignsv2")
    config = {
        "allChannelSubtypes": {
            "communicationLimitsList": [{"maxCountPerRecipient": 10, "frequency": 7, "unit": "DAY"}]
        }
    }
    v2.put_instance_communication_limits(
        connectInstanceId=INSTANCE, communicationLimitsConfig=config
    )
    got = v2.get_instance_communication_limits(connectInstanceId=INSTANCE)
    assert got["communicationLimitsConfig"] == config
    with pytest.raises(v2.exceptions.ResourceNotFoundException):
        v2.get_instance_communication_limits(connectInstanceId="other-instance")


def test_list_campaigns_with_pagination(client: ClientFactory) -> None:
    v2 = client("connectcampaignsv2")
    made = [v2.create_campaign(**v2_create())["id"] for _ in range(3)]
    ids: list[str] = []
    kwargs: dict[str, Any] = {"maxResults": 2}
    while True:
        page = v2.list_campaigns(**kwargs)
        assert len(page["campaignSummaryList"]) <= 2
        ids += [s["id"] for s in page["campaignSummaryList"]]
        if "nextToken" not in page:
            break
        kwargs["nextToken"] = page["nextToken"]
    assert V2 in ids and set(made) <= set(ids) and len(ids) == len(set(ids))
    paginated = v2.get_paginator("list_campaigns").paginate(
        filters={"instanceIdFilter": {"value": INSTANCE, "operator": "Eq"}},
        PaginationConfig={"PageSize": 1},
    )
    assert [s["id"] for p in paginated for s in p["campaignSummaryList"]] == ids
    summary = next(s for s in v2.list_campaigns()["campaignSummaryList"] if s["id"] == made[0])
    assert summary["channelSubtypes"] == ["TELEPHONY"] and "lastModifiedTime" in summary
    with pytest.raises(v2.exceptions.ValidationException):
        v2.list_campaigns(nextToken="not-a-token")


@pytest.mark.parametrize("how", ["create", "update"])
def test_a_campaign_with_calling_hours_dials_only_inside_its_window(
    tmp_path: Any, how: str
) -> None:
    """A v2 campaign given communicationTimeConfig over boto3 (at CreateCampaign, or by
    UpdateCampaignCommunicationTime before it starts): requests put while its window
    is closed wait, and every dial falls inside the window."""
    import time as wall

    from sim.server import ServerHandle, create_app
    from sim.store import Store

    from .conftest import NO_THROTTLE, client_factory
    from .test_live import fast_scenario, wait_for

    speed = 1200.0  # 20 simulated minutes per wall second
    opens = (int(wall.time()) // 3600 + 2) * 3600  # a whole hour, 1-2 h ahead (simulated)
    start = datetime.fromtimestamp(opens, UTC)
    day = start.strftime("%A").upper()
    end = "T00:00" if start.hour == 23 else f"T{start.hour + 1:02d}:00"
    window = {
        "localTimeZoneConfig": {"defaultTimeZone": "UTC"},
        "telephony": {
            "openHours": {
                "dailyHours": {day: [{"startTime": f"T{start.hour:02d}:00", "endTime": end}]}
            }
        },
    }
    db = tmp_path / "hours.db"
    app = create_app(fast_scenario(), speed=speed, db=str(db), quotas=NO_THROTTLE)
    with ServerHandle(app) as server:
        v2 = client_factory(server)("connectcampaignsv2")
        if how == "create":
            cid = v2.create_campaign(**v2_create(), communicationTimeConfig=window)["id"]
        else:
            cid = v2.create_campaign(**v2_create())["id"]
            v2.update_campaign_communication_time(id=cid, communicationTimeConfig=window)
        v2.start_campaign(id=cid)
        expires = datetime.now(UTC) + timedelta(days=2)
        requests = [
            {
                "clientToken": f"hours-{i}",
                "expirationTime": expires,
                "channelSubtypeParameters": {
                    "telephony": {"destinationPhoneNumber": f"+1212555{i:04d}", "attributes": {}}
                },
            }
            for i in range(6)
        ]
        assert (
            len(
                v2.put_outbound_request_batch(id=cid, outboundRequests=requests)[
                    "successfulRequests"
                ]
            )
            == 6
        )
        simulation = server.simulation

        def window_half_gone() -> bool:
            with simulation.cond:
                return simulation.sim_now() > opens + 1800

        wait_for(window_half_gone, timeout=30.0)
        run_id = simulation.run_id
    store = Store(str(db))
    times = [
        e.time
        for e in store.iter_events(run_id)
        if e.type == "DIAL_REQUEST_DIALED" and e.payload["campaign_id"] == cid
    ]
    store.dispose()
    assert len(times) == 6
    assert all(opens <= t < opens + 3600 for t in times), (opens, times)


def test_limits_set_by_update_skip_a_recipient_over_them(tmp_path: Any) -> None:
    """UpdateCampaignCommunicationLimits (1 a day) before the start: four requests for
    one number give at most one counted contact; the rest end communication_limit."""
    import time as wall

    from sim.server import ServerHandle, create_app
    from sim.store import Store

    from .conftest import NO_THROTTLE, client_factory
    from .test_live import fast_scenario

    one_a_day = {
        "allChannelSubtypes": {
            "communicationLimitsList": [{"maxCountPerRecipient": 1, "frequency": 1, "unit": "DAY"}]
        }
    }
    db = tmp_path / "limits.db"
    app = create_app(fast_scenario(), speed=600.0, db=str(db), quotas=NO_THROTTLE)
    with ServerHandle(app) as server:
        v2 = client_factory(server)("connectcampaignsv2")
        cid = v2.create_campaign(**v2_create())["id"]
        v2.update_campaign_communication_limits(id=cid, communicationLimitsOverride=one_a_day)
        v2.start_campaign(id=cid)
        expires = datetime.now(UTC) + timedelta(days=2)
        requests = [
            {
                "clientToken": f"limit-{i}",
                "expirationTime": expires,
                "channelSubtypeParameters": {
                    "telephony": {"destinationPhoneNumber": "+12125550199", "attributes": {}}
                },
            }
            for i in range(4)
        ]
        v2.put_outbound_request_batch(id=cid, outboundRequests=requests)
        wall.sleep(3.0)  # 30 simulated minutes: every request dialed or skipped
        run_id = server.simulation.run_id
    store = Store(str(db))
    events = list(store.iter_events(run_id))
    store.dispose()
    outcome = {e.stream_id: e.payload["outcome"] for e in events if e.type == "DISCONNECTED"}
    dialed = [e.payload["contact_id"] for e in events if e.type == "DIAL_REQUEST_DIALED"]
    counted = [c for c in dialed if outcome.get(c) not in ("BUSY", "INVALID_NUMBER")]
    skipped = [
        e
        for e in events
        if e.type == "DIAL_REQUEST_EXPIRED" and e.payload["reason"] == "communication_limit"
    ]
    assert len(counted) <= 1 and skipped
    assert len(dialed) + len(skipped) == 4
