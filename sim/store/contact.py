"""The one fold of a contact's events into its contact record.

A contact's state is a list in ``contacts`` column order (without run_id),
its slots looked up by column name in the table (the one definition), so a
renamed or reordered column cannot shift them silently. ``FOLD`` maps each
contact event type (and DIAL_REQUEST_DIALED, which re-stamps the record's
initiation at the dial) to a pure update of that list. The store's
``Projector`` and the HTTP face's DescribeContact both fold with it, so what
a client reads over HTTP and what the report counts cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sim.domain import Event, EventType
from sim.store.schema import contacts, insert_columns

CONTACT_FIELDS: tuple[str, ...] = tuple(insert_columns(contacts)[1:])
WIDTH = len(CONTACT_FIELDS)


def _slot(name: str) -> int:
    return CONTACT_FIELDS.index(name)


C_ID = _slot("contact_id")
C_SEQ = _slot("seq")
C_CAMPAIGN = _slot("campaign_id")
C_REQUEST = _slot("dial_request_id")
C_ATTEMPT = _slot("attempt")
C_INSTANCE = _slot("instance_id")
C_QUEUE = _slot("queue_id")
C_AGENT = _slot("agent_id")
C_CUSTOMER = _slot("customer_endpoint")
C_SYSTEM = _slot("system_endpoint")
C_CREATED = _slot("created_timestamp")
C_INITIATED = _slot("initiation_timestamp")
C_RING = _slot("ring_start_timestamp")
C_SYSTEM_TS = _slot("connected_to_system_timestamp")
C_ENQUEUE = _slot("enqueue_timestamp")
C_THRESHOLD = _slot("threshold_timestamp")
C_AGENT_TS = _slot("connected_to_agent_timestamp")
C_DISCONNECT = _slot("disconnect_timestamp")
C_ACW_START = _slot("after_contact_work_start_timestamp")
C_ACW_END = _slot("after_contact_work_end_timestamp")
C_ACW_S = _slot("after_contact_work_duration")
C_REASON = _slot("disconnect_reason")
C_AMD = _slot("answering_machine_detection_status")
C_OUTCOME = _slot("outcome")
C_LIVE = _slot("live_person")
C_ABANDONED = _slot("abandoned")
C_QUEUE_WAIT = _slot("queue_wait_s")
C_TALK = _slot("talk_s")

State = list[Any]


def new_state(contact_id: str) -> State:
    """The empty record of a contact (every column null)."""
    st: State = [None] * WIDTH
    st[C_ID] = contact_id
    return st


def initiated(st: State, ev: Event) -> None:
    p = ev[4]
    st[C_CAMPAIGN] = p.get("campaign_id")
    st[C_REQUEST] = p.get("request_identifier")
    st[C_INSTANCE] = p.get("instance_id")
    st[C_QUEUE] = p.get("queue_id")
    st[C_CUSTOMER] = p.get("customer_endpoint")
    st[C_SYSTEM] = p.get("system_endpoint")
    st[C_CREATED] = st[C_INITIATED] = ev[3]


def dialed(st: State, ev: Event) -> None:
    """DIAL_REQUEST_DIALED: the attempt, and the initiation re-stamped at the dial."""
    st[C_ATTEMPT] = ev[4].get("attempt")
    st[C_INITIATED] = ev[3]


def ringing(st: State, ev: Event) -> None:
    st[C_RING] = ev[3]
    agent = ev[4].get("agent_id")
    if agent is not None:
        st[C_AGENT] = agent


def connected_to_system(st: State, ev: Event) -> None:
    st[C_SYSTEM_TS] = ev[3]


def queued(st: State, ev: Event) -> None:
    p = ev[4]
    st[C_ENQUEUE] = ev[3]
    st[C_THRESHOLD] = p.get("threshold_at")
    st[C_AMD] = p.get("amd_status")
    queue = p.get("queue_id")
    if queue is not None:
        st[C_QUEUE] = queue


def connected_to_agent(st: State, ev: Event) -> None:
    st[C_AGENT_TS] = ev[3]
    st[C_AGENT] = ev[4].get("agent_id")


def disconnected(st: State, ev: Event) -> None:
    p = ev[4]
    st[C_DISCONNECT] = ev[3]
    st[C_REASON] = p.get("disconnect_reason")
    amd = p.get("amd_status")
    if amd is not None:
        st[C_AMD] = amd
    outcome = p.get("outcome")
    # A plain str (the engine may pass an Outcome member), so rows hold
    # builtins only and ship cheaply to a writer process.
    st[C_OUTCOME] = outcome if outcome is None else str(outcome)
    st[C_LIVE] = p.get("live_person")
    threshold, to_agent = st[C_THRESHOLD], st[C_AGENT_TS]
    st[C_ABANDONED] = threshold is not None and (to_agent is None or to_agent > threshold)


def completed(st: State, ev: Event) -> None:
    if st[C_AGENT] is not None:  # after-contact work only when an agent was on it
        st[C_ACW_START] = st[C_DISCONNECT]
        st[C_ACW_END] = ev[3]
        acw = ev[4].get("after_contact_work_s")
        if acw is None and st[C_DISCONNECT] is not None:
            acw = ev[3] - st[C_DISCONNECT]
        st[C_ACW_S] = acw


def finish(st: State) -> None:
    """Fill the derived columns (queue wait, talk) of a record about to be written."""
    enqueue, to_agent, gone = st[C_ENQUEUE], st[C_AGENT_TS], st[C_DISCONNECT]
    if enqueue is not None:
        end = to_agent if to_agent is not None else gone
        st[C_QUEUE_WAIT] = None if end is None else end - enqueue
    if to_agent is not None and gone is not None:
        st[C_TALK] = gone - to_agent


FOLD: dict[str, Callable[[State, Event], None]] = {
    EventType.INITIATED.value: initiated,
    EventType.RINGING.value: ringing,
    EventType.CONNECTED_TO_SYSTEM.value: connected_to_system,
    EventType.QUEUED.value: queued,
    EventType.CONNECTED_TO_AGENT.value: connected_to_agent,
    EventType.DISCONNECTED.value: disconnected,
    EventType.COMPLETED.value: completed,
}
"""Each contact event type's update of the contact's state."""
