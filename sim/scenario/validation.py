"""Cross-field checks: rules that span several parts of a scenario.

They run on whichever parts validated on their own, so a planner sees the
reference and sum errors even while other keys still have errors. Each error
is one ``"location: message"`` line.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from sim.scenario.agents import AgentGroup
from sim.scenario.campaigns import CAMPAIGN_ID_PATTERNS, Campaign
from sim.scenario.csvlist import check_csv
from sim.scenario.limits import LATEST_END, MAX_AGENTS, MAX_INTERVALS
from sim.scenario.sources import CsvSource
from sim.scenario.telephony import Instance
from sim.scenario.units import Instant, PositiveDuration, format_duration, format_time_of_day

M = TypeVar("M", bound=BaseModel)
SUM_TOLERANCE = 1e-9
_INSTANT: TypeAdapter[Any] = TypeAdapter(Instant)
_POSITIVE: TypeAdapter[Any] = TypeAdapter(PositiveDuration)

# What each schedule action needs the campaign to be in, and what it leads to.
_ALLOWED_FROM = {
    "start": {"initialized"},
    "pause": {"running"},
    "resume": {"paused"},
    "stop": {"running", "paused"},
}
_LEADS_TO = {"start": "running", "pause": "paused", "resume": "running", "stop": "stopped"}
_STATE_HINT = {
    "initialized": "the campaign has not been started yet",
    "running": "the campaign is already running",
    "paused": "the campaign is paused",
    "stopped": "the campaign is stopped and cannot be restarted",
}


@dataclass(frozen=True)
class Parts:
    """The parts of a scenario that validated, with their list positions."""

    instance: Instance | None
    agent_groups: list[tuple[int, AgentGroup]] = field(default_factory=list)
    campaigns: list[tuple[int, Campaign]] = field(default_factory=list)
    start: datetime | None = None
    horizon: float | None = None
    interval: float | None = None


def _try(model: type[M], raw: Any, context: Mapping[str, Any]) -> M | None:
    try:
        return model.model_validate(raw, context=dict(context))
    except ValidationError:
        return None  # already reported by the full validation


def _try_list(model: type[M], raw: Any, context: Mapping[str, Any]) -> list[tuple[int, M]]:
    if not isinstance(raw, list | tuple):
        return []
    parsed = ((i, _try(model, item, context)) for i, item in enumerate(raw))
    return [(i, part) for i, part in parsed if part is not None]


def _try_value(
    adapter: TypeAdapter[Any], data: Mapping[str, Any], key: str, defaults: Mapping[str, Any]
) -> Any:
    if key not in data:
        return defaults.get(key)
    try:
        return adapter.validate_python(data[key])
    except ValidationError:
        return None  # already reported by the full validation


def salvage(
    data: Mapping[str, Any], context: Mapping[str, Any], defaults: Mapping[str, Any]
) -> Parts:
    """The parts of raw scenario data that validate on their own; ``defaults`` are
    the Scenario's for the keys left out (none for required keys)."""
    if "instance" in data:
        instance = _try(Instance, data["instance"], context)
    else:
        instance = defaults.get("instance")
    return Parts(
        instance,
        _try_list(AgentGroup, data.get("agent_groups"), context),
        _try_list(Campaign, data.get("campaigns"), context),
        _try_value(_INSTANT, data, "start", defaults),
        _try_value(_POSITIVE, data, "horizon", defaults),
        _try_value(_POSITIVE, data, "interval", defaults),
    )


def cross_field_errors(parts: Parts) -> list[str]:
    """Every cross-field error, as ``"location: message"`` lines."""
    errors = _time_limits(parts) + _peak_agents(parts)
    errors += _unique_keys(parts)
    errors += _references(parts)
    for index, campaign in parts.campaigns:
        where = f"campaigns[{index}]"
        errors += _campaign_rules(where, campaign)
        errors += _schedule_order(where, campaign)
        errors += _csv_columns(where, campaign)
    errors += _shared_capacity(parts)
    return errors


def _time_limits(parts: Parts) -> list[str]:
    errors = []
    if parts.start is not None and parts.horizon is not None:
        end = parts.start.timestamp() + parts.horizon
        if end > LATEST_END.timestamp():
            errors.append(
                f"horizon: start + horizon must be at or before {LATEST_END.isoformat()}"
                f" (it ends {datetime.fromtimestamp(end, UTC).isoformat()})"
            )
    if parts.horizon is not None and parts.interval is not None:
        count = math.ceil(parts.horizon / parts.interval)
        if count > MAX_INTERVALS:
            errors.append(
                f"interval: {format_duration(parts.interval)} makes {count:,} reporting"
                f" intervals over the horizon (at most {MAX_INTERVALS:,}); make it longer"
            )
    return errors


def _peak_agents(parts: Parts) -> list[str]:
    groups = [g for _, g in parts.agent_groups]
    times = sorted({t for g in groups for t in g.boundaries()})
    peak, when = max(((sum(g.agents_at(t) for g in groups), t) for t in times), default=(0, 0.0))
    if peak <= MAX_AGENTS:
        return []
    return [
        f"agent_groups: {peak:,} agents are scheduled at once at {format_time_of_day(when)}"
        f" over all groups (at most {MAX_AGENTS:,})"
    ]


def _unique_keys(parts: Parts) -> list[str]:
    errors = []
    for kind, key, items in (
        ("agent_groups", "name", [(i, g.name) for i, g in parts.agent_groups]),
        ("campaigns", "id", [(i, c.id) for i, c in parts.campaigns]),
    ):
        first: dict[str, int] = {}
        for index, value in items:
            if value in first:
                errors.append(
                    f"{kind}[{index}].{key}: duplicate {key} {value!r}"
                    f" (also {kind}[{first[value]}])"
                )
            first.setdefault(value, index)
    return errors


def _references(parts: Parts) -> list[str]:
    if parts.instance is None:
        return []
    queues, numbers = list(parts.instance.queues), list(parts.instance.phone_numbers)
    errors = [
        f"agent_groups[{i}].queue: {g.queue!r} is not one of instance.queues {queues}"
        for i, g in parts.agent_groups
        if g.queue not in queues
    ]
    for i, c in parts.campaigns:
        if c.queue is not None and c.needs_agents and c.queue not in queues:
            errors.append(
                f"campaigns[{i}].queue: {c.queue!r} is not one of instance.queues {queues}"
            )
        if c.source_phone_number is not None and c.source_phone_number not in numbers:
            errors.append(
                f"campaigns[{i}].source_phone_number: {c.source_phone_number!r} is not claimed"
                f" by the instance (instance.phone_numbers {numbers})"
            )
    return errors


def _campaign_rules(where: str, campaign: Campaign) -> list[str]:
    errors = []
    if campaign.needs_agents and campaign.queue is None:
        errors.append(f"{where}.queue: required for {campaign.mode} campaigns")
    if not campaign.needs_agents and campaign.queue is not None:
        errors.append(f"{where}.queue: agentless campaigns use no agents; remove the queue")
    pattern, allowed = CAMPAIGN_ID_PATTERNS[campaign.api]
    if not pattern.fullmatch(campaign.id):
        errors.append(
            f"{where}.id: {campaign.id!r} is not a campaign id the {campaign.api} API"
            f" accepts ({allowed})"
        )
    if campaign.mode == "preview" and campaign.api != "v2":
        errors.append(f"{where}.api: preview mode requires api v2 (PutOutboundRequestBatch)")
    return errors


def _schedule_order(where: str, campaign: Campaign) -> list[str]:
    errors = []
    state = "running" if campaign.starts_running() else "initialized"
    previous_at = 0.0
    for i, entry in enumerate(campaign.schedule):
        loc = f"{where}.schedule[{i}]"
        if entry.at < previous_at:
            errors.append(
                f"{loc}.at: {format_duration(entry.at)} is earlier than the entry before"
                f" ({format_duration(previous_at)}); list entries in time order"
            )
        previous_at = max(previous_at, entry.at)
        if state not in _ALLOWED_FROM[entry.action]:
            errors.append(
                f"{loc}.action: cannot {entry.action} at {format_duration(entry.at)}:"
                f" {_STATE_HINT[state]}"
            )
        else:
            state = _LEADS_TO[entry.action]
    return errors


def _csv_columns(where: str, campaign: Campaign) -> list[str]:
    errors: list[str] = []
    for i, source in enumerate(campaign.sources):
        if isinstance(source, CsvSource):
            errors += _check_csv(f"{where}.sources[{i}]", source)
    return errors


def _check_csv(loc: str, source: CsvSource) -> list[str]:
    name = source.path.name
    try:
        problems = check_csv(source.path, source.phone_column, source.attribute_columns)
    except OSError as exc:
        return [f"{loc}.path: cannot read {name}: {exc}"]
    return [f"{loc}.{key}: {message}" for key, message in problems]


def _shared_capacity(parts: Parts) -> list[str]:
    by_queue: dict[str, list[Campaign]] = defaultdict(list)
    for _, campaign in parts.campaigns:
        if campaign.needs_agents and campaign.queue is not None:
            by_queue[campaign.queue].append(campaign)
    errors = []
    for queue, campaigns in by_queue.items():
        total = math.fsum(c.bandwidth_allocation for c in campaigns)
        if total > 1.0 + SUM_TOLERANCE:
            shares = ", ".join(f"{c.id} {c.bandwidth_allocation:g}" for c in campaigns)
            errors.append(
                f"campaigns: bandwidth_allocation of the campaigns on queue {queue!r}"
                f" sums to {total:g} (more than 1): {shares}"
            )
    agentless = [c for _, c in parts.campaigns if not c.needs_agents]
    total = math.fsum(c.dialing_capacity for c in agentless)
    if total > 1.0 + SUM_TOLERANCE:
        shares = ", ".join(f"{c.id} {c.dialing_capacity:g}" for c in agentless)
        errors.append(
            f"campaigns: dialing_capacity of the agentless campaigns sums to {total:g}"
            f" (more than 1): {shares}"
        )
    return errors
