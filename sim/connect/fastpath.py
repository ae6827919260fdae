"""Validation fast paths: a plainly valid request, checked in Python.

BatchPutContact (``contact_items``) and PutDialRequestBatch (``dial_items``).

The dialer sends one to twenty-five items a call, every one of the same
simple shape, and pydantic's validation of nested models costs more than
the rest of the call. ``contact_items`` accepts a request only when every
member it reads is of the exact builtin type and within the bounds the wire
model declares (``sim.connect.models_contact``), and returns lightweight
items with the same attribute names; anything else, including a member that
might be invalid, any OutboundStrategy, a str subclass or non-ASCII text,
returns None and the caller validates with pydantic as before. So the fast
path never decides what pydantic would not (tests/connect/test_fastpath.py
checks that property on generated requests). ``dial_items`` does the same
for the engine's PutDialRequestBatch calls (one to 25 dial requests, their
expiration as POSIX seconds), against ``sim.connect.models_campaign``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast

from sim.connect.models_contact import EndpointTypeEnum
from sim.domain.events import new_tuple

_ENDPOINT_TYPES = frozenset(e.value for e in EndpointTypeEnum)


class Endpoint(NamedTuple):
    Type: str | None
    Address: str | None


class CampaignRef(NamedTuple):
    CampaignId: str | None


class ContactItem(NamedTuple):
    """A shape-valid ContactDataRequest without OutboundStrategy."""

    SystemEndpoint: Endpoint | None
    CustomerEndpoint: Endpoint | None
    RequestIdentifier: str | None
    QueueId: str | None
    Attributes: dict[str, str] | None
    Campaign: CampaignRef | None
    OutboundStrategy: None


class _Slow(Exception):
    """A member the fast path cannot vouch for: pydantic must decide."""


def _text(value: Any, lo: int, hi: int) -> bool:
    """A plain ASCII str of ``lo``..``hi`` characters."""
    return type(value) is str and lo <= len(value) <= hi and value.isascii()


def _optional_text(value: Any, lo: int, hi: int) -> Any:
    if value is not None and not _text(value, lo, hi):
        raise _Slow
    return value


def _endpoint(value: Any) -> Endpoint | None:
    if value is None:
        return None
    if type(value) is not dict:
        raise _Slow
    kind = value.get("Type")
    if kind is not None and (type(kind) is not str or kind not in _ENDPOINT_TYPES):
        raise _Slow
    return new_tuple(Endpoint, (kind, _optional_text(value.get("Address"), 0, 256)))


def _campaign(value: Any) -> CampaignRef | None:
    if value is None:
        return None
    if type(value) is not dict:
        raise _Slow
    return new_tuple(CampaignRef, (_optional_text(value.get("CampaignId"), 1, 100),))


def _attributes(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if type(value) is not dict:
        raise _Slow
    for key, text in value.items():
        if not (_text(key, 1, 32767) and _text(text, 0, 32767)):
            raise _Slow
    return value


def _item(raw: Any) -> ContactItem:
    if type(raw) is not dict or raw.get("OutboundStrategy") is not None:
        raise _Slow
    get = raw.get
    queue = get("QueueId")
    if queue is not None and not (type(queue) is str and queue.isascii()):
        raise _Slow
    return new_tuple(
        ContactItem,
        (
            _endpoint(get("SystemEndpoint")),
            _endpoint(get("CustomerEndpoint")),
            _optional_text(get("RequestIdentifier"), 0, 80),
            queue,
            _attributes(get("Attributes")),
            _campaign(get("Campaign")),
            None,
        ),
    )


def contact_items(request: Mapping[str, Any]) -> tuple[str, str | None, list[ContactItem]] | None:
    """(InstanceId, ClientToken, items) of a plainly valid BatchPutContact
    request, or None: then pydantic must decide."""
    if type(request) is not dict:
        return None
    get = request.get
    instance, token, raw_items = (
        get("InstanceId"),
        get("ClientToken"),
        get("ContactDataRequestList"),
    )
    if type(raw_items) is not list or not 1 <= len(raw_items) <= 25 or not _text(instance, 1, 100):
        return None
    try:
        _optional_text(token, 0, 500)
        items = [_item(raw) for raw in raw_items]
        return cast(str, instance), cast("str | None", token), items
    except _Slow:
        return None


# -- PutDialRequestBatch (v1) --------------------------------------------------

# The wire model's patterns (sim.connect.models_campaign), as classes matched
# whole on ASCII text (Python's ``$`` would also match before a final newline).
_TOKEN = re.compile(r"[a-zA-Z0-9_\-.]*").fullmatch
_PHONE = re.compile(r"[0-9\-+]*").fullmatch
_ATTRIBUTE_NAME = re.compile(r"[a-zA-Z0-9\-_]+").fullmatch
_CAMPAIGN_ID = re.compile(r"[^ \t\n\x0B\f\r]*").fullmatch
_MAX_POSIX = 253402300799.0  # models_campaign: the largest second a datetime holds

DialItem = tuple[str, str, float, dict[str, str], None, None, None, None]
"""One dial request as the intake reads it (``dialrequests._Item``)."""


def _matching(value: Any, hi: int, match: Callable[[str], Any]) -> bool:
    return type(value) is str and len(value) <= hi and value.isascii() and match(value) is not None


def _dial_attributes(value: Any) -> dict[str, str]:
    if type(value) is not dict:
        raise _Slow
    for key, text in value.items():
        if not (_matching(key, 32767, _ATTRIBUTE_NAME) and _text(text, 0, 32767)):
            raise _Slow
    return dict(value)  # pydantic hands back a copy


def _dial_item(raw: Any) -> DialItem:
    if type(raw) is not dict:
        raise _Slow
    item: dict[str, Any] = raw
    token: Any = item.get("clientToken")
    phone: Any = item.get("phoneNumber")
    expires: Any = item.get("expirationTime")
    if not (_matching(token, 200, _TOKEN) and _matching(phone, 20, _PHONE)):
        raise _Slow
    # POSIX seconds (a Python caller's timestamp), read as pydantic reads them:
    # a UTC datetime (to the microsecond), whose POSIX seconds the intake takes.
    kind = type(expires)
    if (kind is not float and kind is not int) or not -_MAX_POSIX <= expires <= _MAX_POSIX:
        raise _Slow
    try:
        expiration = datetime.fromtimestamp(expires, UTC).timestamp()
    except (ValueError, OverflowError, OSError):
        raise _Slow from None
    attributes = _dial_attributes(item.get("attributes"))
    return (token, phone, expiration, attributes, None, None, None, None)


def dial_items(request: Mapping[str, Any]) -> tuple[str, list[DialItem]] | None:
    """(campaign id, items) of a plainly valid PutDialRequestBatch request from a
    Python caller (timestamps as POSIX seconds), or None: then pydantic must decide."""
    if type(request) is not dict:
        return None
    campaign_id, raw_items = request.get("id"), request.get("dialRequests")
    if type(raw_items) is not list or not 1 <= len(raw_items) <= 25:
        return None
    if not _matching(campaign_id, 256, _CAMPAIGN_ID):
        return None
    try:
        return cast(str, campaign_id), [_dial_item(raw) for raw in raw_items]
    except _Slow:
        return None
