"""The calling-hours section of the summary, on a run of the national example list."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from sim.analysis.summary import run_summary
from sim.analysis.table import format_table
from sim.runner import run_scenario
from sim.scenario import load_scenario
from sim.scenario.overrides import apply_overrides
from sim.store import Store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, int]:
    scenario = load_scenario(ROOT / "scenarios" / "national_4zones.yaml")
    store = Store(tmp_path_factory.mktemp("zones") / "n.db")
    return store, run_scenario(scenario, store).run_id


def test_per_zone_figures_add_up_to_the_run(national: tuple[Store, int]) -> None:
    store, run_id = national
    s = run_summary(store, run_id)
    hours = s.dialing_day
    assert hours is not None
    zones = hours["zones"]
    assert set(zones) == {
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
    }
    assert sum(z["dials"] for z in zones.values()) == s.dials
    assert sum(z["live_answers"] for z in zones.values()) == s.live_answers
    assert sum(z["abandoned"] for z in zones.values()) == s.abandoned
    # The run starts at 08:00 New York: every contact waits, the west longest.
    assert hours["waited_for_window"] == s.dials
    waits = {name: z["window_wait_mean_s"] for name, z in zones.items()}
    assert waits["America/New_York"] < waits["America/Chicago"] < waits["America/Denver"]
    assert waits["America/Denver"] < waits["America/Los_Angeles"]
    assert max(z["list_completion_s"] for z in zones.values()) == pytest.approx(s.list_completion_s)
    dialed = Counter(
        e.payload["time_zone"] for e in store.iter_events(run_id) if e.type == "DIAL_REQUEST_DIALED"
    )
    assert dialed == {name: z["dials"] for name, z in zones.items()}
    text = format_table(s)
    assert "Dialing day" in text and "America/Los_Angeles" in text
    assert hours["ended_by_contact_limits"] == 0 and hours["dropped_missing_timezone"] == 0


def test_runs_without_the_v2_dialing_day_have_no_section(tmp_path: Path) -> None:
    scenario = load_scenario(ROOT / "scenarios" / "quickstart.yaml")
    scenario = apply_overrides(scenario, {"campaigns[0].sources[0].max_requests": 50})
    store = Store(tmp_path / "q.db")
    s = run_summary(store, run_scenario(scenario, store).run_id)
    assert s.dialing_day is None and "dialing_day" not in s.as_dict()
    assert "Dialing day" not in format_table(s)


def test_dials_by_local_hour_per_zone(national: tuple[Store, int]) -> None:
    from sim.analysis.plots import run_figures

    store, run_id = national
    fig = run_figures(store, run_id)["dials_by_local_hour"]
    ax = fig.axes[0]
    assert ax.get_title() and "local hour" in ax.get_xlabel() and ax.get_ylabel() == "dials"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
        "America/New_York",
    ]
    heights = {
        label: [bar.get_height() for bar in container]
        for label, container in zip(labels, ax.containers, strict=True)
    }
    s = run_summary(store, run_id)
    assert sum(sum(h) for h in heights.values()) == s.dials
    for h in heights.values():  # open 09:00-20:00 local: nothing outside
        assert sum(h[:9]) == 0 and sum(h[20:]) == 0 and sum(h) > 0
