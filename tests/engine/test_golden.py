"""The quickstart run's summary, pinned to golden/quickstart_summary.json.

Any change of the model's behaviour moves some figure here. When the change
is deliberate, rewrite the file and review its diff:

    SIM_UPDATE_GOLDEN=1 pytest tests/engine/test_golden.py

The file holds ``summary`` (sim.analysis.summary.run_summary without run id
and wall-clock runtime) and ``counts`` (events per type and contacts per
outcome, straight from SQL, so the pin holds even without the analysis layer).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import GOLDEN, UPDATE_GOLDEN, Ran

ScenarioRun = Callable[[str], Ran]
GOLDEN_SUMMARY = GOLDEN / "quickstart_summary.json"
VOLATILE = ("run_id", "runtime_s")  # identity and wall clock, not results
HOW = f"If the change is deliberate: SIM_UPDATE_GOLDEN=1 pytest {__file__} (then review the diff)"


def sql_counts(ran: Ran) -> dict[str, Any]:
    events = ran.sql("SELECT type, count(*) FROM events WHERE run_id = :run GROUP BY type")
    outcomes = ran.sql(
        "SELECT outcome, count(*) FROM contacts WHERE run_id = :run GROUP BY outcome"
    )
    return {
        "events": dict(sorted(events)),
        "outcomes": dict(sorted((str(o), n) for o, n in outcomes)),
        "pending_at_end": ran.outcome.pending_at_end,
        "sim_duration_s": ran.outcome.sim_end - ran.outcome.sim_start,
    }


def summary(ran: Ran) -> dict[str, Any] | None:
    try:
        from sim.analysis.summary import run_summary
    except ImportError:
        return None
    data = run_summary(ran.store, ran.run_id).as_dict()
    for key in VOLATILE:
        data.pop(key, None)
    return data


def same(want: Any, got: Any, where: str = "") -> list[str]:
    """Differences between two JSON values; floats equal to 1e-9 relative."""
    if isinstance(want, dict) and isinstance(got, dict):
        out = [f"{where}.{k}: missing" for k in want if k not in got]
        out += [f"{where}.{k}: new key" for k in got if k not in want]
        for k in want.keys() & got.keys():
            out += same(want[k], got[k], f"{where}.{k}")
        return out
    if isinstance(want, float) or isinstance(got, float):
        ok = (
            isinstance(want, int | float)
            and isinstance(got, int | float)
            and math.isclose(want, got, rel_tol=1e-9, abs_tol=1e-9)
        )
        return [] if ok else [f"{where}: golden {want!r}, now {got!r}"]
    return [] if want == got else [f"{where}: golden {want!r}, now {got!r}"]


def test_quickstart_summary_matches_golden(scenario_run: ScenarioRun) -> None:
    ran = scenario_run("quickstart")
    got: dict[str, Any] = {"counts": sql_counts(ran)}
    current = summary(ran)
    if current is not None:
        got["summary"] = current
    if UPDATE_GOLDEN:
        GOLDEN_SUMMARY.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    if not GOLDEN_SUMMARY.exists():
        pytest.fail(f"{GOLDEN_SUMMARY} is missing. {HOW}")
    want = json.loads(GOLDEN_SUMMARY.read_text())
    if current is None:
        want.pop("summary", None)  # the analysis layer is absent: pin the SQL counts only
    diffs = same(want, got)
    assert not diffs, (
        "quickstart differs from its golden summary:\n  "
        + "\n  ".join(sorted(diffs)[:40])
        + f"\n{HOW}"
    )
