"""Service errors in AWS's vocabulary, pydantic errors rendered as AWS paths, and
the validation of a request that raises them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError

CONNECT = "connect"
CAMPAIGNS_V1 = "connectcampaigns"
CAMPAIGNS_V2 = "connectcampaignsv2"
SERVICES = (CONNECT, CAMPAIGNS_V1, CAMPAIGNS_V2)

# Error type names differ between Amazon Connect and the campaigns services.
_NAMES: dict[str, dict[str, str]] = {
    "validation": {CONNECT: "InvalidRequestException", "campaigns": "ValidationException"},
    "throttling": {CONNECT: "LimitExceededException", "campaigns": "ThrottlingException"},
    "internal": {CONNECT: "InternalServiceException", "campaigns": "InternalServerException"},
}

STATUS: dict[str, int] = {
    "AccessDeniedException": 403,
    "InvalidRequestException": 400,
    "ValidationException": 400,
    "ResourceNotFoundException": 404,
    "UnknownOperationException": 404,
    "IdempotencyException": 409,
    "ConflictException": 409,
    "InvalidCampaignStateException": 409,
    "LimitExceededException": 429,
    "ThrottlingException": 429,
    "ServiceQuotaExceededException": 402,
    "InternalServiceException": 500,
    "InternalServerException": 500,
}

# Map members whose next location segment is a key, rendered as member["key"].
_MAP_MEMBERS = frozenset({"Attributes", "attributes", "tags", "templateParameters"})


class ServiceError(Exception):
    """A request-level failure, as the AWS service would return it.

    ``code`` is the AWS error type name, ``status`` its HTTP status,
    ``extra`` the additional members of the error body (e.g. ``state`` of
    InvalidCampaignStateException). ``service`` tells :meth:`body` whether
    the body member is ``Message`` (connect) or ``message`` (campaigns).
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        extra: Mapping[str, Any] | None = None,
        service: str = CONNECT,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.status = STATUS.get(code, 400) if status is None else status
        self.message = message
        self.extra: dict[str, Any] = dict(extra or {})
        self.service = service

    def body(self) -> dict[str, Any]:
        """The JSON error body of the rest-json protocol (the type goes in a header)."""
        key = "Message" if self.service == CONNECT else "message"
        return {key: self.message, **self.extra}


def _family(service: str) -> str:
    return CONNECT if service == CONNECT else "campaigns"


def validation_error(service: str, message: str) -> ServiceError:
    """InvalidRequestException (connect) or ValidationException (campaigns), 400."""
    return ServiceError(_NAMES["validation"][_family(service)], message, service=service)


def throttling_error(service: str, operation: str) -> ServiceError:
    """LimitExceededException (connect) or ThrottlingException (campaigns), 429."""
    code = _NAMES["throttling"][_family(service)]
    return ServiceError(code, f"Rate exceeded for {operation}", service=service)


def internal_error(service: str) -> ServiceError:
    """InternalServiceException (connect) or InternalServerException (campaigns), 500."""
    code = _NAMES["internal"][_family(service)]
    return ServiceError(code, "Injected internal failure", service=service)


def not_found(service: str, what: str) -> ServiceError:
    """ResourceNotFoundException, 404."""
    return ServiceError("ResourceNotFoundException", f"{what} not found", service=service)


def format_loc(loc: Iterable[int | str]) -> str:
    """Render a pydantic location as an AWS member path: ``a[2].b["k"]``."""
    out: list[str] = []
    prev: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif part == "[key]":
            out.append("(key)")
        elif prev in _MAP_MEMBERS:
            out.append(f'["{part}"]')
        else:
            out.append(f".{part}" if out else part)
        prev = part
    return "".join(out) or "(request)"


MAX_PROBLEMS = 100
"""Problems a message names before it only counts the rest: a 1 MiB body can
hold ~80,000 bad members, and naming each made a 24 MB answer."""


def join_problems(problems: Sequence[str]) -> str:
    """The problems joined by ``; ``: the first MAX_PROBLEMS, then how many more."""
    shown = "; ".join(problems[:MAX_PROBLEMS])
    more = len(problems) - MAX_PROBLEMS
    return shown if more <= 0 else f"{shown}; ... and {more} more problems"


def format_errors(errors: Iterable[Mapping[str, Any]]) -> str:
    """Every error as ``loc: msg``, joined by ``join_problems``."""
    return join_problems([f"{format_loc(e['loc'])}: {e['msg']}" for e in errors])


def from_validation_error(service: str, exc: ValidationError) -> ServiceError:
    """One 400 naming every violation of ``exc`` with its AWS member path."""
    errors = exc.errors(include_url=False, include_input=False)
    return validation_error(service, format_errors(errors))


# The pydantic validation context of a request: JSON_CONTEXT if it came as JSON.
Context = Mapping[str, bool] | None


def validate(
    adapter: TypeAdapter[Any], service: str, request: Mapping[str, Any], context: Context = None
) -> Any:
    """The request validated by ``adapter``; ValidationException naming every violation."""
    try:
        return adapter.validate_python(request, context=context)
    except ValidationError as exc:
        raise from_validation_error(service, exc) from None
