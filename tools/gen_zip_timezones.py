"""Regenerate sim/connect/data/zip_timezones.txt from the `zipcodes` package.

    pip install zipcodes==3.0.0 && python tools/gen_zip_timezones.py

The `zipcodes` package embeds a U.S. ZIP table rebuilt monthly from
unitedstateszipcodes.org (time zones) and the USPS ZIP Locale Detail (active
ZIPs); see its PyPI page. We keep only what time-zone detection needs: runs
of consecutive five-digit ZIPs that share an IANA zone. Rows without a zone
(military APO/FPO ZIPs), or whose zone the tz database does not know, are
left out, so such ZIPs resolve to nothing, as an unknown ZIP does.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import zipcodes

OUT = Path(__file__).resolve().parents[1] / "sim" / "connect" / "data" / "zip_timezones.txt"


def _known(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return bool(zone)


def main() -> int:
    rows = sorted(
        (int(r["zip_code"]), r["timezone"])
        for r in zipcodes.list_all()
        if r["zip_code"].isdigit() and _known(r["timezone"])
    )
    zones = sorted({z for _, z in rows})
    index = {z: i for i, z in enumerate(zones)}
    runs: list[list[int]] = []
    for code, zone in rows:
        z = index[zone]
        if runs and runs[-1][1] == code - 1 and runs[-1][2] == z:
            runs[-1][1] = code
        else:
            runs.append([code, code, z])
    stamp = datetime.now(UTC).date().isoformat()
    with OUT.open("w", encoding="utf-8") as f:
        f.write(f"# U.S. ZIP code -> IANA time zone, {len(rows)} ZIPs in {len(runs)} runs.\n")
        f.write(f"# Source: zipcodes {version('zipcodes')} (PyPI; unitedstateszipcodes.org +")
        f.write(f" USPS ZIP Locale Detail), generated {stamp} by tools/gen_zip_timezones.py.\n")
        f.write("# Line 'Z <index> <zone>' names a zone; line '<first> <last> <index>' is a run.\n")
        for z in zones:
            f.write(f"Z {index[z]} {z}\n")
        for first, last, z in runs:
            f.write(f"{first} {last} {z}\n" if last != first else f"{first} {z}\n")
    print(f"{OUT}: {len(rows)} ZIPs, {len(runs)} runs, {len(zones)} zones", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
