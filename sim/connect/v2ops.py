"""The v2 operations that set a campaign's dialing day, and ListCampaigns.

UpdateCampaignCommunicationTime / CommunicationLimits / Schedule (only in
state Initialized, as the API reference says), Put/GetInstanceCommunicationLimits
and ListCampaigns (filter by instance, pages of maxResults with an opaque
nextToken). Order of checks, as for every operation of the core (whose
``call`` throttles first): shape -> resource -> state -> settings the shape
allows but the simulator cannot honour -> work. A change of a campaign's settings is one
CAMPAIGN_UPDATED event on its stream.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any

from sim.connect.campaigns import UPDATABLE, Campaign
from sim.connect.errors import (
    CAMPAIGNS_V2,
    Context,
    ServiceError,
    not_found,
    validate,
    validation_error,
)
from sim.connect.ids import iso8601
from sim.connect.models_v2_ops import (
    GET_INSTANCE_LIMITS,
    LIST_CAMPAIGNS,
    PUT_INSTANCE_LIMITS,
    UPDATE_COMMUNICATION_LIMITS,
    UPDATE_COMMUNICATION_TIME,
    UPDATE_SCHEDULE,
)
from sim.connect.registry import CampaignRegistry
from sim.connect.v2config import (
    ConfigError,
    Limit,
    campaign_schedule,
    communication_limits,
    communication_time,
    limits_of,
)
from sim.domain import EventType

DEFAULT_MAX_RESULTS = 50  # AWS states no default; the model's maximum
_TOKEN_PREFIX = "sim-campaigns:"
Handler = Callable[[str, str, Mapping[str, Any], Context, float], dict[str, Any]]


def _token(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{_TOKEN_PREFIX}{seq}".encode()).decode()


def _after(token: str) -> int:
    """The creation sequence number a nextToken resumes after; ValidationException if bad."""
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    seq = text.removeprefix(_TOKEN_PREFIX)
    if not text.startswith(_TOKEN_PREFIX) or not (seq.isascii() and seq.isdigit()):
        raise validation_error(CAMPAIGNS_V2, "nextToken: not a token this service issued")
    return int(seq)


class SettingsOps:
    """The handlers, bound to the campaigns of one core (and its sink and config)."""

    def __init__(self, campaigns: CampaignRegistry) -> None:
        self.campaigns = campaigns
        self.instance_limits: tuple[Limit, ...] = ()
        self._instance_wire: dict[str, Any] = {}

    def handlers(self) -> dict[str, Handler]:
        return {
            "UpdateCampaignCommunicationTime": self._update_time,
            "UpdateCampaignCommunicationLimits": self._update_limits,
            "UpdateCampaignSchedule": self._update_schedule,
            "PutInstanceCommunicationLimits": self._put_instance_limits,
            "GetInstanceCommunicationLimits": self._get_instance_limits,
            "ListCampaigns": self._list,
        }

    # -- campaign settings --------------------------------------------------------------

    def _updatable(self, campaign_id: str, operation: str, now: float) -> Campaign:
        c = self.campaigns.lookup_v2(campaign_id)
        if c.state not in UPDATABLE:
            raise ServiceError(
                "InvalidCampaignStateException",
                f"{operation} is allowed only in state Initialized; the campaign is {c.state}",
                extra={"state": c.state},
                service=CAMPAIGNS_V2,
            )
        return c

    def _commit(self, c: Campaign, operation: str, member: str, wire: Any, now: float) -> None:
        config = wire.model_dump(mode="json", exclude_none=True)
        if c.wire.get(member) == config:
            return  # the API is idempotent: the same setting again changes nothing
        c.wire[member] = config
        c.last_modified = now
        payload = {"operation": operation, "config": {member: config}}
        self.campaigns.sink.append([c.event(EventType.CAMPAIGN_UPDATED, now, payload)])

    def _update_time(
        self, service: str, operation: str, request: Mapping[str, Any], context: Context, now: float
    ) -> dict[str, Any]:
        req = validate(UPDATE_COMMUNICATION_TIME, service, request, context)
        try:
            typed = communication_time(req.communicationTimeConfig)
        except ConfigError as exc:
            raise validation_error(service, str(exc)) from None
        c = self._updatable(req.id, operation, now)
        c.communication_time = typed
        self.campaigns.calling_hours_changed(c.id)
        self._commit(c, operation, "communicationTimeConfig", req.communicationTimeConfig, now)
        return {}

    def _update_limits(
        self, service: str, operation: str, request: Mapping[str, Any], context: Context, now: float
    ) -> dict[str, Any]:
        req = validate(UPDATE_COMMUNICATION_LIMITS, service, request, context)
        typed_limits = communication_limits(req.communicationLimitsOverride)
        c = self._updatable(req.id, operation, now)
        c.communication_limits = typed_limits
        wire = req.communicationLimitsOverride
        self._commit(c, operation, "communicationLimitsOverride", wire, now)
        return {}

    def _update_schedule(
        self, service: str, operation: str, request: Mapping[str, Any], context: Context, now: float
    ) -> dict[str, Any]:
        req = validate(UPDATE_SCHEDULE, service, request, context)
        try:
            typed = campaign_schedule(req.schedule)
        except ConfigError as exc:
            raise validation_error(service, str(exc)) from None
        c = self._updatable(req.id, operation, now)
        c.schedule = typed
        self._commit(c, operation, "schedule", req.schedule, now)
        return {}

    # -- instance limits ------------------------------------------------------------------

    def _instance(self, service: str, instance_id: str) -> None:
        if instance_id != self.campaigns.config.instance_id:
            raise not_found(service, f"instance {instance_id!r}")

    def _put_instance_limits(
        self, service: str, operation: str, request: Mapping[str, Any], context: Context, now: float
    ) -> dict[str, Any]:
        req = validate(PUT_INSTANCE_LIMITS, service, request, context)
        self._instance(service, req.connectInstanceId)
        config = req.communicationLimitsConfig
        self.instance_limits = limits_of(config.allChannelSubtypes)
        self._instance_wire = config.model_dump(mode="json", exclude_none=True)
        return {}

    def _get_instance_limits(
        self, service: str, operation: str, request: Mapping[str, Any], context: Context, now: float
    ) -> dict[str, Any]:
        req = validate(GET_INSTANCE_LIMITS, service, request, context)
        self._instance(service, req.connectInstanceId)
        return {"communicationLimitsConfig": dict(self._instance_wire)}

    # -- ListCampaigns ---------------------------------------------------------------------

    def _list(
        self, service: str, operation: str, request: Mapping[str, Any], context: Context, now: float
    ) -> dict[str, Any]:
        req = validate(LIST_CAMPAIGNS, service, request, context)
        after = _after(req.nextToken) if req.nextToken else -1
        wanted = None
        if req.filters is not None and req.filters.instanceIdFilter is not None:
            wanted = req.filters.instanceIdFilter.value
        found = [
            c
            for c in self.campaigns.all()
            if c.api == "v2"
            and c.seq > after
            and (wanted is None or c.wire.get("connectInstanceId") == wanted)
        ]
        limit = req.maxResults or DEFAULT_MAX_RESULTS
        page = found[:limit]
        out: dict[str, Any] = {"campaignSummaryList": [summary(c) for c in page]}
        if len(found) > limit:
            out["nextToken"] = _token(page[-1].seq)
        return out


def summary(c: Campaign) -> dict[str, Any]:
    """The CampaignSummary of a v2 campaign (only telephony is simulated)."""
    out: dict[str, Any] = {
        "id": c.id,
        "arn": c.arn,
        "name": c.name,
        "connectInstanceId": c.wire["connectInstanceId"],
        "channelSubtypes": ["TELEPHONY"],
        "lastModifiedTime": iso8601(c.last_modified),
    }
    for member in ("type", "schedule", "entryLimitsConfig", "connectCampaignFlowArn"):
        if member in c.wire:
            out[member] = c.wire[member]
    return out
