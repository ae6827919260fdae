"""A live index of contacts, folded from the event stream, for DescribeContact.

The index is an ``EventSink``: the server tees every event through it before
the store writer, so a contact is visible over HTTP as soon as its event is
emitted, without reading the database back.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sim.domain import Event, EventSink

DEFAULT_MAX_CONTACTS = 1_000_000

# Campaign contacts are placed through an API (BatchPutContact), which is
# what Connect's "API" initiation method stands for; "CAMPAIGN" is not a
# member of ContactInitiationMethod in the connect model.
INITIATION_METHOD = "API"


@dataclass(slots=True)
class ContactView:
    """What DescribeContact can say about one contact, filled in as events arrive."""

    contact_id: str
    instance_id: str
    initiated: float
    campaign_id: str | None = None
    queue_id: str | None = None
    customer_address: str | None = None
    system_address: str | None = None
    last_update: float = 0.0
    ring_start: float | None = None
    connected_to_system: float | None = None
    enqueued: float | None = None
    agent_id: str | None = None
    connected_to_agent: float | None = None
    disconnected: float | None = None
    disconnect_reason: str | None = None
    amd_status: str | None = None
    completed: float | None = None
    acw_s: float | None = None


def _initiated(e: Event) -> ContactView:
    p = e.payload
    return ContactView(
        contact_id=e.stream_id,
        instance_id=p["instance_id"],
        initiated=e.time,
        campaign_id=p["campaign_id"],
        queue_id=p["queue_id"],
        customer_address=p["customer_endpoint"],
        system_address=p["system_endpoint"],
    )


def _ringing(c: ContactView, e: Event) -> None:
    c.ring_start = e.time


def _connected_to_system(c: ContactView, e: Event) -> None:
    c.connected_to_system = e.time
    c.amd_status = e.payload["amd_status"]


def _queued(c: ContactView, e: Event) -> None:
    c.enqueued = e.time
    c.queue_id = e.payload["queue_id"] or c.queue_id


def _connected_to_agent(c: ContactView, e: Event) -> None:
    c.connected_to_agent = e.time
    c.agent_id = e.payload["agent_id"]


def _disconnected(c: ContactView, e: Event) -> None:
    c.disconnected = e.time
    c.disconnect_reason = e.payload["disconnect_reason"]
    c.amd_status = e.payload["amd_status"]


def _completed(c: ContactView, e: Event) -> None:
    c.completed = e.time
    c.acw_s = e.payload["after_contact_work_s"]


_UPDATES: dict[str, Callable[[ContactView, Event], None]] = {
    "RINGING": _ringing,
    "CONNECTED_TO_SYSTEM": _connected_to_system,
    "QUEUED": _queued,
    "CONNECTED_TO_AGENT": _connected_to_agent,
    "DISCONNECTED": _disconnected,
    "COMPLETED": _completed,
}


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
        """EventSink protocol: fold contact events, ignore the rest."""
        contacts = self._contacts
        for e in events:
            if e.type == "INITIATED":
                contacts[e.stream_id] = _initiated(e)
                if len(contacts) > self.max_contacts:
                    contacts.popitem(last=False)
                continue
            if e.type.startswith("DIAL_REQUEST_"):
                self._dial_request(e)
                continue
            update = _UPDATES.get(e.type)
            if update is None:
                continue
            view = contacts.get(e.stream_id)
            if view is not None:
                update(view, e)
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
        if e.type == "DIAL_REQUEST_DIALED":
            view.contact_ids.append(e.payload["contact_id"])

    def get(self, contact_id: str) -> ContactView | None:
        return self._contacts.get(contact_id)

    def dial_request(self, request_id: str) -> DialView | None:
        return self._requests.get(request_id)


class Tee:
    """An EventSink handing every batch to each of ``sinks`` in order."""

    def __init__(self, *sinks: EventSink) -> None:
        self.sinks = sinks

    def append(self, events: Sequence[Event]) -> None:
        for sink in self.sinks:
            sink.append(events)


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


def _endpoint(address: str | None) -> dict[str, str] | None:
    return None if address is None else {"Type": "TELEPHONE_NUMBER", "Address": address}


def _agent_info(c: ContactView) -> dict[str, Any] | None:
    if c.connected_to_agent is None:
        return None
    info: dict[str, Any] = {"ConnectedToAgentTimestamp": c.connected_to_agent}
    _put(info, "Id", c.agent_id)
    # After-contact work runs from the disconnect to COMPLETED, and only
    # for contacts an agent handled.
    _put(info, "AfterContactWorkStartTimestamp", c.disconnected)
    if c.completed is not None:
        info["AfterContactWorkEndTimestamp"] = c.completed
        info["AfterContactWorkDuration"] = round(c.acw_s or 0.0)
    return info


def describe_contact(c: ContactView, arn_prefix: str) -> dict[str, Any]:
    """The DescribeContact response for ``c`` (timestamps as epoch seconds).

    Only members of the connect model's ``Contact`` shape appear; a member is
    left out until its event has happened (as Connect leaves them null).
    ``arn_prefix`` is ``arn:aws:connect:<region>:<account>:instance/<id>``.
    """
    contact: dict[str, Any] = {
        "Arn": f"{arn_prefix}/contact/{c.contact_id}",
        "Id": c.contact_id,
        "InitialContactId": c.contact_id,
        "InitiationMethod": INITIATION_METHOD,
        "Channel": "VOICE",
        "InitiationTimestamp": c.initiated,
        "LastUpdateTimestamp": c.last_update or c.initiated,
    }
    _put(contact, "RingStartTimestamp", c.ring_start)
    _put(contact, "ConnectedToSystemTimestamp", c.connected_to_system)
    _put(contact, "DisconnectTimestamp", c.disconnected)
    _put(contact, "DisconnectReason", c.disconnect_reason)
    _put(contact, "AnsweringMachineDetectionStatus", c.amd_status)
    _put(contact, "CustomerEndpoint", _endpoint(c.customer_address))
    _put(contact, "SystemEndpoint", _endpoint(c.system_address))
    if c.enqueued is not None:
        contact["QueueInfo"] = {"Id": c.queue_id, "EnqueueTimestamp": c.enqueued}
    _put(contact, "AgentInfo", _agent_info(c))
    if c.campaign_id is not None:
        contact["Campaign"] = {"CampaignId": c.campaign_id}
    return {"Contact": contact}
