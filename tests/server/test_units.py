"""Units of the HTTP face: auth, body decoding, the contact index."""

from __future__ import annotations

import pytest

from sim.connect import CAMPAIGNS_PRINCIPAL, ServiceError
from sim.connect.buffer import contact_expired
from sim.domain import Event, WaitingContact
from sim.server.auth import Auth, access_key_id
from sim.server.contacts import ContactIndex, describe_contact
from sim.server.protocol import decode_body, error_body
from sim.store import contact as C

HEADER = (
    "AWS4-HMAC-SHA256 Credential=AKIDX/20260101/us-east-1/connect/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=abc"
)


def test_access_key_from_header_or_query() -> None:
    assert access_key_id(HEADER, None) == "AKIDX"
    assert access_key_id(None, "AKIDQ/20260101/us-east-1/connect/aws4_request") == "AKIDQ"
    assert access_key_id("Bearer token", None) is None
    assert access_key_id(None, None) is None


def test_identities() -> None:
    auth = Auth(principal_keys=["P"], identities={"U": "alice"})
    assert auth.identify(HEADER.replace("AKIDX", "P"), None, "connect") == CAMPAIGNS_PRINCIPAL
    assert auth.identify(HEADER.replace("AKIDX", "U"), None, "connect") == "alice"
    assert auth.identify(HEADER, None, "connect") == "access-key/AKIDX"
    # A key spelled like the principal's name is just another unmapped key.
    spoof = HEADER.replace("AKIDX", CAMPAIGNS_PRINCIPAL)
    assert auth.identify(spoof, None, "connect") == f"access-key/{CAMPAIGNS_PRINCIPAL}"
    with pytest.raises(ServiceError) as info:
        auth.identify(None, None, "connectcampaigns")
    assert (info.value.code, info.value.status) == ("AccessDeniedException", 403)


def test_decode_body() -> None:
    assert decode_body(b"", None, "connect") == {}
    assert decode_body(b'{"a": 1}', "application/json; charset=utf-8", "connect") == {"a": 1}
    assert decode_body(b'{"a": 1}', None, "connect") == {"a": 1}
    for raw, code in ((b"{", "SerializationException"), (b"[]", "SerializationException")):
        with pytest.raises(ServiceError) as info:
            decode_body(raw, "application/json", "connect")
        assert info.value.code == code
    with pytest.raises(ServiceError) as info:
        decode_body(b"{}", "text/xml", "connectcampaigns")
    assert (info.value.code, info.value.status) == ("ValidationException", 415)


def test_error_body_carries_extras() -> None:
    error = ServiceError("InvalidCampaignStateException", "no", extra={"state": "Paused"})
    assert error_body(error) == {"message": "no", "Message": "no", "state": "Paused"}


def _events() -> list[Event]:
    c = "contact-1"
    return [
        Event(c, 1, "INITIATED", 10.0, {
            "campaign_id": "camp", "request_identifier": "r", "instance_id": "i",
            "queue_id": "q", "customer_endpoint": "+1555", "system_endpoint": "+1666",
        }),
        Event(c, 2, "RINGING", 11.0, {"agent_id": None}),
        Event(c, 3, "CONNECTED_TO_SYSTEM", 20.0, {"amd_status": "HUMAN_ANSWERED"}),
        Event(c, 4, "QUEUED", 20.0, {"queue_id": "q"}),
        Event(c, 5, "CONNECTED_TO_AGENT", 21.0, {"agent_id": "a-1"}),
        Event("agent", 9, "STATE_CHANGE", 21.0, {"state": "ON_CONTACT"}),
        Event(c, 6, "DISCONNECTED", 80.0, {
            "disconnect_reason": "CUSTOMER_DISCONNECT", "amd_status": "HUMAN_ANSWERED",
            "outcome": "CONNECTED",
        }),
        Event(c, 7, "COMPLETED", 110.4, {"after_contact_work_s": 30.4}),
    ]  # fmt: skip


def test_index_folds_a_contact_lifecycle() -> None:
    index = ContactIndex()
    index.append(_events())
    view = index.get("contact-1")
    assert view is not None
    contact = describe_contact(view, "arn:aws:connect:us-east-1:1:instance/i")["Contact"]
    assert contact["InitiationTimestamp"] == 10.0
    assert contact["RingStartTimestamp"] == 11.0
    assert contact["ConnectedToSystemTimestamp"] == 20.0
    assert contact["QueueInfo"] == {"Id": "q", "EnqueueTimestamp": 20.0}
    assert contact["AgentInfo"] == {
        "Id": "a-1",
        "ConnectedToAgentTimestamp": 21.0,
        "AfterContactWorkStartTimestamp": 80.0,
        "AfterContactWorkEndTimestamp": 110.4,
        "AfterContactWorkDuration": 30,
    }
    assert contact["DisconnectTimestamp"] == 80.0
    assert contact["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    assert contact["LastUpdateTimestamp"] == 110.4
    assert contact["Campaign"] == {"CampaignId": "camp"}


def test_contact_members_exist_in_the_connect_model() -> None:
    import botocore.session

    shape = botocore.session.get_session().get_service_model("connect").shape_for("Contact")
    index = ContactIndex()
    index.append(_events())
    view = index.get("contact-1")
    assert view is not None
    contact = describe_contact(view, "arn")["Contact"]
    assert set(contact) <= set(shape.members)
    assert set(contact["AgentInfo"]) <= set(shape.members["AgentInfo"].members)
    assert shape.members["InitiationMethod"].enum.count(contact["InitiationMethod"]) == 1


def test_index_forgets_the_oldest() -> None:
    index = ContactIndex(max_contacts=2)
    for n in range(3):
        index.append([Event(f"c{n}", 1, "INITIATED", float(n), _events()[0].payload)])
    assert index.get("c0") is None and index.get("c2") is not None
    assert len(index) == 2


def test_serve_has_a_quota_clock_option() -> None:
    from click.testing import CliRunner

    from sim.cli import main

    runner = CliRunner()
    help_text = runner.invoke(main, ["serve", "--help"]).output
    assert "--quota-clock [wall|simulated]" in help_text
    wrong = runner.invoke(main, ["serve", "--quota-clock", "sundial"])
    assert wrong.exit_code == 2
    assert "sundial" in wrong.output


def test_identities_refuse_the_principal() -> None:
    with pytest.raises(ValueError, match="principal_keys"):
        Auth(principal_keys=["P"], identities={"U": CAMPAIGNS_PRINCIPAL})
    with pytest.raises(ValueError, match="both"):
        Auth(principal_keys=["P"], identities={"P": "alice"})


def _waiting(amd: bool | None) -> WaitingContact:
    return WaitingContact(
        contact_id="contact-1",
        request_id="r",
        campaign_id="camp",
        phone_number="+1555",
        accepted_at=9.0,
        created_at=10.0,
        expiration=70.0,
        attributes=None,
        ring_timeout=None,
        amd_enabled=amd,
        await_prompt=None,
    )


@pytest.mark.parametrize(
    ("request_amd", "campaign_amd", "status"),
    [
        (None, True, "AMD_NOT_APPLICABLE"),
        (None, False, None),
        (False, True, None),  # v2: the request's answerMachineDetectionConfig wins
        (True, False, "AMD_NOT_APPLICABLE"),
    ],
)
def test_an_expired_contact_as_describe_contact_shows_it(
    request_amd: bool | None, campaign_amd: bool, status: str | None
) -> None:
    """docs/connect.md, EXPIRED row: reason EXPIRED, AMD_NOT_APPLICABLE with AMD
    on, no status member at all with AMD off; the contact was never dialed, so
    InitiationTimestamp stays its creation."""
    index = ContactIndex()
    index.append(_events()[:1])
    index.append(contact_expired(_waiting(request_amd), 70.0, "expired", campaign_amd))
    view = index.get("contact-1")
    assert view is not None
    contact = describe_contact(view, "arn")["Contact"]
    assert contact["DisconnectReason"] == "EXPIRED"
    assert contact["DisconnectTimestamp"] == 70.0
    assert contact.get("AnsweringMachineDetectionStatus") == status
    assert contact["InitiationTimestamp"] == 10.0
    assert "RingStartTimestamp" not in contact and "AgentInfo" not in contact


def test_the_dial_restamps_the_initiation() -> None:
    """Created at 10 (BatchPutContact), dialed at 40: InitiationTimestamp is the dial."""
    index = ContactIndex()
    index.append(_events()[:1])
    created = index.get("contact-1")
    assert created is not None and created.state[C.C_INITIATED] == 10.0
    dialed = {"campaign_id": "camp", "contact_id": "contact-1", "attempt": 1, "waited_s": 31.0}
    index.append([Event("r", 2, "DIAL_REQUEST_DIALED", 40.0, dialed)])
    view = index.get("contact-1")
    assert view is not None
    assert describe_contact(view, "arn")["Contact"]["InitiationTimestamp"] == 40.0
    assert view.state[C.C_CREATED] == 10.0
