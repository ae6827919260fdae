"""Scenario campaigns <-> the wire CreateCampaign requests of the core.

The scenario describes a campaign in planner's terms; the core knows it by
its API shape. ``create_request`` translates the first into the second, so
the engine creates campaigns exactly as a client of the real API would;
``config_from_api`` goes the other way for a campaign a client created.
"""

from __future__ import annotations

from typing import Any

from sim.connect import Campaign as CoreCampaign
from sim.scenario import Campaign as ScenarioCampaign
from sim.scenario import Instance


def _amd(config: ScenarioCampaign) -> dict[str, Any]:
    return {
        "enableAnswerMachineDetection": config.answering_machine_detection,
        "awaitAnswerMachinePrompt": config.await_answer_machine_prompt,
    }


def create_request(instance: Instance, config: ScenarioCampaign) -> dict[str, Any]:
    """The wire CreateCampaign request (v1 or v2) for a scenario campaign."""
    if config.api == "v1":
        return _create_v1(instance, config)
    return _create_v2(instance, config)


def _create_v1(instance: Instance, config: ScenarioCampaign) -> dict[str, Any]:
    mode = config.mode
    if mode == "agentless":
        dialer: dict[str, Any] = {
            "agentlessDialerConfig": {"dialingCapacity": config.dialing_capacity}
        }
    else:
        key = "predictiveDialerConfig" if mode == "predictive" else "progressiveDialerConfig"
        dialer = {
            key: {
                "bandwidthAllocation": config.bandwidth_allocation,
                "dialingCapacity": config.dialing_capacity,
            }
        }
    outbound: dict[str, Any] = {
        "connectContactFlowId": instance.contact_flow_id,
        "connectSourcePhoneNumber": config.source_phone_number or instance.phone_numbers[0],
        "answerMachineDetectionConfig": _amd(config),
    }
    if mode != "agentless":
        outbound["connectQueueId"] = config.queue
    return {
        "name": config.name or config.id,
        "connectInstanceId": instance.id,
        "dialerConfig": dialer,
        "outboundCallConfig": outbound,
    }


def _create_v2(instance: Instance, config: ScenarioCampaign) -> dict[str, Any]:
    mode = config.mode
    outbound_mode: dict[str, Any]
    if mode == "agentless":
        outbound_mode = {"agentless": {}}
    elif mode == "preview":
        outbound_mode = {
            "preview": {
                "bandwidthAllocation": config.bandwidth_allocation,
                "timeoutConfig": {"durationInSeconds": int(config.preview.timeout)},
            }
        }
    else:
        outbound_mode = {mode: {"bandwidthAllocation": config.bandwidth_allocation}}
    telephony: dict[str, Any] = {
        "capacity": config.dialing_capacity,
        "outboundMode": outbound_mode,
        "defaultOutboundConfig": {
            "connectContactFlowId": instance.contact_flow_id,
            "connectSourcePhoneNumber": config.source_phone_number or instance.phone_numbers[0],
            "answerMachineDetectionConfig": _amd(config),
        },
    }
    if mode != "agentless":
        telephony["connectQueueId"] = config.queue
    request: dict[str, Any] = {
        "name": config.name or config.id,
        "connectInstanceId": instance.id,
        "channelSubtypeConfig": {"telephony": telephony},
    }
    if config.communication_time is not None:
        request["communicationTimeConfig"] = config.communication_time.wire()
    if config.communication_limits is not None:
        request["communicationLimitsOverride"] = config.communication_limits.wire()
    if config.campaign_schedule is not None:
        request["schedule"] = config.campaign_schedule.wire()
    return request


def config_from_api(view: CoreCampaign) -> ScenarioCampaign:
    """The scenario campaign for one created through the API (the HTTP face).

    Its settings come from the core's view of the CreateCampaign request;
    call outcomes and durations stay the scenario's.
    """
    return ScenarioCampaign.model_validate(
        {
            "id": view.id,
            "name": view.name,
            "mode": view.mode,
            "api": view.api,
            "queue": None if view.mode == "agentless" else view.queue_id,
            "bandwidth_allocation": min(1.0, view.bandwidth_allocation or 1.0),
            "dialing_capacity": view.dialing_capacity or 1.0,
            "source_phone_number": view.source_phone_number,
            "answering_machine_detection": view.amd_enabled,
            "await_answer_machine_prompt": view.await_answer_machine_prompt,
            **_api_settings(view),
        }
    )


def _api_settings(view: CoreCampaign) -> dict[str, Any]:
    """Scenario keys for the dialer settings a client gave CreateCampaign.

    Ring timeout (v2), preview timeout, and the abandonment-rate pacing
    strategy (target, connection start point and threshold, evaluation
    window); what the client left out keeps the scenario's defaults.
    """
    settings: dict[str, Any] = {}
    if view.ring_timeout_s is not None:
        settings["ring_timeout"] = view.ring_timeout_s
    if view.preview_timeout_s is not None:
        settings["preview"] = {"timeout": view.preview_timeout_s}
    predictive = {
        key: value
        for key, value in (
            ("target_abandonment", view.abandonment_target),
            ("connection_start_point", view.connection_start_point),
            ("connection_threshold", view.connection_threshold_s),
            ("evaluation_window", view.evaluation_window_s),
        )
        if value is not None
    }
    if predictive:
        settings["predictive"] = predictive
    return settings
