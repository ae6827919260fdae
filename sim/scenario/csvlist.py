"""CSV contact lists: read and checked row by row, in constant memory.

One reader serves both ``sim validate`` (every problem, with its row) and the
run (``CsvSource.rows()``), so the run sees exactly the rows that validated
and never raises on a file's contents. Rows are numbered as a spreadsheet
shows them: the header is row 1, the first data row is row 2. A row whose
cells span several lines also names its first line.

A row is refused when the API would refuse it or could not send it: a line
that is not UTF-8, longer than ``MAX_CSV_LINE_BYTES`` or a csv-module error
(bad quoting, a field over the module's limit); a row with more or fewer
cells than the header; a phone cell that is empty or not E.164 (the dial
request would fail); an attribute cell longer than a dial-request attribute
value may be. Header names sent as attributes must be valid dial-request
attribute keys, or every batch would be refused.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sim.scenario.limits import MAX_CSV_FIELD, MAX_CSV_LINE_BYTES, MAX_CSV_PROBLEMS

ATTRIBUTE_KEY = re.compile(r"[a-zA-Z0-9\-_]+")
ATTRIBUTE_KEY_HELP = "letters, digits, '-' and '_' only"
_E164 = re.compile(r"\+[1-9]\d{1,14}")
_BOM = b"\xef\xbb\xbf"


class _Lines:
    """The physical lines of a file as UTF-8 text, each at most MAX_CSV_LINE_BYTES.

    A line that is too long or not UTF-8 is noted in ``bad`` and handed on as
    text the csv module can read, so the row holding it is found and refused.
    """

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.number = 0
        self.bad: list[tuple[int, str]] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = self.handle.readline(MAX_CSV_LINE_BYTES + 1)
        if not raw:
            raise StopIteration
        self.number += 1
        if self.number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        if len(raw) > MAX_CSV_LINE_BYTES and not raw.endswith(b"\n"):
            self._skip_rest_of_line()
            self.bad.append((self.number, f"line longer than {MAX_CSV_LINE_BYTES:,} bytes"))
            return "\n"
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            byte = raw[exc.start]
            self.bad.append((self.number, f"not UTF-8 (byte 0x{byte:02x} at byte {exc.start + 1})"))
            return raw.decode("utf-8", errors="replace")

    def _skip_rest_of_line(self) -> None:
        while True:
            raw = self.handle.readline(MAX_CSV_LINE_BYTES + 1)
            if not raw or raw.endswith(b"\n"):
                return

    def take_bad(self, last_line: int) -> str | None:
        """The first problem noted on lines up to ``last_line`` (and forget them)."""
        if not self.bad or self.bad[0][0] > last_line:
            return None
        taken = [msg for number, msg in self.bad if number <= last_line]
        self.bad = [(n, m) for n, m in self.bad if n > last_line]
        return taken[0]


@dataclass(frozen=True)
class Record:
    """One CSV record: its row number, first line, cells, and what is wrong with it."""

    row: int
    line: int
    cells: list[str]
    problem: str | None

    def where(self) -> str:
        return f"row {self.row}" + (f" (line {self.line})" if self.line != self.row else "")


def records(path: Path) -> Iterator[Record]:
    """Every record of the file, in order; blank records are skipped."""
    with path.open("rb") as handle:
        lines = _Lines(handle)
        reader = csv.reader(lines, strict=True)
        row, last = 0, 0
        while True:
            problem = None
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                cells, problem = [], f"not valid CSV: {exc}"
            problem = lines.take_bad(reader.line_num) or problem
            first, last = last + 1, reader.line_num
            if not cells and problem is None:
                continue  # a blank line
            row += 1
            yield Record(row, first, cells, problem)


@dataclass(frozen=True)
class Layout:
    """Where the phone and the attributes are in each row."""

    width: int
    phone_column: str
    phone: int
    attributes: tuple[tuple[str, int], ...]

    def check(self, record: Record) -> str | None:
        """What is wrong with a data row, or None."""
        if record.problem is not None:
            return record.problem
        cells = record.cells
        if len(cells) != self.width:
            return f"{len(cells)} cell(s), but the header has {self.width}"
        phone = cells[self.phone].strip()
        if not phone:
            return f"{self.phone_column} is empty"
        if not _E164.fullmatch(phone):
            shown = repr(phone) if len(phone) <= 30 else repr(phone[:27] + "...")
            return f"{self.phone_column} {shown} is not an E.164 number (e.g. +15550100)"
        for name, index in self.attributes:
            if len(cells[index]) > MAX_CSV_FIELD:
                return f"{name} is longer than {MAX_CSV_FIELD:,} characters"
        return None

    def row(self, record: Record) -> tuple[str, dict[str, str]]:
        cells = record.cells
        return cells[self.phone].strip(), {name: cells[i] for name, i in self.attributes}


def header_problems(
    header: list[str],
    phone_column: str,
    attribute_columns: tuple[str, ...] | None,
    label: str = "the file",
) -> list[tuple[str, str]]:
    """(key, message) for each problem of the header: key is the scenario key to blame."""
    problems: list[tuple[str, str]] = []
    missing = f"is not a column of {label} (columns: {', '.join(header)})"
    seen: set[str] = set()
    for i, name in enumerate(header, 1):
        if name in seen:
            problems.append(("path", f"{label} header: column {i} repeats the name {name!r}"))
        seen.add(name)
    if phone_column not in header:
        problems.append(("phone_column", f"{phone_column!r} {missing}"))
    if attribute_columns is None:
        for i, name in enumerate(header, 1):
            if name != phone_column and not ATTRIBUTE_KEY.fullmatch(name):
                problems.append(
                    (
                        "path",
                        f"{label} header: column {i} ({name!r}) would be sent as a"
                        f" dial-request attribute, whose keys take {ATTRIBUTE_KEY_HELP};"
                        " rename it or list the columns to send in attribute_columns",
                    )
                )
        return problems
    for j, name in enumerate(attribute_columns):
        if name not in header:
            problems.append((f"attribute_columns[{j}]", f"{name!r} {missing}"))
    return problems


def layout(
    header: list[str], phone_column: str, attribute_columns: tuple[str, ...] | None
) -> Layout:
    """The layout of a header that has no problems."""
    names = (
        [c for c in header if c != phone_column]
        if attribute_columns is None
        else list(attribute_columns)
    )
    index = {name: i for i, name in enumerate(header)}
    attributes = tuple((name, index[name]) for name in names)
    return Layout(len(header), phone_column, index[phone_column], attributes)


@functools.lru_cache(maxsize=64)
def _check(
    path: Path, size: int, mtime_ns: int, phone: str, attributes: tuple[str, ...] | None
) -> tuple[tuple[str, str], ...]:
    del size, mtime_ns  # part of the cache key only: a changed file is read again
    label = path.name
    found = records(path)
    head = next(found, None)
    if head is None:
        return (("path", f"{label} is empty (expected a header row)"),)
    if head.problem is not None:
        return (("path", f"{label} {head.where()} (the header): {head.problem}"),)
    problems = header_problems(head.cells, phone, attributes, label)
    if problems:
        return tuple(problems)
    shape = layout(head.cells, phone, attributes)
    listed: list[tuple[str, str]] = []
    bad = 0
    for record in found:
        problem = shape.check(record)
        if problem is not None:
            bad += 1
            if bad <= MAX_CSV_PROBLEMS:
                listed.append(("path", f"{label} {record.where()}: {problem}"))
    if bad > MAX_CSV_PROBLEMS:
        more = bad - MAX_CSV_PROBLEMS
        listed.append(("path", f"{label}: and {more:,} more row(s) with problems"))
    return tuple(listed)


def check_csv(
    path: Path, phone_column: str, attribute_columns: tuple[str, ...] | None
) -> list[tuple[str, str]]:
    """Every problem of a CSV list, as (scenario key to blame, message).

    Reads the file once, row by row; the answer is remembered while the file
    keeps its size and modification time. Raises OSError if it cannot be read.
    """
    stat = path.stat()
    return list(_check(path, stat.st_size, stat.st_mtime_ns, phone_column, attribute_columns))
