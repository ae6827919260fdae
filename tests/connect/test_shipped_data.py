"""The shipped drafts: the national list resolves to its zones, the hourly profile is sound."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import yaml

from sim.connect.timezones import ZoneResolver
from sim.connect.v2config import CommunicationTime

ROOT = Path(__file__).resolve().parents[2]
LIST = ROOT / "scenarios" / "lists" / "national_4zones.csv"
PROFILE = ROOT / "scenarios" / "profiles" / "answer_rates_by_hour.yaml"
KEYS = ("live_answer", "voicemail", "no_answer", "busy", "invalid_number")


def test_national_list_spans_four_zones_and_both_detections_agree() -> None:
    rows = list(csv.DictReader(LIST.open(encoding="utf-8")))
    assert len(rows) == 2000 and len({r["phone_number"] for r in rows}) == 2000
    by_area = ZoneResolver(CommunicationTime(None, ("AREA_CODE",), None, None))
    by_zip = ZoneResolver(CommunicationTime(None, ("ZIP_CODE",), None, None))
    zones = set()
    for r in rows:
        want = (r["expected_zone"],)
        assert by_area.key(by_area.resolve(r["phone_number"], {})) == want, r
        assert by_zip.key(by_zip.resolve("", {"zip_code": r["zip_code"]})) == want, r
        assert r["phone_number"][5:9] == "5550" and 100 <= int(r["phone_number"][8:]) < 200
        zones.add(r["expected_zone"])
    assert zones == {"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"}


def test_hourly_profile_rows_are_distributions_on_every_weekday() -> None:
    profile = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    assert "callhub" in profile["source"].lower()
    assert sorted(profile["hours"]) == list(range(8, 21))
    factors = profile["weekday_live_factor"]
    assert len(factors) == 7
    for row in profile["hours"].values():
        assert set(row) == set(KEYS) and math.isclose(sum(row.values()), 1.0, abs_tol=1e-9)
        for factor in factors.values():
            live = row["live_answer"] * factor
            assert 0 <= row["no_answer"] - (live - row["live_answer"]) <= 1
    evening, morning = profile["hours"][18], profile["hours"][8]
    assert evening["live_answer"] > morning["live_answer"]  # more people in the evening
