"""The core's campaigns: creation, lookup, state changes and schedule ends.

``CampaignRegistry`` owns the campaigns of one core, in creation order, and
appends their events (CAMPAIGN_CREATED, CAMPAIGN_STATE_CHANGED) to the
core's sink. A stop or a schedule's end drains the campaign's buffer, so the
registry is handed the core's ``Buffers``. The core (``sim.connect.service``)
and the v2 planning handlers (``sim.connect.v2ops``) share one registry.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from sim.connect.buffer import REASON_COMPLETED, REASON_STOPPED, Buffers
from sim.connect.campaigns import (
    COMPLETABLE,
    STOPPED,
    TRANSITIONS,
    Campaign,
    campaign_arn,
    complete,
    from_v1,
    from_v2,
    resource_errors,
    transition,
)
from sim.connect.config import CoreConfig
from sim.connect.errors import (
    CAMPAIGNS_V1,
    CAMPAIGNS_V2,
    Context,
    ServiceError,
    join_problems,
    not_found,
    validate,
    validation_error,
)
from sim.connect.ids import new_uuid
from sim.connect.models_campaign import CREATE_CAMPAIGN_V1
from sim.connect.models_campaign_v2 import CREATE_CAMPAIGN_V2
from sim.domain import EventSink, EventType

SERVICE = {"v1": CAMPAIGNS_V1, "v2": CAMPAIGNS_V2}


class CampaignRegistry:
    """The campaigns of one core, by id, in creation order."""

    def __init__(
        self, config: CoreConfig, rng: random.Random, sink: EventSink, buffers: Buffers
    ) -> None:
        self.config = config
        self.rng = rng
        self.sink = sink
        self.buffers = buffers
        self.by_id: dict[str, Campaign] = {}
        self._next_seq = 1

    def create(
        self,
        request: Mapping[str, Any],
        *,
        api: str,
        now: float,
        campaign_id: str | None = None,
        context: Context = None,
    ) -> str:
        """Create a campaign from its wire CreateCampaign request of ``api`` ("v1"/"v2").

        Returns its id (an RNG UUID unless ``campaign_id`` is given). Raises
        ValidationException (shape, or a queue / number / flow the instance
        lacks), ResourceNotFoundException (other instance),
        ServiceQuotaExceededException (max_campaigns), ConflictException (id taken).
        """
        service = SERVICE[api]
        v1 = api == "v1"
        req = validate(CREATE_CAMPAIGN_V1 if v1 else CREATE_CAMPAIGN_V2, service, request, context)
        # The request alone first (shape, then settings), then the resources.
        c = Campaign("", api, req.name, "", now)
        (from_v1 if v1 else from_v2)(req, c)
        if req.connectInstanceId != self.config.instance_id:
            raise not_found(service, f"instance {req.connectInstanceId!r}")
        if len(self.by_id) >= self.config.max_campaigns:
            raise ServiceError(
                "ServiceQuotaExceededException", "too many campaigns", service=service
            )
        if campaign_id is not None and campaign_id in self.by_id:
            raise ServiceError(
                "ConflictException", f"campaign {campaign_id!r} exists", service=service
            )
        errors = resource_errors(self.config, c)
        if errors:
            raise validation_error(service, join_problems(errors))
        c.id = campaign_id if campaign_id is not None else new_uuid(self.rng)
        c.arn = campaign_arn(self.config, c.id)
        c.seq, self._next_seq = self._next_seq, self._next_seq + 1
        payload = {"name": c.name, "mode": c.mode, "queue_id": c.queue_id, "api": api}
        self.sink.append([c.event(EventType.CAMPAIGN_CREATED, now, payload)])
        self.by_id[c.id] = c
        self.buffers.add_campaign(c.id, c.amd_enabled, c.communication_time)
        return c.id

    def calling_hours_changed(self, campaign_id: str) -> None:
        """A campaign's communicationTimeConfig changed (Initialized: nothing waits)."""
        c = self.by_id[campaign_id]
        self.buffers.by_campaign[campaign_id].set_calling_hours(c.communication_time)

    def lookup(self, service: str, campaign_id: str) -> Campaign:
        """A campaign of ``service``'s API; ResourceNotFoundException if unknown or of
        the other API."""
        c = self.by_id.get(campaign_id)
        if c is None or SERVICE[c.api] != service:
            raise not_found(service, f"campaign {campaign_id!r}")
        return c

    def lookup_v2(self, campaign_id: str) -> Campaign:
        """A v2 campaign; ResourceNotFoundException if unknown or of v1."""
        return self.lookup(CAMPAIGNS_V2, campaign_id)

    def get(self, campaign_id: str) -> Campaign:
        """A campaign of either API; ResourceNotFoundException if unknown."""
        c = self.by_id.get(campaign_id)
        if c is None:
            raise not_found(CAMPAIGNS_V1, f"campaign {campaign_id!r}")
        return c

    def state(self, campaign_id: str) -> str | None:
        """A campaign's state, or None if there is no such campaign (deleted)."""
        c = self.by_id.get(campaign_id)
        return None if c is None else c.state

    def all(self) -> list[Campaign]:
        """All campaigns, in creation order."""
        return list(self.by_id.values())

    def transition(self, c: Campaign, operation: str, now: float) -> None:
        """Start, Pause, Resume or Stop ``c``; a stop ends its buffer EXPIRED."""
        events = [transition(c, operation, SERVICE[c.api], now)]
        if c.state == STOPPED:
            events += self.buffers.by_campaign[c.id].drain(now, REASON_STOPPED)
        self.sink.append(events)

    def delete(self, c: Campaign, now: float) -> None:
        """Delete ``c``, stopping it first if it runs or is paused (DeleteCampaign has
        no InvalidCampaignStateException in either model)."""
        if c.state in TRANSITIONS["StopCampaign"][0]:
            self.transition(c, "StopCampaign", now)
        del self.by_id[c.id]
        del self.buffers.by_campaign[c.id]

    def next_schedule_end(self) -> float | None:
        """Earliest schedule end among Running / Paused v2 campaigns, if any."""
        ends = [
            c.schedule.end
            for c in self.by_id.values()
            if c.schedule is not None and c.state in COMPLETABLE
        ]
        return min(ends, default=None)

    def complete_due(self, now: float) -> list[str]:
        """Complete every Running / Paused campaign whose schedule ended by ``now``
        (CAMPAIGN_STATE_CHANGED to Completed; its buffer ends EXPIRED with reason
        ``campaign_completed``). The ids completed, in creation order."""
        done = []
        for c in self.by_id.values():
            if c.schedule is not None and c.state in COMPLETABLE and c.schedule.end <= now:
                events = [
                    complete(c, now),
                    *self.buffers.by_campaign[c.id].drain(now, REASON_COMPLETED),
                ]
                self.sink.append(events)
                done.append(c.id)
        return done
