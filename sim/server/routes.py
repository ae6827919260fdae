"""The operations the server answers, with their HTTP method and request URI.

Method and URI of each operation are copied from botocore's service models
(``http.method`` / ``http.requestUri`` of connect 2017-08-08, connectcampaigns
2021-01-30 and connectcampaignsv2 2024-04-23); tests/server/test_routes.py
checks every row against the installed botocore, so the table cannot drift
while the server itself needs no botocore at run time. All input members
outside the JSON body are URI labels (``{name}``), which the test checks too.
"""

from __future__ import annotations

from typing import NamedTuple

from sim.server.protocol import CAMPAIGNS_V1, CAMPAIGNS_V2, CONNECT


class Operation(NamedTuple):
    """One served operation: its service, name, HTTP method and URI template."""

    service: str
    name: str
    method: str
    uri: str


_CAMPAIGN_OPS: tuple[tuple[str, str, str], ...] = (
    ("CreateCampaign", "PUT", "/campaigns"),
    ("DescribeCampaign", "GET", "/campaigns/{id}"),
    ("DeleteCampaign", "DELETE", "/campaigns/{id}"),
    ("StartCampaign", "POST", "/campaigns/{id}/start"),
    ("PauseCampaign", "POST", "/campaigns/{id}/pause"),
    ("ResumeCampaign", "POST", "/campaigns/{id}/resume"),
    ("StopCampaign", "POST", "/campaigns/{id}/stop"),
    ("GetCampaignState", "GET", "/campaigns/{id}/state"),
)

# The v2 operations that shape a dialing day (sim/connect/v2ops.py).
_V2_SETTINGS_OPS: tuple[tuple[str, str, str], ...] = (
    ("UpdateCampaignCommunicationTime", "POST", "/v2/campaigns/{id}/communication-time"),
    ("UpdateCampaignCommunicationLimits", "POST", "/v2/campaigns/{id}/communication-limits"),
    ("UpdateCampaignSchedule", "POST", "/v2/campaigns/{id}/schedule"),
    (
        "PutInstanceCommunicationLimits",
        "PUT",
        "/v2/connect-instance/{connectInstanceId}/communication-limits",
    ),
    (
        "GetInstanceCommunicationLimits",
        "GET",
        "/v2/connect-instance/{connectInstanceId}/communication-limits",
    ),
    ("ListCampaigns", "POST", "/v2/campaigns-summary"),
)

OPERATIONS: tuple[Operation, ...] = (
    Operation(CONNECT, "BatchPutContact", "PUT", "/contact/batch/{InstanceId}"),
    Operation(CONNECT, "DescribeContact", "GET", "/contacts/{InstanceId}/{ContactId}"),
    *(Operation(CAMPAIGNS_V1, name, method, uri) for name, method, uri in _CAMPAIGN_OPS),
    Operation(CAMPAIGNS_V1, "GetCampaignStateBatch", "POST", "/campaigns-state"),
    Operation(CAMPAIGNS_V1, "PutDialRequestBatch", "PUT", "/campaigns/{id}/dial-requests"),
    *(Operation(CAMPAIGNS_V2, name, method, "/v2" + uri) for name, method, uri in _CAMPAIGN_OPS),
    Operation(
        CAMPAIGNS_V2, "PutOutboundRequestBatch", "PUT", "/v2/campaigns/{id}/outbound-requests"
    ),
    *(Operation(CAMPAIGNS_V2, name, method, uri) for name, method, uri in _V2_SETTINGS_OPS),
)


def by_path() -> dict[str, dict[str, Operation]]:
    """URI template -> {HTTP method -> operation}, in table order."""
    table: dict[str, dict[str, Operation]] = {}
    for op in OPERATIONS:
        methods = table.setdefault(op.uri, {})
        if op.method in methods:
            raise ValueError(f"two operations at {op.method} {op.uri}")
        methods[op.method] = op
    return table
