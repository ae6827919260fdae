"""Event types are named by ``EventType`` members outside ``sim/domain``.

A string literal such as ``"DIAL_REQUEST_DIALED"`` type-checks whatever it
says: a typo in a projector key or a counted type silently counts zero. The
members make mypy and the interpreter catch it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sim.domain import EventType

SIM = Path(__file__).resolve().parents[1] / "sim"
NAMES = frozenset(t.value for t in EventType)
# A name quoted inside a longer string: an SQL literal such as type = 'QUEUED'.
QUOTED = re.compile("['\"](" + "|".join(sorted(NAMES)) + ")['\"]")

# Another vocabulary that happens to share a name: connectionStartPoint, where
# Amazon Connect starts the connection threshold (reference: the v2 API).
OTHER_VOCABULARIES = {
    ("connect/models_campaign_v2.py", "CONNECTED_TO_SYSTEM"),
    ("scenario/campaigns.py", "CONNECTED_TO_SYSTEM"),
}


def _literals(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in NAMES:
                found.append((node.lineno, node.value))
            elif match := QUOTED.search(node.value):
                found.append((node.lineno, match.group(1)))
    return found


def test_no_event_type_string_literals_outside_domain() -> None:
    offenders = []
    for path in sorted(SIM.rglob("*.py")):
        rel = path.relative_to(SIM).as_posix()
        if rel.startswith("domain/"):
            continue
        for line, name in _literals(path):
            if (rel, name) not in OTHER_VOCABULARIES:
                offenders.append(f"sim/{rel}:{line}: {name!r} (use EventType.{name})")
    assert offenders == []


def test_the_check_sees_literals(tmp_path: Path) -> None:
    """The scan finds a bare literal and a quoted one inside SQL, not a member."""
    module = tmp_path / "m.py"
    module.write_text(
        'A = "DIAL_REQUEST_DIALED"\n'
        "B = \"SELECT 1 FROM events WHERE type = 'QUEUED'\"\n"
        "C = EventType.RINGING\n"
        '"""A docstring naming INITIATED is prose."""\n',
        encoding="utf-8",
    )
    assert _literals(module) == [(1, "DIAL_REQUEST_DIALED"), (2, "QUEUED")]
