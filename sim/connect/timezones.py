"""A recipient's time zone: from the phone number's area code, a ZIP attribute, or a default.

Data sources (both loaded lazily, on the first lookup that needs them):

- AREA_CODE: libphonenumber's time-zone metadata, as the ``phonenumbers``
  package ships it (``phonenumbers.tzdata``): E.164 prefixes (country code
  plus area code, and for North America some NPA-NXX exchanges) to the IANA
  zones they cover. A number resolves through its longest known prefix. A
  match on the bare country code counts only if it names one zone (the UK),
  so a North American number with an unknown area code (555, toll free)
  stays unresolved instead of mapping to every zone of the continent.
- ZIP_CODE: ``sim/connect/data/zip_timezones.txt``, runs of U.S. ZIP codes
  per IANA zone generated from the ``zipcodes`` package by
  tools/gen_zip_timezones.py (source and date in the file's header).

An area code that spans zones (208 Idaho, 605 South Dakota...) resolves to
all of them; the caller treats such a recipient as open only when every one
of its zones is open (sim.connect.hours.AllOf). Zone keys are interned to
small ints so a dial request can carry one compactly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from sim.connect.v2config import CommunicationTime, valid_zone

ZoneKey = tuple[str, ...]
UNRESOLVED = 0
"""The zone id of a recipient whose zone cannot be determined (AWS drops it:
status DROPPED_MISSING_TIMEZONE)."""
DROPPED_MISSING_TIMEZONE = "DROPPED_MISSING_TIMEZONE"
DEFAULT_ZIP_ATTRIBUTE = "zip_code"
MEMO_LIMIT = 1 << 18  # memoised prefixes before the memo starts over
_ZIP = re.compile(r"^\s*(\d{5})(?:-?\d{4})?\s*$", re.ASCII)


class _AreaCodes:
    """Longest-prefix lookup over libphonenumber's prefix -> zones table."""

    def __init__(self) -> None:
        from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE
        from phonenumbers.tzdata import TIMEZONE_DATA

        interned: dict[ZoneKey, ZoneKey] = {}
        table: dict[str, ZoneKey] = {}
        for prefix, zones in TIMEZONE_DATA.items():
            key = tuple(sorted(z for z in zones if valid_zone(z)))
            if key:
                table[prefix] = interned.setdefault(key, key)
        self.table = table
        lengths: dict[str, set[int]] = {}
        for p in table:
            lengths.setdefault(p[0], set()).add(len(p))
        # Per leading digit, the prefix lengths worth trying, longest first.
        self.lengths = {lead: sorted(ns, reverse=True) for lead, ns in lengths.items()}
        self.country_codes = frozenset(str(cc) for cc in COUNTRY_CODE_TO_REGION_CODE)
        # The answer depends only on the longest prefix tried: memoise on it, so
        # numbers sharing an exchange (1 + NPA + NXX) cost one dict lookup.
        self._memo: dict[str, ZoneKey | None] = {}

    def zones(self, e164: str) -> ZoneKey | None:
        digits = e164[1:] if e164.startswith("+") else e164
        lengths = self.lengths.get(digits[:1])
        if lengths is None or not (digits.isascii() and digits.isdigit()):
            return None
        head = digits[: lengths[0]]
        memo = self._memo
        if head in memo:
            return memo[head]
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        found = memo[head] = self._lookup(head, lengths)
        return found

    def _lookup(self, digits: str, lengths: list[int]) -> ZoneKey | None:
        get = self.table.get
        for n in lengths:
            if n > len(digits):
                continue
            found = get(digits[:n])
            if found is None:
                continue
            if len(found) == 1 or digits[:n] not in self.country_codes:
                return found
            return None  # only the country code matched, and it spans zones
        return None


@cache
def area_codes() -> _AreaCodes:
    """The area-code table, built once per process (about 3,000 prefixes)."""
    return _AreaCodes()


class _ZipZones:
    """ZIP code -> zone: one byte per possible ZIP (100 KB), 0 = unknown."""

    def __init__(self) -> None:
        self.names: list[str] = [""]
        self.by_zip = bytearray(100_000)
        text = resources.files("sim.connect").joinpath("data/zip_timezones.txt").read_text()
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if parts[0] == "Z":
                self.names.append(parts[2])
                continue
            first, last = int(parts[0]), int(parts[-2] if len(parts) == 3 else parts[0])
            self.by_zip[first : last + 1] = bytes([int(parts[-1]) + 1]) * (last - first + 1)

    def zone(self, value: str) -> str | None:
        m = _ZIP.match(value)
        if m is None:
            return None
        i = self.by_zip[int(m.group(1))]
        return self.names[i] if i else None


@cache
def zip_zones() -> _ZipZones:
    """The ZIP table, loaded once per process on first use."""
    return _ZipZones()


class ZoneResolver:
    """Resolves recipients to interned zone keys under one campaign's settings.

    ``resolve`` returns a small int (UNRESOLVED = 0); ``key(i)`` is the tuple
    of IANA zones. Detection methods are tried in the configured order, then
    the default zone.
    """

    __slots__ = ("_ids", "_keys", "default", "detection", "zip_attribute")

    def __init__(self, config: CommunicationTime, zip_attribute: str = DEFAULT_ZIP_ATTRIBUTE):
        self.detection = config.detection
        self.default: ZoneKey | None = (config.default_zone,) if config.default_zone else None
        self.zip_attribute = zip_attribute
        self._keys: list[ZoneKey] = [()]
        self._ids: dict[ZoneKey, int] = {}

    def zones(self, phone: str, attributes: Mapping[str, str]) -> ZoneKey | None:
        """The recipient's zones, or None if undetermined and there is no default."""
        for method in self.detection:
            if method == "AREA_CODE":
                found = area_codes().zones(phone)
            else:
                value = attributes.get(self.zip_attribute)
                zone = zip_zones().zone(value) if value is not None else None
                found = (zone,) if zone is not None else None
            if found is not None:
                return found
        return self.default

    def resolve(self, phone: str, attributes: Mapping[str, str]) -> int:
        """The interned zone id of a recipient (UNRESOLVED if none)."""
        zones = self.zones(phone, attributes)
        if zones is None:
            return UNRESOLVED
        found = self._ids.get(zones)
        if found is None:
            found = self._ids[zones] = len(self._keys)
            self._keys.append(zones)
        return found

    def key(self, zone_id: int) -> ZoneKey:
        """The zones of an interned id (``()`` for UNRESOLVED)."""
        return self._keys[zone_id]


def local_slot(t: float, zone: str) -> tuple[int, int]:
    """(weekday, hour) of POSIX ``t`` on the wall clock of ``zone``; Monday = 0.

    For drawing hour-of-day outcome probabilities in the recipient's time.
    """
    local = datetime.fromtimestamp(t, ZoneInfo(zone))
    return local.weekday(), local.hour
