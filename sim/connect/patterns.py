"""The botocore models' patterns, as pydantic must be given them.

The models' patterns are Java regular expressions, where ``\\d``, ``\\s`` and
``\\w`` are ASCII classes (``\\s`` is ``[ \\t\\n\\x0B\\f\\r]``). In pydantic's
Rust engine (and in Python's ``re``) they are Unicode classes: ``\\d`` would
take Arabic-Indic digits and ``[\\S]`` would refuse a no-break space. So a
model pattern is declared ``java(...)``, which spells each class out in ASCII
and anchors the whole (AWS matches the whole value);
tests/connect/test_oracle.py compares ``java(botocore's pattern)`` with ours.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic_core import PydanticCustomError

_SPACE = r" \t\n\x0B\f\r"
_INSIDE = {"d": "0-9", "s": _SPACE, "w": "a-zA-Z0-9_"}
_OUTSIDE = {
    "d": "[0-9]",
    "D": "[^0-9]",
    "s": f"[{_SPACE}]",
    "S": f"[^{_SPACE}]",
    "w": "[a-zA-Z0-9_]",
    "W": "[^a-zA-Z0-9_]",
}


def java(pattern: str) -> str:
    """``pattern`` (Java syntax) with its class escapes in ASCII, anchored."""
    out: list[str] = []
    in_class, i = False, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            escape = pattern[i + 1]
            if in_class and escape in _INSIDE:
                out.append(_INSIDE[escape])
            elif in_class and escape in "DSW":
                if pattern[i - 1 : i + 3] != f"[\\{escape}]":
                    raise ValueError(f"{pattern!r}: \\{escape} must be alone in its class")
                out[-1] = _OUTSIDE[escape]  # [\S] is the complemented class itself
                i += 3
                in_class = False
                continue
            elif not in_class and escape in _OUTSIDE:
                out.append(_OUTSIDE[escape])
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class and out and out[-1] != "[":
            in_class = False
        out.append(ch)
        i += 1
    return f"^{''.join(out)}$"


def whole(pattern: str) -> Callable[[str], str]:
    """A validator refusing a value that ``pattern`` does not match whole.

    For the fields of models on pydantic's python-re engine (which a
    look-ahead needs), where ``$`` also matches before a final newline:
    ``"default-instance\\n"`` would pass ``^[-_.a-zA-Z0-9]+$`` there. (The
    default Rust engine's ``$`` is the end of the text.)
    """
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if compiled.fullmatch(value) is None:
            # pydantic's own error for a pattern (not a "Value error, ..."): the
            # message reads the same whether or not the value ends in a newline.
            raise PydanticCustomError(
                "string_pattern_mismatch",
                "String should match pattern '{pattern}'",
                {"pattern": pattern},
            )
        return value

    return check
