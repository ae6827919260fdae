"""Real boto3 clients against the server: successes, partial failures, every error class."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.config
import pytest
from botocore import UNSIGNED
from botocore.exceptions import ClientError

from sim.connect import CAMPAIGNS_PRINCIPAL
from sim.scenario import parse_scenario
from sim.server import ServerHandle, create_app
from sim.store import Store

from .conftest import (
    INSTANCE,
    NO_THROTTLE,
    PRINCIPAL_KEY,
    V1,
    V2,
    ClientFactory,
    client_factory,
    scenario,
)


def contact_item(rid: str, **changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "RequestIdentifier": rid,
        "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+15557654321"},
        "SystemEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+15550100"},
        "QueueId": "default",
        "Campaign": {"CampaignId": V1},
    }
    item.update(changes)
    return item


def dial_requests(n: int, prefix: str = "", hours: float = 24.0) -> list[dict[str, Any]]:
    expires = datetime.now(UTC) + timedelta(hours=hours)
    return [
        {
            "clientToken": f"{prefix}{uuid.uuid4().hex[:20]}-{i}",
            "phoneNumber": "+15551230000",
            "expirationTime": expires,
            "attributes": {"n": str(i)},
        }
        for i in range(n)
    ]


def v1_create() -> dict[str, Any]:
    return {
        "name": "from boto3",
        "connectInstanceId": INSTANCE,
        "dialerConfig": {"progressiveDialerConfig": {"bandwidthAllocation": 1.0}},
        "outboundCallConfig": {
            "connectContactFlowId": "default-outbound-flow",
            "connectQueueId": "default",
        },
    }


def v2_create() -> dict[str, Any]:
    return {
        "name": "from boto3 v2",
        "connectInstanceId": INSTANCE,
        "channelSubtypeConfig": {
            "telephony": {
                "outboundMode": {"progressive": {"bandwidthAllocation": 1.0}},
                "connectQueueId": "default",
                "defaultOutboundConfig": {
                    "connectContactFlowId": "default-outbound-flow",
                    "connectSourcePhoneNumber": "+15550100",
                },
            }
        },
    }


def code_of(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


# -- successes --------------------------------------------------------------------


def test_batch_put_contact_by_the_principal(client: ClientFactory) -> None:
    connect = client("connect", PRINCIPAL_KEY)
    out = connect.batch_put_contact(
        InstanceId=INSTANCE, ContactDataRequestList=[contact_item("a"), contact_item("b")]
    )
    assert [r["RequestIdentifier"] for r in out["SuccessfulRequestList"]] == ["a", "b"]
    assert out["FailedRequestList"] == []
    contact = connect.describe_contact(
        InstanceId=INSTANCE, ContactId=out["SuccessfulRequestList"][0]["ContactId"]
    )["Contact"]
    assert contact["Campaign"] == {"CampaignId": V1}
    assert contact["Channel"] == "VOICE"
    assert isinstance(contact["InitiationTimestamp"], datetime)


def test_partial_failure_is_data(client: ClientFactory) -> None:
    connect = client("connect", PRINCIPAL_KEY)
    out = connect.batch_put_contact(
        InstanceId=INSTANCE,
        ContactDataRequestList=[contact_item("ok"), contact_item("bad", QueueId="nope")],
    )
    assert [r["RequestIdentifier"] for r in out["SuccessfulRequestList"]] == ["ok"]
    (failed,) = out["FailedRequestList"]
    assert failed["RequestIdentifier"] == "bad"
    assert failed["FailureReasonCode"] == "INVALID_QUEUE"


def test_dial_requests_partial_failure(client: ClientFactory) -> None:
    campaigns = client("connectcampaigns")
    good, stale = dial_requests(1), dial_requests(1, hours=-1)
    out = campaigns.put_dial_request_batch(id=V1, dialRequests=good + stale)
    assert len(out["successfulRequests"]) == 1
    assert out["failedRequests"][0]["failureCode"] == "InvalidInput"


def test_v1_campaign_control_round_trip(client: ClientFactory) -> None:
    campaigns = client("connectcampaigns")
    cid = campaigns.create_campaign(**v1_create())["id"]
    assert campaigns.describe_campaign(id=cid)["campaign"]["name"] == "from boto3"
    assert campaigns.get_campaign_state(id=cid)["state"] == "Initialized"
    campaigns.start_campaign(id=cid)
    campaigns.pause_campaign(id=cid)
    assert campaigns.get_campaign_state(id=cid)["state"] == "Paused"
    campaigns.resume_campaign(id=cid)
    out = campaigns.put_dial_request_batch(id=cid, dialRequests=dial_requests(2))
    assert len(out["successfulRequests"]) == 2
    batch = campaigns.get_campaign_state_batch(campaignIds=[cid, V1, "missing"])
    assert {r["campaignId"]: r["state"] for r in batch["successfulRequests"]} == {
        cid: "Running",
        V1: "Running",
    }
    assert batch["failedRequests"][0]["failureCode"] == "ResourceNotFound"
    campaigns.stop_campaign(id=cid)
    campaigns.delete_campaign(id=cid)
    with pytest.raises(campaigns.exceptions.ResourceNotFoundException):
        campaigns.describe_campaign(id=cid)


def test_v2_campaign_and_outbound_requests(client: ClientFactory) -> None:
    v2 = client("connectcampaignsv2")
    cid = v2.create_campaign(**v2_create())["id"]
    v2.start_campaign(id=cid)
    assert v2.get_campaign_state(id=cid)["state"] == "Running"
    expires = datetime.now(UTC) + timedelta(hours=1)
    requests = [
        {
            "clientToken": f"v2-{i}",
            "expirationTime": expires,
            "channelSubtypeParameters": {
                "telephony": {"destinationPhoneNumber": "+15551230001", "attributes": {}}
            },
        }
        for i in range(3)
    ]
    out = v2.put_outbound_request_batch(id=V2, outboundRequests=requests)
    assert len(out["successfulRequests"]) == 3
    assert v2.describe_campaign(id=V2)["campaign"]["id"] == V2


def test_idempotent_retry_returns_the_same_contacts(client: ClientFactory) -> None:
    connect = client("connect", PRINCIPAL_KEY)
    items = [contact_item("r1"), contact_item("r2")]
    first = connect.batch_put_contact(
        InstanceId=INSTANCE, ClientToken="retry-token", ContactDataRequestList=items
    )
    again = connect.batch_put_contact(
        InstanceId=INSTANCE, ClientToken="retry-token", ContactDataRequestList=items
    )
    assert again["SuccessfulRequestList"] == first["SuccessfulRequestList"]


# -- errors -----------------------------------------------------------------------


def test_access_denied_for_another_caller(client: ClientFactory) -> None:
    connect = client("connect")
    with pytest.raises(connect.exceptions.AccessDeniedException):
        connect.batch_put_contact(InstanceId=INSTANCE, ContactDataRequestList=[contact_item("x")])


@pytest.mark.parametrize("service", ["connect", "connectcampaigns", "connectcampaignsv2"])
def test_unsigned_request_is_access_denied(client: ClientFactory, service: str) -> None:
    config = botocore.config.Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1})
    unsigned = client(service, config=config)
    with pytest.raises(unsigned.exceptions.AccessDeniedException) as info:
        if service == "connect":
            unsigned.describe_contact(InstanceId=INSTANCE, ContactId="c")
        else:
            unsigned.get_campaign_state(id=V1 if service == "connectcampaigns" else V2)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_invalid_request_and_not_found(client: ClientFactory) -> None:
    connect = client("connect", PRINCIPAL_KEY)
    with pytest.raises(connect.exceptions.InvalidRequestException):
        connect.batch_put_contact(
            InstanceId=INSTANCE, ContactDataRequestList=[contact_item(f"i{i}") for i in range(26)]
        )
    with pytest.raises(connect.exceptions.ResourceNotFoundException):
        connect.batch_put_contact(InstanceId="other", ContactDataRequestList=[contact_item("x")])
    with pytest.raises(connect.exceptions.ResourceNotFoundException) as info:
        connect.describe_contact(InstanceId=INSTANCE, ContactId="no-such-contact")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_idempotency_exception(client: ClientFactory) -> None:
    connect = client("connect", PRINCIPAL_KEY)
    connect.batch_put_contact(
        InstanceId=INSTANCE, ClientToken="clash", ContactDataRequestList=[contact_item("a")]
    )
    with pytest.raises(connect.exceptions.IdempotencyException):
        connect.batch_put_contact(
            InstanceId=INSTANCE, ClientToken="clash", ContactDataRequestList=[contact_item("b")]
        )


def test_campaign_errors(client: ClientFactory) -> None:
    campaigns = client("connectcampaigns")
    with pytest.raises(campaigns.exceptions.ValidationException):
        campaigns.put_dial_request_batch(id=V1, dialRequests=dial_requests(26))
    with pytest.raises(campaigns.exceptions.ResourceNotFoundException):
        campaigns.get_campaign_state(id="no-such-campaign")
    with pytest.raises(campaigns.exceptions.InvalidCampaignStateException) as info:
        campaigns.start_campaign(id=V1)
    assert info.value.response["state"] == "Running"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_invalid_campaign_state_on_dial_requests(client: ClientFactory) -> None:
    campaigns = client("connectcampaigns")
    cid = campaigns.create_campaign(**v1_create())["id"]
    with pytest.raises(campaigns.exceptions.InvalidCampaignStateException) as info:
        campaigns.put_dial_request_batch(id=cid, dialRequests=dial_requests(1))
    assert info.value.response["state"] == "Initialized"
    v2 = client("connectcampaignsv2")
    v2_id = v2.create_campaign(**v2_create())["id"]
    v2.start_campaign(id=v2_id)
    v2.stop_campaign(id=v2_id)
    with pytest.raises(v2.exceptions.InvalidCampaignStateException) as info:
        v2.resume_campaign(id=v2_id)
    assert info.value.response["state"] == "Stopped"


def test_unserved_operation_is_unknown(client: ClientFactory) -> None:
    campaigns = client("connectcampaigns")
    with pytest.raises(ClientError) as info:
        campaigns.list_campaigns()
    assert code_of(info) == "UnknownOperationException"


def test_throttling() -> None:
    # The scenario's own (AWS default) quotas: BatchPutContact 10/s burst 15,
    # campaign control 1/s burst 2.
    with ServerHandle(create_app(None)) as server:
        make = client_factory(server)
        connect = make("connect", PRINCIPAL_KEY)
        with pytest.raises(connect.exceptions.LimitExceededException):
            for i in range(40):
                connect.batch_put_contact(
                    InstanceId=INSTANCE, ContactDataRequestList=[contact_item(f"t{i}")]
                )
        campaigns = make("connectcampaigns")
        with pytest.raises(campaigns.exceptions.ThrottlingException) as info:
            for _ in range(10):
                campaigns.pause_campaign(id=V1)
                campaigns.resume_campaign(id=V1)
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_service_quota_exceeded() -> None:
    # Its own server: the 500 campaigns it leaves behind would crowd the others.
    with ServerHandle(create_app(None, quotas=NO_THROTTLE)) as server:
        campaigns = client_factory(server)("connectcampaigns")
        with pytest.raises(campaigns.exceptions.ServiceQuotaExceededException):
            for _ in range(600):
                campaigns.create_campaign(**v1_create())


def test_injected_faults_are_internal_errors() -> None:
    faulty = parse_scenario(scenario(api={"faults": {"request_error_probability": 1.0}}))
    with ServerHandle(create_app(faulty, quotas=NO_THROTTLE)) as server:
        make = client_factory(server)
        connect = make("connect", PRINCIPAL_KEY)
        with pytest.raises(connect.exceptions.InternalServiceException):
            connect.batch_put_contact(
                InstanceId=INSTANCE, ContactDataRequestList=[contact_item("f")]
            )
        campaigns = make("connectcampaigns")
        with pytest.raises(campaigns.exceptions.InternalServerException) as info:
            campaigns.put_dial_request_batch(id=V1, dialRequests=dial_requests(1))
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


# -- identity ---------------------------------------------------------------------


def test_a_key_named_like_the_principal_is_not_the_principal(client: ClientFactory) -> None:
    # Only configured access keys act as connect-campaigns.amazonaws.com.
    connect = client("connect", CAMPAIGNS_PRINCIPAL)
    with pytest.raises(connect.exceptions.AccessDeniedException) as info:
        connect.batch_put_contact(InstanceId=INSTANCE, ContactDataRequestList=[contact_item("s")])
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "access-key/connect-campaigns.amazonaws.com" in info.value.response["Error"]["Message"]


def test_identities_cannot_map_to_the_principal() -> None:
    with pytest.raises(ValueError, match="principal_keys"):
        create_app(None, identities={"AKIDSNEAKY": CAMPAIGNS_PRINCIPAL})


# -- strict types, encoded ids, deleting scenario campaigns -------------------------


def test_strings_for_integers_and_booleans_are_refused(client: ClientFactory) -> None:
    # boto3 itself refuses these unless told not to validate parameters.
    config = botocore.config.Config(parameter_validation=False, retries={"total_max_attempts": 1})
    v2 = client("connectcampaignsv2", config=config)
    for member, value in (
        ("ringTimeout", "30"),
        ("answerMachineDetectionConfig", {"enableAnswerMachineDetection": "yes"}),
    ):
        request = v2_create()
        request["channelSubtypeConfig"]["telephony"]["defaultOutboundConfig"][member] = value
        with pytest.raises(v2.exceptions.ValidationException) as info:
            v2.create_campaign(**request)
        assert member in info.value.response["Error"]["Message"]


def test_ids_with_slashes_and_colons() -> None:
    data = scenario()
    data["campaigns"][1]["id"] = "ops/east:1"
    with ServerHandle(create_app(parse_scenario(data), quotas=NO_THROTTLE)) as server:
        v2 = client_factory(server)("connectcampaignsv2")
        assert v2.get_campaign_state(id="ops/east:1")["state"] == "Running"
        assert v2.describe_campaign(id="ops/east:1")["campaign"]["id"] == "ops/east:1"
        v2.pause_campaign(id="ops/east:1")
        assert v2.get_campaign_state(id="ops/east:1")["state"] == "Paused"
        with pytest.raises(v2.exceptions.ResourceNotFoundException):
            v2.get_campaign_state(id="ops/west:1")
        with pytest.raises(v2.exceptions.ValidationException):
            v2.get_campaign_state(id="ops west")


def test_delete_scenario_campaigns(tmp_path: Path) -> None:
    db = tmp_path / "deleted.db"
    with ServerHandle(create_app(None, db=str(db), quotas=NO_THROTTLE)) as server:
        make = client_factory(server)
        v1, v2 = make("connectcampaigns"), make("connectcampaignsv2")
        v1.put_dial_request_batch(id=V1, dialRequests=dial_requests(3))
        v1.delete_campaign(id=V1)
        v2.delete_campaign(id=V2)
        with pytest.raises(v1.exceptions.ResourceNotFoundException):
            v1.describe_campaign(id=V1)
        with pytest.raises(v2.exceptions.ResourceNotFoundException):
            v2.get_campaign_state(id=V2)
        with pytest.raises(v1.exceptions.ResourceNotFoundException):
            v1.put_dial_request_batch(id=V1, dialRequests=dial_requests(1))
        run_id = server.simulation.run_id
        assert run_id is not None
    store = Store(str(db))
    assert store.run(run_id).status == "completed"
    store.dispose()
