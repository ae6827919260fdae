"""Recipient time zones from area codes (libphonenumber) and ZIP codes (shipped table)."""

from __future__ import annotations

from importlib import resources

from hypothesis import given
from hypothesis import strategies as st

from sim.connect.timezones import (
    UNRESOLVED,
    ZoneResolver,
    area_codes,
    local_slot,
    zip_zones,
)
from sim.connect.v2config import CommunicationTime, valid_zone


def resolver(*detection: str, default: str | None = None) -> ZoneResolver:
    return ZoneResolver(CommunicationTime(default, detection, None, None))  # type: ignore[arg-type]


def test_area_codes_of_the_four_us_zones() -> None:
    table = area_codes()
    assert table.zones("+12125550100") == ("America/New_York",)
    assert table.zones("+13125550100") == ("America/Chicago",)
    assert table.zones("+13035550100") == ("America/Denver",)
    assert table.zones("+14155550100") == ("America/Los_Angeles",)
    assert table.zones("+16025550100") == ("America/Phoenix",)  # Arizona keeps standard time


def test_an_area_code_spanning_two_zones_gives_both() -> None:
    assert area_codes().zones("+12085550100") == ("America/Boise", "America/Los_Angeles")


def test_unknown_and_non_geographic_numbers_are_unresolved() -> None:
    table = area_codes()
    for number in ("+15551230000", "+18005550100", "+14445550100", "+1", "12x", ""):
        assert table.zones(number) is None, number
    assert table.zones("+442071234567") == ("Europe/London",)  # one zone for the country


def test_zip_codes() -> None:
    zips = zip_zones()
    assert zips.zone("10001") == "America/New_York"
    assert zips.zone("60601") == "America/Chicago"
    assert zips.zone("80202") == "America/Denver"
    assert zips.zone("90210-1234") == "America/Los_Angeles"
    assert zips.zone("96813") == "Pacific/Honolulu"
    for bad in ("00000", "1234", "ABCDE", "123456", ""):
        assert zips.zone(bad) is None, bad


def test_zip_table_names_its_source_and_date() -> None:
    text = resources.files("sim.connect").joinpath("data/zip_timezones.txt").read_text()
    header = text.splitlines()[1]
    assert "zipcodes" in header and "USPS" in header and "generated 20" in header


def test_detection_order_then_default_then_unresolved() -> None:
    r = resolver("ZIP_CODE", "AREA_CODE", default="America/Chicago")
    ny_number = "+12125550100"
    la = r.resolve(ny_number, {"zip_code": "90210"})  # ZIP first
    assert r.key(la) == ("America/Los_Angeles",)
    ny = r.resolve(ny_number, {})  # no ZIP: the area code
    assert r.key(ny) == ("America/New_York",)
    fallback = r.resolve("+15551230000", {"zip_code": "nope"})
    assert r.key(fallback) == ("America/Chicago",)
    assert r.resolve(ny_number, {"zip_code": "90211"}) == la  # interned: same id
    assert resolver("AREA_CODE").resolve("+15551230000", {}) == UNRESOLVED
    assert resolver("AREA_CODE").key(UNRESOLVED) == ()


def test_local_slot_is_the_wall_clock_hour() -> None:
    # 2023-11-14 22:13:20 UTC is a Tuesday, 17:13 in New York.
    assert local_slot(1_700_000_000, "America/New_York") == (1, 17)


@given(st.integers(2_000_000_000, 9_999_999_999))
def test_every_resolved_zone_is_a_real_iana_zone(n: int) -> None:
    zones = area_codes().zones(f"+1{n}")
    assert zones is None or (zones == tuple(sorted(zones)) and all(map(valid_zone, zones)))
