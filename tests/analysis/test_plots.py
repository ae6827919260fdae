"""Figures of a run and of a sweep: written, non-empty PNGs with title, labels and legend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure

from sim.analysis.experiments import run_sweep
from sim.analysis.plots import run_figures, sweep_figures, write_plots, write_sweep_plots
from sim.analysis.summary import run_summary
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
        "creation_to_dial",
        "amd_statuses",
    }
    for fig in figures.values():
        check(fig)
        assert tuple(fig.get_size_inches()) == (10.0, 5.0)
    assert "local time of day" in figures["backlog"].axes[0].get_xlabel()
    labels = [t.get_text() for t in figures["abandonment"].axes[0].get_legend().get_texts()]
    assert any("target 3.0%" in s for s in labels)
    assert any("rule limit 3.0%" in s for s in labels)


def labels_of(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_abandonment_figure_draws_both_rates(store: Store) -> None:
    """The regulatory rate (against the rule) and the Connect-visible rate (what
    the pacer steers by, against its target), each rolling over an hour."""
    (ax,) = run_figures(store, None)["abandonment"].axes
    labels = labels_of(ax.figure)
    assert any(s.startswith("regulatory") for s in labels)
    assert any(s.startswith("Connect-visible") for s in labels)
    lines = {line.get_label(): line for line in ax.get_lines()}
    regulatory = next(v for k, v in lines.items() if k.startswith("regulatory"))
    visible = next(v for k, v in lines.items() if k.startswith("Connect-visible"))
    assert len(regulatory.get_xdata()) == len(visible.get_xdata()) > 1
    assert np.isfinite(np.asarray(regulatory.get_ydata(), dtype=float)).any()


# One agent for an hour, 10 s of after-contact work: a queue that backs up.
ONE_AGENT = [
    {
        "name": "g",
        "queue": "q",
        "staffing": [{"start": "09:00", "end": "10:00", "agents": 1}],
        "after_contact_work": "10s",
    }
]


def test_abandonment_series_add_up_to_the_summary() -> None:
    """An unpaced dialer for one agent, AMD hanging up on a fifth of the people:
    the per-interval counts behind both lines add up to the summary's figures,
    and the regulatory line, which counts the AMD hang-ups, runs above."""
    from sim.analysis.plots import _abandonment_counts, _kpis

    scenario = predictive(
        agent_groups=ONE_AGENT,
        campaigns=[
            {
                "id": "c",
                "mode": "predictive",
                "queue": "q",
                "predictive": {"pacing": "immediate"},
                "sources": [{"kind": "poisson", "rate_per_hour": 30, "batch_size": 10}],
            }
        ],
        outcomes={
            "live_answer": 0.6,
            "voicemail": 0.2,
            "no_answer": 0.1,
            "busy": 0.05,
            "invalid_number": 0.05,
            "amd": {"human_as_machine": 0.2},
        },
    )
    store = Store(":memory:")
    run_scenario(scenario, store)
    summary = run_summary(store)
    counts = _abandonment_counts(
        store, summary.run_id, _kpis(store, summary.run_id)["interval_start"]
    )
    assert counts["live_abandoned"].sum() == summary.abandoned > summary.abandoned_connect > 0
    assert counts["visible_abandoned"].sum() == summary.abandoned_connect
    assert counts["live_abandoned"].sum() / counts["live"].sum() == pytest.approx(
        summary.abandonment_rate
    )
    assert counts["visible_abandoned"].sum() / counts["visible"].sum() == pytest.approx(
        summary.abandonment_rate_connect
    )
    (ax,) = run_figures(store, None)["abandonment"].axes
    peak = {
        line.get_label().split(":")[0]: np.nanmax(np.asarray(line.get_ydata(), dtype=float))
        for line in ax.get_lines()
        if ":" in str(line.get_label())
    }
    assert peak["regulatory"] > peak["Connect-visible"] > 0


def test_creation_to_dial_counts_every_dialed_contact(store: Store) -> None:
    summary = run_summary(store)
    fig = run_figures(store, None)["creation_to_dial"]
    (ax,) = fig.axes
    heights = sum(p.get_height() for p in ax.patches)
    assert heights == summary.dials > 0
    labels = labels_of(fig)
    assert f"dialed contacts (n={summary.dials:,})" in labels
    assert any(s.startswith("mean ") for s in labels)
    assert any(s.startswith("90th percentile ") for s in labels)
    assert f"expired undialed (EXPIRED): {summary.expired_contacts:,}" in labels


def test_amd_figure_sums_to_the_summary_breakdown(store: Store) -> None:
    summary = run_summary(store)
    (ax,) = run_figures(store, None)["amd_statuses"].axes
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert set(ticks) == set(summary.amd_statuses)
    widths: dict[str, float] = {}
    for patch in ax.patches:
        status = ticks[round(patch.get_y() + patch.get_height() / 2)]
        widths[status] = widths.get(status, 0.0) + patch.get_width()
    assert widths == {k: float(v) for k, v in summary.amd_statuses.items()}


def test_lifecycle_figures_with_amd_off_and_expiring_requests() -> None:
    """AMD off: one bar, labelled as the missing status; requests that cannot
    all be dialed in time: the expired count in the wait figure's legend."""
    scenario = predictive(
        agent_groups=ONE_AGENT,
        campaigns=[
            {
                "id": "c",
                "mode": "progressive",
                "queue": "q",
                "answering_machine_detection": False,
                "sources": [
                    {"kind": "schedule", "batches": [{"at": 0, "count": 25}], "expires_after": 300}
                ],
            }
        ],
    )
    store = Store(":memory:")
    run_scenario(scenario, store)
    summary = run_summary(store)
    assert summary.expired_contacts > 0
    figures = run_figures(store, None)
    (ax,) = figures["amd_statuses"].axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["AMD off (no status)"]
    labels = labels_of(figures["creation_to_dial"])
    assert f"expired undialed (EXPIRED): {summary.expired_contacts:,}" in labels
    for fig in figures.values():
        check(fig)


def test_write_plots_writes_non_empty_pngs(store: Store, tmp_path: Path) -> None:
    paths = write_plots(store, None, tmp_path / "out")
    assert len(paths) == 7
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
