"""A run summary as an aligned text table for the terminal (``sim run`` and ``sim report``)."""

from __future__ import annotations

from typing import Any

from sim.analysis.summary import RunSummary

_PERCENT = {
    "abandonment_rate",
    "abandonment_rate_connect",
    "agent_occupancy",
    "agent_utilisation",
    "abandonment_limit",
    "abandonment_worst_window",
}
_CAMPAIGN_COLUMNS = (
    ("dials", "dials"),
    ("live_answers", "live"),
    ("connected_to_agent", "to agent"),
    ("abandoned", "abandoned"),
    ("abandonment_rate", "abandon %"),
    ("abandonment_rate_connect", "connect %"),
    ("abandonment_worst_window", "worst window"),
    ("abandonment_limit_exceeded", "over limit"),
    ("abandoned_redialed_early", "early redials"),
    ("voicemail", "voicemail"),
    ("no_answer", "no answer"),
    ("busy_or_invalid", "busy/inv"),
    ("expired_contacts", "expired"),
)


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key in _PERCENT:
        return f"{100 * value:.2f} %"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}"


def format_table(summary: RunSummary) -> str:
    """A readable, aligned text table of the summary (and one line per campaign)."""
    values = summary.as_dict()
    per_campaign = values.pop("per_campaign")
    amd = values.pop("amd_statuses")
    hours = values.pop("dialing_day", None)
    width = max(len(k) for k in values)
    cells = {k: _fmt(k, v) for k, v in values.items()}
    vwidth = max(len(c) for c in cells.values())
    lines = [f"{k:<{width}}  {c:>{vwidth}}" for k, c in cells.items()]
    if amd:
        lines.append("")
        lines.append("AMD status (contacts)")
        swidth = max(len(k) for k in amd)
        lines += [f"  {k:<{swidth}}  {n:>10,}" for k, n in amd.items()]
    if per_campaign:
        lines += ["", *_rows("campaign", _CAMPAIGN_COLUMNS, per_campaign)]
    if hours:
        lines += ["", *_dialing_day(hours)]
    return "\n".join(lines)


_ZONE_COLUMNS = (
    ("dials", "dials"),
    ("live_answers", "live"),
    ("abandoned", "abandoned"),
    ("abandonment_rate", "abandon %"),
    ("waited_for_window", "waited"),
    ("window_wait_mean_s", "mean wait s"),
    ("list_completion_s", "last dial s"),
)


def _dialing_day(hours: dict[str, Any]) -> list[str]:
    """The dialing-day section: totals, then one row per recipient time zone."""
    lines = [
        "Dialing day: calling hours (recipient's local time) and contact limits",
        f"  contacts that waited for their window  {_fmt('', hours['waited_for_window'])}",
        f"  mean wait for the window (s)           {_fmt('', hours['window_wait_mean_s'])}",
        f"  dropped, no time zone                  {_fmt('', hours['dropped_missing_timezone'])}",
        f"  ended by contact limits                {_fmt('', hours['ended_by_contact_limits'])}",
    ]
    zones = hours["zones"]
    if not zones:
        return lines
    return [*lines, "", *_rows("time zone", _ZONE_COLUMNS, zones)]


def _rows(
    first: str, columns: tuple[tuple[str, str], ...], figures: dict[str, dict[str, Any]]
) -> list[str]:
    """Aligned rows: a header, then one row per key of ``figures`` (left-aligned
    name, right-aligned figures)."""
    heads = [first, *(h for _, h in columns)]
    rows = [[name, *(_fmt(k, f[k]) for k, _ in columns)] for name, f in figures.items()]
    widths = [max(len(r[i]) for r in [heads, *rows]) for i in range(len(heads))]
    out = []
    for r in [heads, *rows]:
        rest = (f"{c:>{w}}" for c, w in zip(r[1:], widths[1:], strict=True))
        out.append("  ".join([f"{r[0]:<{widths[0]}}", *rest]))
    return out
