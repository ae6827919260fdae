"""The operations the server answers, their URIs and URI labels, and the router.

Method and URI of each operation are copied from botocore's service models
(``http.method`` / ``http.requestUri`` of connect 2017-08-08, connectcampaigns
2021-01-30 and connectcampaignsv2 2024-04-23), and so are the length and
pattern of every URI label (``LABELS``); tests/server/test_routes.py checks
every row against the installed botocore, so the tables cannot drift while
the server itself needs no botocore at run time. All input members outside
the JSON body are URI labels (``{name}``), which the test checks too.

Routing is on the raw (still percent-encoded) path: botocore encodes ``/``
and ``:`` inside a label (a v2 campaign id may hold both), so a label is
whatever lies between two raw slashes, percent-decoded after matching. A new
operation is one more row of ``OPERATIONS`` (plus a ``LABELS`` row for a new
label); nothing else changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import NamedTuple
from urllib.parse import unquote_to_bytes

from sim.connect import ServiceError
from sim.server.protocol import CAMPAIGNS_V1, CAMPAIGNS_V2, CONNECT, validation_code


class Operation(NamedTuple):
    """One served operation: its service, name, HTTP method and URI template."""

    service: str
    name: str
    method: str
    uri: str


class Label(NamedTuple):
    """The constraints of a URI label's string shape in the botocore model.

    ``pattern`` is the model's regular expression (Java syntax, matched
    against the whole value; ``\\S`` and ``\\s`` are ASCII classes there).
    """

    min: int
    max: int
    pattern: str | None = None


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

# Simulator extensions: not AWS operations, so not in OPERATIONS (nor checked
# against botocore). Unauthenticated and read-only.
DIAL_REQUEST = Operation(CONNECT, "GetDialRequest", "GET", "/_sim/dial-requests/{id}")
EXTENSIONS: tuple[Operation, ...] = (DIAL_REQUEST,)

# (service, label) -> its shape's constraints in that service's model.
LABELS: dict[tuple[str, str], Label] = {
    (CONNECT, "InstanceId"): Label(1, 100),
    (CONNECT, "ContactId"): Label(1, 256),
    (CONNECT, "id"): Label(1, 256),  # the dial request id of the extension
    (CAMPAIGNS_V1, "id"): Label(0, 256, r"[\S]*"),
    (CAMPAIGNS_V2, "id"): Label(1, 256, r"[-:/a-zA-Z0-9]+"),
    (CAMPAIGNS_V2, "connectInstanceId"): Label(1, 256, r"[-_.a-zA-Z0-9]+"),
}

_LABEL = re.compile(r"\{(\w+)\}", re.ASCII)


def labels_of(uri: str) -> list[str]:
    """The label names of a URI template, in order."""
    return _LABEL.findall(uri)


def by_path(operations: Iterable[Operation] = OPERATIONS) -> dict[str, dict[str, Operation]]:
    """URI template -> {HTTP method -> operation}, in table order."""
    table: dict[str, dict[str, Operation]] = {}
    for op in operations:
        methods = table.setdefault(op.uri, {})
        if op.method in methods:
            raise ValueError(f"two operations at {op.method} {op.uri}")
        methods[op.method] = op
    return table


class _Template(NamedTuple):
    regex: re.Pattern[bytes]
    labels: tuple[str, ...]
    ops: Mapping[str, Operation]


class Match(NamedTuple):
    """What a request line addressed: the operation and its raw labels, or
    (no operation) the methods the path allows (empty: an unknown path)."""

    op: Operation | None
    raw_labels: dict[str, bytes]
    allowed: tuple[str, ...]


def _compile(uri: str, ops: Mapping[str, Operation]) -> _Template:
    parts = re.split(r"(\{\w+\})", uri)
    regex = "".join(
        "([^/]+)" if _LABEL.fullmatch(part) else re.escape(part) for part in parts if part
    )
    for op in ops.values():
        for name in labels_of(uri):
            if (op.service, name) not in LABELS:
                raise ValueError(f"no LABELS row for {op.service} label {name!r} of {uri}")
    return _Template(re.compile(regex.encode("ascii")), tuple(labels_of(uri)), ops)


class Router:
    """Matches a method and raw path to an operation; decodes and checks labels."""

    def __init__(self, operations: Iterable[Operation] = OPERATIONS + EXTENSIONS) -> None:
        self._templates = [_compile(uri, ops) for uri, ops in by_path(operations).items()]

    def match(self, method: str, raw_path: bytes) -> Match:
        """The operation at ``method raw_path`` (labels still percent-encoded)."""
        allowed: set[str] = set()
        found: list[tuple[int, Operation, dict[str, bytes]]] = []
        for template in self._templates:
            m = template.regex.fullmatch(raw_path)
            if m is None:
                continue
            op = template.ops.get(method)
            if op is None:
                allowed.update(template.ops)
                continue
            found.append(
                (len(template.labels), op, dict(zip(template.labels, m.groups(), strict=True)))
            )
        if found:
            # The most literal template wins (fewest labels).
            _, op, raw = min(found, key=lambda f: f[0])
            return Match(op, raw, ())
        return Match(None, {}, tuple(sorted(allowed)))

    def labels(self, op: Operation, raw_labels: Mapping[str, bytes]) -> dict[str, str]:
        """Percent-decode each label and check it against the model's shape.

        Raises the service's validation error (400) naming every bad label,
        before anything is looked up.
        """
        values: dict[str, str] = {}
        problems: list[str] = []
        for name, raw in raw_labels.items():
            try:
                value = unquote_to_bytes(raw).decode("utf-8")
            except UnicodeDecodeError:
                problems.append(f"{name}: is not percent-encoded UTF-8")
                continue
            rule = LABELS[(op.service, name)]
            problem = label_problem(value, rule)
            if problem is not None:
                problems.append(f"{name}: {problem}")
            values[name] = value
        if problems:
            raise ServiceError(validation_code(op.service), "; ".join(problems), service=op.service)
        return values


def label_problem(value: str, rule: Label) -> str | None:
    """Why ``value`` breaks ``rule`` (length first, then pattern), or None."""
    if not rule.min <= len(value) <= rule.max:
        return f"length {len(value)} is outside {rule.min}..{rule.max}"
    if rule.pattern is not None and re.fullmatch(rule.pattern, value, re.ASCII) is None:
        return f"does not match the pattern {rule.pattern}"
    return None
