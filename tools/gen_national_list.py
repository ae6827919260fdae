"""Generate scenarios/lists/national_4zones.csv: a national call list over four U.S. zones.

    pip install -e '.[tools]' && python tools/gen_national_list.py [--rows 2000] [--seed 13]

Each row is a recipient in Eastern, Central, Mountain or Pacific time, drawn
with weights close to the population of each zone (47/30/7/16 %). Its ZIP is
a real standard ZIP of that zone (from the `zipcodes` package), and its area
code one that serves that ZIP and that libphonenumber maps to the same zone,
so AREA_CODE and ZIP_CODE detection agree. The numbers themselves are
fictional: exchange 555, lines 0100-0199, the range set aside for fiction,
so nobody real is ever "called". Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

import zipcodes

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.connect.timezones import area_codes

OUT = Path(__file__).resolve().parents[1] / "scenarios" / "lists" / "national_4zones.csv"
ZONES = {  # IANA zone -> share of the list
    "America/New_York": 0.47,
    "America/Chicago": 0.30,
    "America/Denver": 0.07,
    "America/Los_Angeles": 0.16,
}
FIRST = ["Ava", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jamal"]


def candidates() -> dict[str, list[tuple[str, str]]]:
    """Per zone, the (ZIP, area code) pairs whose area code lies wholly in that zone."""
    table = area_codes()
    out: dict[str, list[tuple[str, str]]] = {z: [] for z in ZONES}
    for row in zipcodes.list_all():
        zone = row["timezone"]
        if zone not in ZONES or row["zip_code_type"] != "STANDARD" or not row["active"]:
            continue
        for npa in row["area_codes"]:
            if table.zones(f"+1{npa}5550100") == (zone,):
                out[zone].append((row["zip_code"], npa))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    pool = candidates()
    zones = list(ZONES)
    used: set[str] = set()
    rows = []
    while len(rows) < args.rows:
        zone = rng.choices(zones, weights=[ZONES[z] for z in zones])[0]
        zip_code, npa = rng.choice(pool[zone])
        number = f"+1{npa}555{rng.randrange(100, 200):04d}"
        if number in used:
            continue
        used.add(number)
        rows.append((number, zip_code, rng.choice(FIRST), f"ACC-{len(rows) + 200000}", zone))
    with OUT.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["phone_number", "zip_code", "first_name", "account_id", "expected_zone"])
        w.writerows(rows)
    print(f"{OUT}: {len(rows)} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
