"""ScenarioError, and turning pydantic errors into plain ``location: message`` lines."""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails


class ScenarioError(Exception):
    """A scenario that cannot be used; ``errors`` holds every problem found.

    Each entry is one ``"location: message"`` line, e.g.
    ``campaigns[0].ring_timeout: must be between 15s and 60s (got 90s)``.
    ``str()`` is all lines, one per line.
    """

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(dict.fromkeys(errors))  # drop repeats, keep order
        super().__init__("\n".join(self.errors))

    def __str__(self) -> str:
        return "\n".join(self.errors)


def format_location(loc: Sequence[int | str]) -> str:
    """``('campaigns', 0, 'queue')`` -> ``campaigns[0].queue``."""
    text = ""
    for element in loc:
        if isinstance(element, int):
            text += f"[{element}]"
        else:
            text += f".{element}" if text else str(element)
    return text or "(top level)"


def user_location(loc: Sequence[int | str], data: Any) -> list[int | str]:
    """The location as the planner wrote it: union tags and shorthand internals removed.

    Pydantic puts the ``kind`` tag of a discriminated union into the path
    (``sources[0].poisson.rate_per_hour``); walking the raw data alongside
    tells tags from keys. Inside a scalar (``talk: 3m`` for a fixed
    distribution) the rest of the path is internal and dropped.
    """
    out: list[int | str] = []
    node: Any = data
    for element in loc:
        if isinstance(element, int):
            out.append(element)
            is_seq = isinstance(node, list | tuple) and element < len(node)
            node = node[element] if is_seq else None
        elif isinstance(node, Mapping):
            if element in node:
                out.append(element)
                node = node[element]
            elif node.get("kind") != element:
                out.append(element)
                node = None
        elif node is None:
            out.append(element)
        else:
            break
    return out


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) != 1:
                return tuple(members)
            tp = members[0]
        else:
            return tp


def _model_member(members: tuple[Any, ...], tag: Any) -> Any:
    for member in members:
        if isinstance(member, type) and issubclass(member, BaseModel):
            kind = member.model_fields.get("kind")
            if kind is not None and kind.default == tag:
                return member
    return None


def model_at(root: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model class found at a pydantic location, or None."""
    tp: Any = root
    for element in loc:
        tp = _unwrap(tp)
        if isinstance(tp, tuple):
            tp = _model_member(tp, element)
        elif isinstance(element, int):
            args = get_args(tp)
            tp = args[0] if args else None
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            fields = {f.alias or name: f for name, f in tp.model_fields.items()}
            tp = fields[element].annotation if element in fields else None
        else:
            return None
        if tp is None:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _describe(value: Any) -> str:
    if isinstance(value, str | int | float | bool) or value is None:
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "..."
    return type(value).__name__


_TYPE_WORDS = {
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "text",
}


def _kind_of(value: Any) -> str:
    """What a wrongly typed value is, in YAML's words."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a whole number" if isinstance(value, int) else "a fractional number"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _message(error: ErrorDetails, root: type[BaseModel]) -> str:
    kind, msg = error["type"], error["msg"]
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        model = model_at(root, error["loc"][:-1])
        key = str(error["loc"][-1])
        if model is None:
            return "unknown key"
        allowed = _allowed_keys(model)
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown key; {hint}allowed: {', '.join(allowed)}"
    if kind == "union_tag_invalid":
        ctx = error.get("ctx") or {}
        return f"{ctx.get('tag')!r} is not one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return "missing 'kind' (it selects the type of this item)"
    if kind in ("value_error", "assertion_error"):
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "timezone_aware":
        return "must include a UTC offset, e.g. 2026-10-06T09:00:00-04:00 or ...Z"
    if kind in ("too_short", "too_long"):
        ctx = error.get("ctx") or {}
        if kind == "too_short":
            return f"must have at least {ctx.get('min_length')} item(s)"
        return f"must have at most {ctx.get('max_length')} item(s)"
    if kind in ("model_type", "dict_type"):  # pydantic names the model class
        value = error["input"]
        got = f" (got {_describe(value)})" if isinstance(value, str | int | float) else ""
        return f"must be a mapping of keys to values, not {_kind_of(value)}{got}"
    if kind in _TYPE_WORDS:
        value = error["input"]
        return f"must be {_TYPE_WORDS[kind]}, not {_kind_of(value)} (got {_describe(value)})"
    if kind == "string_too_long":
        ctx = error.get("ctx") or {}
        return f"must be at most {ctx.get('max_length')} characters (got {len(error['input'])})"
    if kind == "literal_error":
        return f"{msg.replace('Input should be', 'must be')} (got {_describe(error['input'])})"
    text = msg.replace("Input should be", "must be")
    return f"{text} (got {_describe(error['input'])})"


def pydantic_errors(
    exc: ValidationError, data: Any, root: type[BaseModel], prefix: str = ""
) -> list[str]:
    """Each pydantic error as a ``"location: message"`` line in the planner's terms."""
    lines = []
    errors = exc.errors(include_url=False)
    for error in errors:
        loc = list(error["loc"])
        if error["type"] == "too_short" and _has_inner_error(loc, errors):
            continue  # pydantic counts only valid items; the items' own errors say more
        message = _message(error, root)
        shown = user_location(loc, data)
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            shown.append("kind")
        where = format_location(shown)
        lines.append(f"{prefix}{where}: {message}")
    return lines


def _has_inner_error(loc: list[Any], errors: list[ErrorDetails]) -> bool:
    return any(len(e["loc"]) > len(loc) and list(e["loc"][: len(loc)]) == loc for e in errors)
