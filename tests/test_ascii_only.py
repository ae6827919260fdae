"""Digits, word and space characters are ASCII wherever input is checked.

AWS's model patterns are Java regular expressions, where ``\\d``, ``\\w`` and
``\\s`` are ASCII classes; in Python ``re`` and in pydantic's Rust engine they
are Unicode, so ``\\d`` takes Arabic-Indic digits (``'١'``) and ``str.isdigit``
takes ``'²'`` (which ``int`` then refuses). Three static checks catch the
next such pattern or test wherever it is written in ``sim``, and the
behavioural tests pin what each surface answers today.
"""

from __future__ import annotations

import base64
import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter

import sim
from sim.connect import CAMPAIGNS_PRINCIPAL, ServiceError
from sim.scenario import ScenarioError, parse_scenario

from .connect.conftest import (
    T0,
    bpc,
    contact_item,
    dial_item,
    make_core,
    outbound_item,
    running,
    v2_create,
)
from .scenario.helpers import MINIMAL

SIM = Path(sim.__file__).parent
ARABIC_ONE_TWO = "\u0661\u0662"  # '١٢'
SUPERSCRIPT_TWO = "\u00b2"  # '²': isdigit() is True, int() refuses it


def unicode_classes(pattern: str) -> list[str]:
    """The Unicode-sensitive escapes (\\d \\D \\w \\W \\s \\S \\b \\B) in ``pattern``."""
    found, i = [], 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            if pattern[i + 1] in "dDwWsSbB":
                found.append(pattern[i : i + 2])
            i += 2
        else:
            i += 1
    return found


def sim_modules() -> list[Any]:
    names = [m.name for m in pkgutil.walk_packages(sim.__path__, "sim.")]
    return [importlib.import_module(n) for n in names if not n.endswith("__main__")]


def schema_patterns(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                out.add(value)
            else:
                schema_patterns(value, out)
    elif isinstance(node, list | tuple):
        for value in node:
            schema_patterns(value, out)


def test_module_level_regexes_with_unicode_classes_are_compiled_ascii() -> None:
    offenders, seen = [], 0
    for module in sim_modules():
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                seen += 1
                if unicode_classes(value.pattern) and not value.flags & re.ASCII:
                    offenders.append(f"{module.__name__}.{name}: {value.pattern}")
    assert seen >= 20  # the walk found the patterns
    assert offenders == []


def test_pydantic_patterns_use_no_unicode_classes() -> None:
    patterns: set[str] = set()
    models = 0
    for module in sim_modules():
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel):
                models += 1
                schema_patterns(value.__pydantic_core_schema__, patterns)
            elif isinstance(value, TypeAdapter):
                schema_patterns(value.core_schema, patterns)
    assert models >= 50 and len(patterns) >= 10
    assert [p for p in sorted(patterns) if unicode_classes(p)] == []


def test_every_digit_test_in_sim_is_ascii() -> None:
    offenders = []
    for path in sorted(SIM.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\.is(digit|decimal|numeric)\(", line) and ".isascii()" not in line:
                offenders.append(f"{path.relative_to(SIM.parent)}:{number}: {line.strip()}")
    assert offenders == []


def test_unicode_classes_finds_each_escape_and_skips_escaped_backslashes() -> None:
    assert unicode_classes(r"^[\d\-+]*$") == [r"\d"]
    assert unicode_classes(r"[\S]*\w\s\b") == [r"\S", r"\w", r"\s", r"\b"]
    assert unicode_classes(r"\\d[0-9]\-") == []


# -- what each surface answers ----------------------------------------------------------


def refused(core: Any, service: str, operation: str, request: dict[str, Any]) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        core.call(service, operation, request, caller="x", now=T0)
    return info.value


def test_dial_request_phone_numbers_take_ascii_digits_only() -> None:
    core, _ = make_core()
    v1, v2 = running(core, "v1"), running(core, "v2")
    for digits in (ARABIC_ONE_TWO, SUPERSCRIPT_TWO, "\uff11\uff12"):  # fullwidth too
        item = dial_item(phoneNumber=f"+1{digits}5550100")
        e = refused(
            core, "connectcampaigns", "PutDialRequestBatch", {"id": v1, "dialRequests": [item]}
        )
        assert (e.code, e.status) == ("ValidationException", 400)
        assert "dialRequests[0].phoneNumber" in e.message
        out = outbound_item(destinationPhoneNumber=f"+1{digits}5550100")
        request = {"id": v2, "outboundRequests": [out]}
        e = refused(core, "connectcampaignsv2", "PutOutboundRequestBatch", request)
        assert e.code == "ValidationException" and "destinationPhoneNumber" in e.message


def test_dates_and_times_take_ascii_digits_only() -> None:
    core, _ = make_core()
    cid = running(core, "v1")
    item = dial_item(expirationTime=f"20{ARABIC_ONE_TWO}-12-01T00:00:00Z")
    e = refused(
        core, "connectcampaigns", "PutDialRequestBatch", {"id": cid, "dialRequests": [item]}
    )
    assert e.code == "ValidationException" and "expirationTime" in e.message
    hours = {"MONDAY": [{"startTime": f"T{ARABIC_ONE_TWO}:00", "endTime": "T21:00"}]}
    periods = [{"startDate": f"20{ARABIC_ONE_TWO}-07-04", "endDate": "2024-07-05"}]
    time_config = {
        "telephony": {
            "openHours": {"dailyHours": hours},
            "restrictedPeriods": {"restrictedPeriodList": periods},
        }
    }
    request = {**v2_create(), "communicationTimeConfig": time_config}
    e = refused(core, "connectcampaignsv2", "CreateCampaign", request)
    assert e.code == "ValidationException"
    assert "startTime" in e.message and "startDate" in e.message


def test_batch_put_contact_refuses_a_customer_number_with_unicode_digits() -> None:
    core, _ = make_core()
    cid = running(core, "v1")
    endpoint = {"Type": "TELEPHONE_NUMBER", "Address": f"+1{ARABIC_ONE_TWO}5550100"}
    out = core.call(
        "connect",
        "BatchPutContact",
        bpc([contact_item(cid, CustomerEndpoint=endpoint)]),
        caller=CAMPAIGNS_PRINCIPAL,
        now=T0,
    )
    assert out["SuccessfulRequestList"] == []
    assert out["FailedRequestList"][0]["FailureReasonCode"] == "INVALID_CUSTOMER_ENDPOINT"


def test_a_v1_campaign_id_takes_what_java_s_nonspace_class_takes() -> None:
    """``[\\S]*`` in Java: only ASCII whitespace is refused; a no-break space is
    an id character, so an unknown such id is not found rather than invalid."""
    core, _ = make_core()
    for cid in ("a\u00a0b", "a\u2003b"):
        e = refused(core, "connectcampaigns", "DescribeCampaign", {"id": cid})
        assert e.code == "ResourceNotFoundException"
    for space in " \t\n\x0b\f\r":
        e = refused(core, "connectcampaigns", "DescribeCampaign", {"id": f"a{space}b"})
        assert e.code == "ValidationException"


def test_a_list_token_with_non_ascii_digits_is_invalid_not_a_crash() -> None:
    core, _ = make_core()
    for digits in (SUPERSCRIPT_TWO, ARABIC_ONE_TWO):
        token = base64.urlsafe_b64encode(f"sim-campaigns:{digits}".encode()).decode()
        e = refused(core, "connectcampaignsv2", "ListCampaigns", {"nextToken": token})
        assert (e.code, e.status) == ("ValidationException", 400)


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("phone", f"+1{ARABIC_ONE_TWO}5550100"),
        ("phone", "+15550100\n"),
        ("horizon", f"{ARABIC_ONE_TWO}h"),
        ("horizon", f"PT{ARABIC_ONE_TWO}H"),
        ("horizon", ARABIC_ONE_TWO),
        ("start", f"20{ARABIC_ONE_TWO}-10-06T09:00:00-04:00"),
        ("staffing", f"{ARABIC_ONE_TWO}:00"),
    ],
)
def test_scenario_numbers_and_phone_numbers_take_ascii_digits_only(where: str, value: str) -> None:
    raw: dict[str, Any] = {
        **MINIMAL,
        "agent_groups": [dict(g) for g in MINIMAL["agent_groups"]],
        "instance": dict(MINIMAL["instance"]),
    }
    if where == "phone":
        raw["instance"]["phone_numbers"] = [value]
    elif where == "staffing":
        raw["agent_groups"][0]["staffing"] = [{"start": value, "end": "17:00", "agents": 10}]
    else:
        raw[where] = value
    with pytest.raises(ScenarioError) as info:
        parse_scenario(raw)
    assert len(info.value.errors) == 1


def test_java_patterns_are_spelled_in_ascii_and_anchored() -> None:
    from sim.connect.patterns import java

    assert java(r"[\d\-+]*") == r"^[0-9\-+]*$"
    assert java(r"[\S]*") == r"^[^ \t\n\x0B\f\r]*$"
    assert java(r"T\d{2}:\d{2}") == r"^T[0-9]{2}:[0-9]{2}$"
    assert java(r"[a-zA-Z0-9_\-.]*") == r"^[a-zA-Z0-9_\-.]*$"  # nothing to spell out
    assert java(r"[^\s@]+") == r"^[^ \t\n\x0B\f\r@]+$"
    with pytest.raises(ValueError, match="alone in its class"):
        java(r"[\Sa]")
    for pattern in (r"[\d\-+]*", r"[\S]*", r"\d{4}-\d{2}-\d{2}", r"[^\s@]+\w"):
        assert unicode_classes(java(pattern)) == []
