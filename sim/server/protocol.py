"""The AWS rest-json protocol, as botocore speaks it, for the operations we serve.

Requests: URI path parameters plus the JSON body make the core's request
dict (the members of the operation's input shape; all our operations carry
their non-body members in the URI). Responses: the core's response dict as
JSON, status 200. Errors: the error type in the ``x-amzn-ErrorType`` header
(botocore reads the code from there) and a JSON body with the message under
both ``message`` (campaigns models) and ``Message`` (connect model), plus
the error's extra members such as ``state`` of InvalidCampaignStateException.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

from sim.connect import ServiceError

CONNECT = "connect"
CAMPAIGNS_V1 = "connectcampaigns"
CAMPAIGNS_V2 = "connectcampaignsv2"

# botocore sends application/json for rest-json bodies (and nothing for an
# empty body); the x-amz-json types are accepted because other SDKs and
# hand-rolled clients send them to JSON services.
JSON_MEDIA_TYPES = frozenset(
    {"application/json", "application/x-amz-json-1.0", "application/x-amz-json-1.1"}
)
MAX_BODY_BYTES = 1 << 20  # 1 MiB; the largest legal batch is far below it


def validation_code(service: str) -> str:
    """The 400 "bad input" error type of a service's model."""
    return "InvalidRequestException" if service == CONNECT else "ValidationException"


def service_of_path(path: str) -> str:
    """Which service a path most likely addressed (for errors of unknown paths)."""
    if path.startswith("/v2/"):
        return CAMPAIGNS_V2
    if path.startswith("/campaigns"):
        return CAMPAIGNS_V1
    return CONNECT


def serialization_error(service: str, message: str) -> ServiceError:
    """SerializationException (400): the body is not the JSON object expected."""
    return ServiceError("SerializationException", message, status=400, service=service)


def unsupported_media_type(service: str, content_type: str) -> ServiceError:
    """The service's validation error, with status 415 Unsupported Media Type."""
    accepted = ", ".join(sorted(JSON_MEDIA_TYPES))
    return ServiceError(
        validation_code(service),
        f"Content-Type {content_type!r} is not supported; send one of {accepted}",
        status=415,
        service=service,
    )


def too_large(service: str, limit: int) -> ServiceError:
    """RequestEntityTooLargeException (413) for a body over ``limit`` bytes."""
    return ServiceError(
        "RequestEntityTooLargeException",
        f"Request body exceeds {limit} bytes",
        status=413,
        service=service,
    )


def unknown_operation(service: str, method: str, path: str, status: int = 404) -> ServiceError:
    """UnknownOperationException: no served operation has this method and path."""
    return ServiceError(
        "UnknownOperationException",
        f"No operation at {method} {path} in this simulator",
        status=status,
        service=service,
    )


def internal_error(service: str, message: str) -> ServiceError:
    """The service's internal error type (500)."""
    code = "InternalServiceException" if service == CONNECT else "InternalServerException"
    return ServiceError(code, message, status=500, service=service)


def media_type(content_type: str | None) -> str | None:
    """The bare media type of a Content-Type header (no parameters), lower case."""
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def decode_body(raw: bytes, content_type: str | None, service: str) -> dict[str, Any]:
    """The JSON object of a request body; an empty body is ``{}``.

    Raises the service's validation error (415) for a media type other than
    JSON, SerializationException for text that is not one JSON object.
    """
    kind = media_type(content_type)
    if not raw.strip():
        return {}
    if kind is not None and kind not in JSON_MEDIA_TYPES:
        raise unsupported_media_type(service, kind)
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise serialization_error(service, f"Malformed JSON body: {exc}") from None
    if not isinstance(data, dict):
        raise serialization_error(service, "The request body must be a JSON object")
    return data


def build_request(body: Mapping[str, Any], path_params: Mapping[str, str]) -> dict[str, Any]:
    """The core's request dict: body members, then URI members (the URI wins)."""
    return {**body, **path_params}


def _headers(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    # uuid4 draws from os.urandom, never from the run's seeded RNG, so request
    # ids do not disturb the simulation's reproducibility.
    headers = {"x-amzn-RequestId": str(uuid.uuid4())}
    if extra:
        headers.update(extra)
    return headers


def ok_response(body: Mapping[str, Any]) -> Response:
    """A 200 response with the JSON body of an operation's output."""
    return Response(orjson.dumps(body), 200, _headers(), media_type="application/json")


def error_body(error: ServiceError) -> dict[str, Any]:
    """The JSON body of an error: the message under both spellings, then extras."""
    return {"message": error.message, "Message": error.message, **error.extra}


def error_response(error: ServiceError, headers: Mapping[str, str] | None = None) -> Response:
    """The AWS wire form of ``error``: status, ``x-amzn-ErrorType`` and JSON body."""
    return Response(
        orjson.dumps(error_body(error)),
        error.status,
        _headers({"x-amzn-ErrorType": error.code, **(headers or {})}),
        media_type="application/json",
    )
