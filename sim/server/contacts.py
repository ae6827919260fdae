"""A live index of contacts, folded from the event stream, for DescribeContact.

The index is an ``EventSink``: the server tees every event through it before
the store writer, so a contact is visible over HTTP as soon as its event is
emitted, without reading the database back.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sim.domain import Event, EventType
from sim.store import contact as C
from sim.store.contact import State

DEFAULT_MAX_CONTACTS = 1_000_000

# Campaign contacts are placed through an API (BatchPutContact), which is
# what Connect's "API" initiation method stands for; "CAMPAIGN" is not a
# member of ContactInitiationMethod in the connect model.
INITIATION_METHOD = "API"
AMD_DISABLED = "AMD_DISABLED"  # a contact record has no status then
_INITIATED = EventType.INITIATED.value
_DIALED = EventType.DIAL_REQUEST_DIALED.value


class ContactView:
    """A contact as DescribeContact sees it: its record (the store's one fold,
    ``sim.store.contact``) and the time of its latest event."""

    __slots__ = ("last_update", "state")

    def __init__(self, state: State, last_update: float) -> None:
        self.state = state
        self.last_update = last_update

    @property
    def instance_id(self) -> str | None:
        instance: str | None = self.state[C.C_INSTANCE]
        return instance


@dataclass(slots=True)
class DialView:
    """A dial request as far as the server has seen it: its last event and contacts."""

    request_id: str
    campaign_id: str
    state: str
    updated: float
    contact_ids: list[str]

    def wire(self) -> dict[str, Any]:
        """The JSON body of ``GET /_sim/dial-requests/{id}``."""
        return {
            "id": self.request_id,
            "campaignId": self.campaign_id,
            "state": self.state,
            "updatedTimestamp": self.updated,
            "contactIds": list(self.contact_ids),
        }


class ContactIndex:
    """Contacts by ContactId and dial requests by id, the oldest forgotten beyond
    ``max_contacts`` each.

    Real Connect keeps contacts for months; a long-running server must not
    grow without bound, so the index keeps the newest ``max_contacts``.
    """

    def __init__(self, max_contacts: int = DEFAULT_MAX_CONTACTS) -> None:
        self.max_contacts = max_contacts
        self._contacts: OrderedDict[str, ContactView] = OrderedDict()
        self._requests: OrderedDict[str, DialView] = OrderedDict()

    def __len__(self) -> int:
        return len(self._contacts)

    def append(self, events: Sequence[Event]) -> None:
        """EventSink protocol: fold contact events, and dial requests' ends."""
        contacts = self._contacts
        fold = C.FOLD
        for e in events:
            type_ = e.type
            if type_ == _INITIATED:
                state = C.new_state(e.stream_id)
                C.initiated(state, e)
                contacts[e.stream_id] = ContactView(state, e.time)
                if len(contacts) > self.max_contacts:
                    contacts.popitem(last=False)
                continue
            if type_.startswith("DIAL_REQUEST_"):
                self._dial_request(e)
                continue
            update = fold.get(type_)
            if update is None:
                continue
            view = contacts.get(e.stream_id)
            if view is not None:
                update(view.state, e)
                view.last_update = e.time

    def _dial_request(self, e: Event) -> None:
        requests = self._requests
        view = requests.get(e.stream_id)
        state = e.type.removeprefix("DIAL_REQUEST_")
        if view is None:
            view = DialView(e.stream_id, e.payload["campaign_id"], state, e.time, [])
            requests[e.stream_id] = view
            if len(requests) > self.max_contacts:
                requests.popitem(last=False)
        view.state, view.updated = state, e.time
        if e.type == _DIALED:
            contact_id = e.payload["contact_id"]
            view.contact_ids.append(contact_id)
            contact = self._contacts.get(contact_id)
            if contact is not None:
                C.dialed(contact.state, e)
                contact.last_update = e.time

    def get(self, contact_id: str) -> ContactView | None:
        return self._contacts.get(contact_id)

    def dial_request(self, request_id: str) -> DialView | None:
        return self._requests.get(request_id)


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


def _endpoint(address: str | None) -> dict[str, str] | None:
    return None if address is None else {"Type": "TELEPHONE_NUMBER", "Address": address}


def _agent_info(st: State) -> dict[str, Any] | None:
    if st[C.C_AGENT_TS] is None:
        return None
    info: dict[str, Any] = {"ConnectedToAgentTimestamp": st[C.C_AGENT_TS]}
    _put(info, "Id", st[C.C_AGENT])
    # After-contact work runs from the disconnect to COMPLETED, and only
    # for contacts an agent handled.
    _put(info, "AfterContactWorkStartTimestamp", st[C.C_DISCONNECT])
    if st[C.C_ACW_END] is not None:
        info["AfterContactWorkEndTimestamp"] = st[C.C_ACW_END]
        info["AfterContactWorkDuration"] = round(st[C.C_ACW_S] or 0.0)
    return info


def describe_contact(view: ContactView, arn_prefix: str) -> dict[str, Any]:
    """The DescribeContact response for a contact (timestamps as epoch seconds).

    Only members of the connect model's ``Contact`` shape appear; a member is
    left out until its event has happened (as Connect leaves them null). As in
    the contact record, InitiationTimestamp is re-stamped when the call starts,
    and a contact with AMD disabled has no AnsweringMachineDetectionStatus.
    ``arn_prefix`` is ``arn:aws:connect:<region>:<account>:instance/<id>``.
    """
    st = view.state
    contact_id = st[C.C_ID]
    contact: dict[str, Any] = {
        "Arn": f"{arn_prefix}/contact/{contact_id}",
        "Id": contact_id,
        "InitialContactId": contact_id,
        "InitiationMethod": INITIATION_METHOD,
        "Channel": "VOICE",
        "InitiationTimestamp": st[C.C_INITIATED],
        "LastUpdateTimestamp": view.last_update,
    }
    _put(contact, "RingStartTimestamp", st[C.C_RING])
    _put(contact, "ConnectedToSystemTimestamp", st[C.C_SYSTEM_TS])
    _put(contact, "DisconnectTimestamp", st[C.C_DISCONNECT])
    _put(contact, "DisconnectReason", st[C.C_REASON])
    amd = st[C.C_AMD]
    if amd != AMD_DISABLED:
        _put(contact, "AnsweringMachineDetectionStatus", amd)
    _put(contact, "CustomerEndpoint", _endpoint(st[C.C_CUSTOMER]))
    _put(contact, "SystemEndpoint", _endpoint(st[C.C_SYSTEM]))
    if st[C.C_ENQUEUE] is not None:
        contact["QueueInfo"] = {"Id": st[C.C_QUEUE], "EnqueueTimestamp": st[C.C_ENQUEUE]}
    _put(contact, "AgentInfo", _agent_info(st))
    if st[C.C_CAMPAIGN] is not None:
        contact["Campaign"] = {"CampaignId": st[C.C_CAMPAIGN]}
    return {"Contact": contact}
