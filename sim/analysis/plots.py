"""PNG figures of one run, and capacity curves of a sweep, read from the store with SQL.

Every figure has a title, labelled axes with units (local time of day of the
scenario's start offset on x), and a legend; 10 x 5 inches at 110 dpi. The
``*_figures`` functions return the figures without saving (tests inspect
them); ``write_plots`` and ``write_sweep_plots`` save and close them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")  # files only: never a display, whatever the environment says

import numpy as np
import orjson
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from sqlalchemy import case, func, or_, select

from sim.analysis import abandonment
from sim.domain import EventType, Outcome
from sim.store import RunInfo, Store
from sim.store.schema import ALL_CAMPAIGNS, contacts, events, events_of_types, interval_kpis

__all__ = ["DPI", "FIGSIZE", "run_figures", "sweep_figures", "write_plots", "write_sweep_plots"]

FIGSIZE = (10.0, 5.0)
DPI = 110
_AGENT_STATES = (
    ("available_s", "available", "#8fbc8f"),
    ("reserved_s", "reserved (ringing)", "#f0e68c"),
    ("on_contact_s", "on contact", "#4682b4"),
    ("acw_s", "after-contact work", "#9370db"),
    ("break_s", "on break", "#d3d3d3"),
)


Columns = dict[str, np.ndarray[Any, Any]]


def _tz(info: RunInfo) -> timezone:
    start = datetime.fromisoformat(str(info.scenario["start"]))
    return timezone(start.utcoffset() or timedelta(0))


def _hours(times: Any, tz: timezone) -> np.ndarray[Any, Any]:
    """POSIX seconds -> hours after the local midnight of the first day (may pass 24)."""
    t = np.asarray(times, dtype=float)
    if not t.size:
        return t
    first = datetime.fromtimestamp(float(t.min()), tz)
    midnight = first.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    return (t - midnight) / 3600.0


def _clock(hours: float, _pos: Any = None) -> str:
    day, rest = divmod(hours, 24.0)
    minutes = round(rest * 60.0)
    text = f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"
    return text if day == 0 else f"{text} +{int(day)}d"


def _new(title: str, ylabel: str, tz: timezone | None = None) -> tuple[Figure, Any]:
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if tz is not None:
        ax.set_xlabel(f"local time of day (UTC{_offset(tz)})")
        ax.xaxis.set_major_formatter(FuncFormatter(_clock))
    return fig, ax


def _offset(tz: timezone) -> str:
    minutes = int((tz.utcoffset(None) or timedelta(0)).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _kpis(store: Store, run_id: int) -> Columns:
    """The run's '*' interval_kpis rows as columns (numpy arrays, None as nan)."""
    query = (
        select(interval_kpis)
        .where(interval_kpis.c.run_id == run_id, interval_kpis.c.campaign_id == ALL_CAMPAIGNS)
        .order_by(interval_kpis.c.interval_start)
    )
    with store.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    names = [c.name for c in interval_kpis.columns if c.name not in ("run_id", "campaign_id")]
    return {
        n: np.asarray([np.nan if r[n] is None else r[n] for r in rows], dtype=float) for n in names
    }


def _rolling(values: np.ndarray[Any, Any], window: int) -> np.ndarray[Any, Any]:
    """Trailing sum over ``window`` values (fewer at the start)."""
    sums = np.cumsum(np.nan_to_num(values))
    out = sums.copy()
    out[window:] = sums[window:] - sums[:-window]
    return out


def _dials_figure(info: RunInfo, df: Columns, tz: timezone) -> Figure:
    per = float(info.interval_s or 900.0) / 60.0
    fig, ax = _new(f"Dials and live connects per {per:g}-minute interval", "calls per interval", tz)
    x = _hours(df["interval_start"] + (info.interval_s or 900.0) / 2, tz)
    width = (info.interval_s or 900.0) / 3600.0 * 0.8
    ax.bar(x, df["dials"], width=width, label="dials", color="#b0c4de")
    ax.plot(x, df["live_answers"], marker="o", label="live answers", color="#2e8b57")
    ax.plot(x, df["connected"], marker=".", label="connected to agent", color="#8b0000")
    ax.legend(loc="upper right")
    return fig


def _agents_figure(info: RunInfo, df: Columns, tz: timezone) -> Figure:
    fig, ax = _new("Agent states over time", "agents (mean over interval)", tz)
    size = float(info.interval_s or 900.0)
    x = _hours(df["interval_start"], tz)
    layers = [np.nan_to_num(df[col]) / size for col, _, _ in _AGENT_STATES]
    ax.stackplot(
        x,
        *layers,
        labels=[label for _, label, _ in _AGENT_STATES],
        colors=[color for _, _, color in _AGENT_STATES],
        step="post",
    )
    ax.legend(loc="upper right")
    return fig


def _backlog_figure(info: RunInfo, df: Columns, tz: timezone) -> Figure:
    fig, ax = _new("Backlog of pending dial requests", "requests pending (interval end)", tz)
    x = _hours(df["interval_start"] + (info.interval_s or 900.0), tz)
    ax.step(x, df["backlog"], where="post", label="pending (incl. scheduled redials)")
    ax.plot(x, np.cumsum(df["accepted"]), ls="--", color="grey", label="accepted (cumulative)")
    ax.legend(loc="upper right")
    return fig


def _abandonment_counts(store: Store, run_id: int, starts: np.ndarray[Any, Any]) -> Columns:
    """Per interval of ``starts`` (by disconnect time): each abandonment view's
    denominator and numerator (``sim.analysis.abandonment``)."""
    views = abandonment.conditions()
    c = contacts.c
    query = select(c.disconnect_timestamp, *(case((cond, 1), else_=0) for cond in views)).where(
        c.run_id == run_id, c.disconnect_timestamp.is_not(None), or_(views.live, views.visible)
    )
    with store.engine.connect() as conn:
        rows = np.asarray(conn.execute(query).all(), dtype=float).reshape(-1, 1 + len(views))
    out = {name: np.zeros(len(starts)) for name in views._fields}
    if rows.size and len(starts):
        slot = np.searchsorted(starts, rows[:, 0], side="right") - 1
        inside = slot >= 0
        for j, name in enumerate(views._fields, start=1):
            np.add.at(out[name], slot[inside], rows[inside, j])
    return out


def _abandon_figure(info: RunInfo, df: Columns, tz: timezone, counts: Columns) -> Figure:
    """Both abandonment rates, rolling over an hour: the regulatory one against
    the rule's limit, the Connect-visible one (what the pacer steers by)
    against the predictive campaigns' targets."""
    size = float(info.interval_s or 900.0)
    window = max(1, round(3600.0 / size))
    fig, ax = _new(
        f"Rolling abandonment rates ({window * size / 60:g}-minute window)",
        "abandoned / live answered (%)",
        tz,
    )
    x = _hours(df["interval_start"] + size, tz)
    views = (
        ("live", "live_abandoned", "regulatory: live people, AMD hang-ups included", "#1f77b4"),
        ("visible", "visible_abandoned", "Connect-visible: HUMAN_ANSWERED or AMD off", "#2ca02c"),
    )
    top = 0.0
    for den_key, num_key, label, color in views:
        den = _rolling(counts[den_key], window)
        num = _rolling(counts[num_key], window)
        rate = np.divide(100.0 * num, den, out=np.full(den.shape, np.nan), where=den > 0)
        ax.plot(x, rate, marker="o", color=color, label=label)
        top = max(top, float(np.nanmax(rate, initial=0.0)))
    limit = float(info.scenario.get("abandonment_rule", {}).get("limit", 0.03))
    ax.axhline(100 * limit, color="red", ls="--", label=f"abandonment rule limit {limit:.1%}")
    for camp in info.scenario.get("campaigns", []):
        if camp.get("mode") == "predictive":
            target = float(camp["predictive"]["target_abandonment"])
            ax.axhline(
                100 * target, color="orange", ls=":", label=f"{camp['id']} target {target:.1%}"
            )
    # Room above the limit line and the data for the legend.
    ax.set_ylim(bottom=0, top=1.6 * max(top, 100 * limit))
    ax.legend(loc="upper right")
    return fig


def _first_waits(store: Store, run_id: int) -> np.ndarray[Any, Any]:
    query = select(events.c.payload).where(
        events.c.run_id == run_id, events_of_types(EventType.DIAL_REQUEST_DIALED)
    )
    with store.engine.connect() as conn:
        payloads = [orjson.loads(p) for (p,) in conn.execute(query)]
    return np.asarray(
        [p["waited_s"] for p in payloads if p.get("attempt") == 1 and "waited_s" in p], dtype=float
    )


def _wait_figure(waits: np.ndarray[Any, Any]) -> Figure:
    fig, ax = _new("Wait from acceptance to first dial", "dial requests")
    minutes = waits / 60.0
    if minutes.size:
        ax.hist(minutes, bins=40, color="#4682b4", label=f"first attempts (n={minutes.size:,})")
        mean = float(minutes.mean())
        ax.axvline(mean, color="red", ls="--", label=f"mean {mean:.2f} min")
    else:
        ax.text(0.5, 0.5, "no dials", transform=ax.transAxes, ha="center")
        ax.plot([], [], label="first attempts (n=0)")
    ax.set_xlabel("wait to dial (minutes)")
    ax.legend(loc="upper right")
    return fig


def _creation_waits(store: Store, run_id: int) -> tuple[np.ndarray[Any, Any], int]:
    """Seconds from creation to dial of every dialed contact, and the count of
    contacts that expired undialed."""
    c = contacts.c
    waits = select(c.initiation_timestamp - c.created_timestamp).where(
        c.run_id == run_id, c.attempt.is_not(None), c.created_timestamp.is_not(None)
    )
    expired = select(func.count()).where(c.run_id == run_id, c.outcome == Outcome.EXPIRED.value)
    with store.engine.connect() as conn:
        values = np.asarray([w for (w,) in conn.execute(waits) if w is not None], dtype=float)
        n_expired = int(conn.execute(expired).scalar_one())
    return values, n_expired


def _creation_figure(waits: np.ndarray[Any, Any], expired: int) -> Figure:
    fig, ax = _new("Wait from contact creation (BatchPutContact) to dial", "contacts")
    minutes = waits.size > 0 and float(waits.max()) > 600.0
    unit, scale = ("minutes", 60.0) if minutes else ("seconds", 1.0)
    values = waits / scale
    if values.size:
        ax.hist(values, bins=40, color="#4682b4", label=f"dialed contacts (n={values.size:,})")
        mean, p90 = float(values.mean()), float(np.percentile(values, 90))
        ax.axvline(mean, color="red", ls="--", label=f"mean {mean:.2f} {unit}")
        ax.axvline(p90, color="purple", ls=":", label=f"90th percentile {p90:.2f} {unit}")
    else:
        ax.text(0.5, 0.5, "no dialed contacts", transform=ax.transAxes, ha="center")
        ax.plot([], [], label="dialed contacts (n=0)")
    ax.plot([], [], ls="none", label=f"expired undialed (EXPIRED): {expired:,}")
    ax.set_xlabel(f"creation to dial ({unit})")
    ax.legend(loc="upper right")
    return fig


def _local_hours(store: Store, run_id: int) -> dict[str, list[int]]:
    """zone -> the recipient's local hour of each dial (dials under calling hours only)."""
    query = select(events.c.time, events.c.payload).where(
        events.c.run_id == run_id, events_of_types(EventType.DIAL_REQUEST_DIALED)
    )
    out: dict[str, list[int]] = {}
    zones: dict[str, ZoneInfo] = {}
    with store.engine.connect() as conn:
        for t, raw in conn.execute(query):
            name = orjson.loads(raw).get("time_zone")
            if name is None:
                continue
            zone = zones.get(name) or zones.setdefault(name, ZoneInfo(name.split("|")[0]))
            out.setdefault(name, []).append(datetime.fromtimestamp(float(t), zone).hour)
    return dict(sorted(out.items()))


def _local_hour_figure(hours: dict[str, list[int]]) -> Figure:
    """Dials by the recipient's local hour of day, one bar series per zone."""
    fig, ax = _new("Dials by the recipient's local hour", "dials")
    width = 0.8 / max(1, len(hours))
    for i, (zone, values) in enumerate(hours.items()):
        counts = np.bincount(np.asarray(values, dtype=int), minlength=24)
        ax.bar(np.arange(24) + i * width - 0.4 + width / 2, counts, width, label=zone)
    ax.set_xticks(range(24))
    ax.set_xlim(-0.5, 23.5)
    ax.set_xlabel("local hour of day in the recipient's time zone (h)")
    ax.legend(loc="upper right")
    return fig


# The contact record's AnsweringMachineDetectionStatus values, in the data
# model's order; AMD_DISABLED is the store's mark for "no status" (AMD off).
_AMD_ORDER = (
    "HUMAN_ANSWERED",
    "VOICEMAIL_BEEP",
    "VOICEMAIL_NO_BEEP",
    "AMD_UNANSWERED",
    "AMD_UNRESOLVED",
    "AMD_UNRESOLVED_SILENCE",
    "AMD_NOT_APPLICABLE",
    "SIT_TONE_BUSY",
    "SIT_TONE_INVALID_NUMBER",
    "SIT_TONE_DETECTED",
    "FAX_MACHINE_DETECTED",
    "AMD_ERROR",
    "AMD_DISABLED",
)


def _amd_counts(store: Store, run_id: int) -> dict[str, dict[str, int]]:
    """campaign -> AMD status -> contacts (ended contacts: a status is set)."""
    c = contacts.c
    status = c.answering_machine_detection_status
    query = (
        select(c.campaign_id, status, func.count())
        .where(c.run_id == run_id, status.is_not(None))
        .group_by(c.campaign_id, status)
        .order_by(c.campaign_id)
    )
    out: dict[str, dict[str, int]] = {}
    with store.engine.connect() as conn:
        for campaign, amd, n in conn.execute(query):
            out.setdefault(campaign or "", {})[amd] = int(n)
    return out


def _amd_figure(counts: dict[str, dict[str, int]]) -> Figure:
    fig, ax = _new("Contacts by AMD status", "AnsweringMachineDetectionStatus")
    seen = {s for per in counts.values() for s in per}
    statuses = [s for s in _AMD_ORDER if s in seen] + sorted(seen - set(_AMD_ORDER))
    labels = ["AMD off (no status)" if s == "AMD_DISABLED" else s for s in statuses]
    y = np.arange(len(statuses))
    left = np.zeros(len(statuses))
    for campaign, per in counts.items():
        widths = np.asarray([per.get(s, 0) for s in statuses], dtype=float)
        ax.barh(y, widths, left=left, label=f"campaign {campaign}")
        left += widths
    if not statuses:
        ax.text(0.5, 0.5, "no ended contacts", transform=ax.transAxes, ha="center")
        ax.plot([], [], label="no contacts")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("contacts")
    ax.legend(loc="lower right")
    return fig


def run_figures(store: Store, run_id: int | None = None) -> dict[str, Figure]:
    """The run's figures by file stem (the latest run when ``run_id`` is None); with
    calling hours also ``dials_by_local_hour`` (per recipient time zone)."""
    info = store.run(run_id)
    tz = _tz(info)
    df = _kpis(store, info.id)
    figures = {
        "dials_connects": _dials_figure(info, df, tz),
        "agent_states": _agents_figure(info, df, tz),
        "backlog": _backlog_figure(info, df, tz),
        "abandonment": _abandon_figure(
            info, df, tz, _abandonment_counts(store, info.id, df["interval_start"])
        ),
        "wait_to_dial": _wait_figure(_first_waits(store, info.id)),
        "creation_to_dial": _creation_figure(*_creation_waits(store, info.id)),
        "amd_statuses": _amd_figure(_amd_counts(store, info.id)),
    }
    local = _local_hours(store, info.id)
    if local:
        figures["dials_by_local_hour"] = _local_hour_figure(local)
    return figures


def _save(figures: dict[str, Figure], out_dir: Path, prefix: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, fig in figures.items():
        path = out_dir / f"{prefix}{stem}.png"
        fig.savefig(path, bbox_inches="tight")
        paths.append(path)
    return paths


def write_plots(store: Store, run_id: int | None, out_dir: Path) -> list[Path]:
    """Write the run's PNG figures into ``out_dir`` (created); their paths."""
    info = store.run(run_id)
    return _save(run_figures(store, info.id), Path(out_dir), f"run{info.id}_")


# --------------------------------------------------------------------------- sweeps

_CURVES = (
    ("list_completion_s", "List completion", "time to clear the list (minutes)", 1 / 60.0),
    ("agent_occupancy", "Agent occupancy", "occupancy (%)", 100.0),
    ("abandonment_rate", "Abandonment rate", "abandoned / live answered (%)", 100.0),
)


def sweep_figures(store: Store, sweep_id: str) -> dict[str, Figure]:
    """Capacity curves of a sweep: each KPI's mean and CI against the first varied path.

    Other varied paths give one line each. Non-numeric values are placed as
    categories in sweep order.
    """
    from sim.analysis.experiments import sweep_report

    report = sweep_report(store, sweep_id)
    paths = list(report[0]["point"]) if report else []
    x_path = paths[0] if paths else "point"
    xs = [entry["point"].get(x_path, i) for i, entry in enumerate(report)]
    numeric = all(isinstance(v, int | float) for v in xs)
    categories = list(dict.fromkeys(map(str, xs)))
    figures = {}
    for key, title, ylabel, scale in _CURVES:
        fig, ax = _new(f"{title} against {x_path} (mean, 95% CI)", ylabel)
        ax.set_xlabel(x_path)
        lines: dict[str, list[tuple[Any, float, float]]] = {}
        for x, entry in zip(xs, report, strict=True):
            rest = ", ".join(f"{p}={entry['point'][p]}" for p in paths[1:]) or "simulated"
            ci = entry["kpis"].get(key)
            if ci is None or np.isnan(ci["mean"]):
                continue
            pos = x if numeric else categories.index(str(x))
            lines.setdefault(rest, []).append((pos, ci["mean"] * scale, ci["half_width"] * scale))
        for label, pts in lines.items():
            pts.sort()
            ax.errorbar(
                [p[0] for p in pts],
                [p[1] for p in pts],
                yerr=[p[2] if np.isfinite(p[2]) else 0.0 for p in pts],
                marker="o",
                capsize=4,
                label=label,
            )
        if not numeric:
            ax.set_xticks(range(len(categories)), categories)
        if not lines:
            ax.plot([], [], label="no data")
        ax.legend(loc="best")
        figures[key] = fig
    return figures


def write_sweep_plots(store: Store, sweep_id: str, out_dir: Path) -> list[Path]:
    """Write the sweep's capacity curves as PNGs into ``out_dir``; their paths."""
    return _save(sweep_figures(store, sweep_id), Path(out_dir), "sweep_")
