"""Figures of a run and of a sweep: written, non-empty PNGs with title, labels and legend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure

from sim.analysis.experiments import run_sweep
from sim.analysis.plots import run_figures, sweep_figures, write_plots, write_sweep_plots
from sim.runner import run_scenario
from sim.scenario import Scenario, parse_scenario
from sim.store import Store

PNG = b"\x89PNG\r\n\x1a\n"


def predictive(**changes: Any) -> Scenario:
    data: dict[str, Any] = {
        "name": "plots",
        "seed": 3,
        "start": "2026-10-06T09:00:00-04:00",
        "horizon": "1h",
        "interval": "5m",
        "instance": {"queues": ["q"], "concurrent_calls": 50},
        "agent_groups": [
            {
                "name": "g",
                "queue": "q",
                "staffing": [{"start": "09:00", "end": "10:00", "agents": 5}],
                "after_contact_work": "10s",
            }
        ],
        "campaigns": [
            {
                "id": "c",
                "mode": "predictive",
                "queue": "q",
                "sources": [{"kind": "poisson", "rate_per_hour": 30, "batch_size": 10}],
            }
        ],
        "durations": {"talk": {"kind": "exponential", "mean": "90s"}},
    }
    data.update(changes)
    return parse_scenario(data)


def check(fig: Figure) -> None:
    (ax,) = fig.axes
    assert ax.get_title()
    assert ax.get_xlabel() and ax.get_ylabel()
    legend = ax.get_legend()
    assert legend is not None and legend.get_texts()


@pytest.fixture(scope="module")
def store() -> Store:
    store = Store(":memory:")
    run_scenario(predictive(), store)
    return store


def test_run_figures_have_title_labels_and_legend(store: Store) -> None:
    figures = run_figures(store, None)
    assert set(figures) == {
        "dials_connects",
        "agent_states",
        "backlog",
        "abandonment",
        "wait_to_dial",
    }
    for fig in figures.values():
        check(fig)
        assert tuple(fig.get_size_inches()) == (10.0, 5.0)
    assert "local time of day" in figures["backlog"].axes[0].get_xlabel()
    labels = [t.get_text() for t in figures["abandonment"].axes[0].get_legend().get_texts()]
    assert any("target 3.0%" in s for s in labels)
    assert any("rule limit 3.0%" in s for s in labels)


def test_write_plots_writes_non_empty_pngs(store: Store, tmp_path: Path) -> None:
    paths = write_plots(store, None, tmp_path / "out")
    assert len(paths) == 5
    for path in paths:
        assert path.exists() and path.stat().st_size > 5000
        assert path.read_bytes()[:8] == PNG


def test_sweep_plots_draw_capacity_curves(tmp_path: Path, dask_cluster: Any) -> None:
    url = str(tmp_path / "s.db")
    varies = [
        ("agent_groups[0].staffing[0].agents", [3, 6]),
        ("campaigns[0].mode", ["progressive", "predictive"]),
    ]
    sweep = run_sweep(predictive(horizon="30m"), url, varies, k=2, cluster=dask_cluster)
    store = Store(url)
    figures = sweep_figures(store, sweep)
    assert set(figures) == {"list_completion_s", "agent_occupancy", "abandonment_rate"}
    for fig in figures.values():
        check(fig)
        labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert labels == ["campaigns[0].mode=progressive", "campaigns[0].mode=predictive"]
    paths = write_sweep_plots(store, sweep, tmp_path / "sweep")
    assert [p.name for p in paths] == [
        "sweep_list_completion_s.png",
        "sweep_agent_occupancy.png",
        "sweep_abandonment_rate.png",
    ]
    assert all(p.read_bytes()[:8] == PNG for p in paths)
