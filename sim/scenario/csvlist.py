"""CSV contact lists: read and checked row by row, in constant memory.

One reader serves both ``sim validate`` (every problem, with its row) and the
run (``CsvSource.rows()``), so the run sees exactly the rows that validated
and never raises on a file's contents. The header is row 1 and the first
data row is row 2 (blank lines are skipped and not counted); a row whose
first line number differs from its row number also names its line.

A row is refused when it could not be sent, or the API would refuse the
whole batch holding it: a line that is not UTF-8 or longer than
``MAX_CSV_LINE_BYTES``, a csv-module error (bad quoting, a field over the
module's limit); more or fewer cells than the header; an empty phone cell,
or one the dial-request API does not take (more than 20 characters, or other
than digits, '-' and '+'); an attribute cell longer than a dial-request
attribute value may be. Header names sent as attributes must be valid
dial-request attribute keys, or every batch would be refused. A number the
API takes but that is not E.164 is sent, and rejected alone (InvalidInput),
as Amazon Connect does; a list with no E.164 number at all is refused, since
every request would be.

The file is read in blocks of whole lines that are decoded at once; only a
block that fails to decode, or holds an over-long line, is looked at line
by line, so a clean list costs little more than ``csv.reader`` itself.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import re
from collections import deque
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sim.scenario.limits import MAX_CSV_FIELD, MAX_CSV_LINE_BYTES, MAX_CSV_PROBLEMS

ATTRIBUTE_KEY = re.compile(r"[a-zA-Z0-9\-_]+")
ATTRIBUTE_KEY_HELP = "letters, digits, '-' and '_' only"
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_SENDABLE = re.compile(r"[0-9+\-]{1,20}")  # the dial-request API's phoneNumber
_BOM = b"\xef\xbb\xbf"
_BLOCK = 1 << 18

Bad = deque[tuple[int, str]]  # (line number, problem), in line order


def _decoded(lines: list[bytes], first: int, bad: Bad) -> str:
    """Whole lines as text; a line that is too long or not UTF-8 is noted and blanked."""
    out = []
    for number, raw in enumerate(lines, first):
        if len(raw.rstrip(b"\r\n")) > MAX_CSV_LINE_BYTES:
            bad.append((number, f"line longer than {MAX_CSV_LINE_BYTES:,} bytes"))
            out.append("\n")
            continue
        try:
            out.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            byte = raw[exc.start]
            bad.append(
                (number, f"not UTF-8 (byte 0x{byte:02x} at byte {exc.start + 1} of the line)")
            )
            out.append(raw.decode("utf-8", errors="replace"))
    return "".join(out)


def _blocks(handle: BinaryIO, bad: Bad) -> Iterator[str]:
    """The file as text, in blocks of whole lines; problems go to ``bad``."""
    carry, before = b"", 0
    data = handle.read(_BLOCK).removeprefix(_BOM)
    while data:
        data = carry + data
        cut = data.rfind(b"\n") + 1
        whole, carry = data[:cut], data[cut:]
        if whole:
            lines = whole.split(b"\n")[:-1]
            yield _block(whole, lines, before + 1, bad)
            before += len(lines)
        if len(carry) > MAX_CSV_LINE_BYTES:  # keep no more of it than this
            _skip_line(handle)
            before, carry = before + 1, b""
            bad.append((before, f"line longer than {MAX_CSV_LINE_BYTES:,} bytes"))
            yield "\n"
        data = handle.read(_BLOCK)
    if carry:  # the last line, without a line end
        yield _decoded([carry], before + 1, bad)


def _block(whole: bytes, lines: list[bytes], first: int, bad: Bad) -> str:
    """Whole lines as text: decoded at once unless a line is too long or not UTF-8."""
    if max(map(len, lines)) <= MAX_CSV_LINE_BYTES:
        try:
            return whole.decode("utf-8")
        except UnicodeDecodeError:
            pass  # find the bad lines
    return _decoded([raw + b"\n" for raw in lines], first, bad)


def _skip_line(handle: BinaryIO) -> None:
    """Read past the rest of an over-long line."""
    while True:
        raw = handle.readline(_BLOCK)
        if not raw or raw.endswith(b"\n"):
            return


def _take(bad: Bad, last: int) -> str:
    """The first problem noted on lines up to ``last``; those are forgotten."""
    problem = bad[0][1]
    while bad and bad[0][0] <= last:
        bad.popleft()
    return problem


@dataclass
class Scan:
    """One pass over a CSV list: its problems, and the data rows that have none.

    ``problems`` lists (scenario key to blame, message): the first
    MAX_CSV_PROBLEMS rows with problems one by one, then a count of the rest.
    """

    path: Path
    phone_column: str = "phone_number"
    attribute_columns: tuple[str, ...] | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)
    bad_rows: int = 0
    e164_rows: int = 0
    attributes: tuple[tuple[str, int], ...] = ()

    def good_rows(self) -> Iterator[list[str]]:
        """The cells of each data row without problems, in file order."""
        with self.path.open("rb") as handle:
            bad: Bad = deque()
            reader = _reader(handle, bad)
            phone = self._header(reader, bad)
            if phone is None:
                return
            rows = yield from self._rows(reader, bad, phone)
        if rows and not self.e164_rows:
            self.problems.append(
                (
                    "phone_column",
                    f"none of the {rows:,} numbers in {self.path.name} is E.164"
                    " (e.g. +15550100): the API would reject every request",
                )
            )
        if self.bad_rows > MAX_CSV_PROBLEMS:
            more = self.bad_rows - MAX_CSV_PROBLEMS
            self.problems.append(
                ("path", f"{self.path.name}: and {more:,} more row(s) with problems")
            )

    def _header(self, reader: Iterator[list[str]], bad: Bad) -> int | None:
        """The phone cell's index, or None (with the problems noted) if the header is unusable."""
        label = self.path.name
        header, problem = _first_row(reader, bad)
        if problem is not None:
            self.problems.append(("path", f"{label} row 1 (the header): {problem}"))
            return None
        if header is None:
            self.problems.append(("path", f"{label} is empty (expected a header row)"))
            return None
        problems = header_problems(header, self.phone_column, self.attribute_columns, label)
        if problems:
            self.problems += problems
            return None
        names = self.attribute_columns
        if names is None:
            names = tuple(c for c in header if c != self.phone_column)
        self.attributes = tuple((name, header.index(name)) for name in names)
        self._width = len(header)
        self._phone = header.index(self.phone_column)
        return self._phone

    def _rows(
        self, reader: Iterator[list[str]], bad: Bad, phone: int
    ) -> Generator[list[str], None, int]:
        """Yield the good rows; return how many data rows there were."""
        last = reader.line_num  # type: ignore[attr-defined]
        row, width = 1, self._width
        e164, sendable = _E164.fullmatch, _SENDABLE.fullmatch
        while True:
            try:
                for cells in reader:  # the common case: no exception, no call per row
                    first, last = last + 1, reader.line_num  # type: ignore[attr-defined]
                    problem = None
                    if bad and bad[0][0] <= last:
                        problem = _take(bad, last)
                    elif not cells:
                        continue  # a blank line
                    elif len(cells) != width:
                        problem = f"{len(cells)} cell(s), but the header has {width}"
                    elif e164(cells[phone].strip()):
                        self.e164_rows += 1
                    elif not sendable(cells[phone].strip()):
                        problem = self._bad_phone(cells[phone].strip())
                    if problem is None and max(map(len, cells)) > MAX_CSV_FIELD:
                        problem = self._long_cell(cells)
                    row += 1
                    if problem is None:
                        yield cells
                    else:
                        self._note(row, first, problem)
                return row - 1
            except csv.Error as exc:  # the reader goes on with the next line
                first, last = last + 1, reader.line_num  # type: ignore[attr-defined]
                problem = _take(bad, last) if bad and bad[0][0] <= last else None
                row += 1
                self._note(row, first, problem or f"not valid CSV: {exc}")

    def _bad_phone(self, phone: str) -> str:
        if not phone:
            return f"{self.phone_column} is empty"
        shown = repr(phone) if len(phone) <= 30 else repr(phone[:27] + "...")
        return (
            f"{self.phone_column} {shown} is not a number the dial-request API takes"
            " (at most 20 digits, '-' and '+'; it would refuse the whole batch)"
        )

    def _long_cell(self, cells: list[str]) -> str | None:
        for name, index in self.attributes:
            if len(cells[index]) > MAX_CSV_FIELD:
                return f"{name} is longer than {MAX_CSV_FIELD:,} characters"
        return None  # a long cell that is not sent

    def _note(self, row: int, line: int, problem: str) -> None:
        self.bad_rows += 1
        if self.bad_rows <= MAX_CSV_PROBLEMS:
            where = f"row {row}" + (f" (line {line})" if line != row else "")
            self.problems.append(("path", f"{self.path.name} {where}: {problem}"))

    def rows(self) -> Iterator[tuple[str, dict[str, str]]]:
        """(phone number, attributes) of each data row without problems."""
        found = self.good_rows()
        for cells in found:  # the header is read by now
            phone, attributes = self._phone, self.attributes
            yield cells[phone].strip(), {name: cells[i] for name, i in attributes}
            for cells in found:
                yield cells[phone].strip(), {name: cells[i] for name, i in attributes}


def _first_row(reader: Iterator[list[str]], bad: Bad) -> tuple[list[str] | None, str | None]:
    """The first non-blank row (None if there is none), or the problem that spoils it."""
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            return None, f"not valid CSV: {exc}"
        line = reader.line_num  # type: ignore[attr-defined]
        if bad and bad[0][0] <= line:
            return None, bad[0][1]
        if cells != []:
            return cells, None


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


@functools.lru_cache(maxsize=64)
def _check(
    path: Path, size: int, mtime_ns: int, phone: str, attributes: tuple[str, ...] | None
) -> tuple[tuple[str, str], ...]:
    del size, mtime_ns  # part of the cache key only: a changed file is read again
    scan = Scan(path, phone, attributes)
    for _ in scan.good_rows():
        pass
    return tuple(scan.problems)


def check_csv(
    path: Path, phone_column: str, attribute_columns: tuple[str, ...] | None
) -> list[tuple[str, str]]:
    """Every problem of a CSV list, as (scenario key to blame, message).

    Reads the file once, row by row; the answer is remembered while the file
    keeps its size and modification time. Raises OSError if it cannot be read.
    """
    stat = path.stat()
    return list(_check(path, stat.st_size, stat.st_mtime_ns, phone_column, attribute_columns))


def _reader(handle: BinaryIO, bad: Bad) -> Iterator[list[str]]:
    lines = itertools.chain.from_iterable(
        io.StringIO(block, newline="") for block in _blocks(handle, bad)
    )
    return csv.reader(lines, strict=True)


def header(path: Path) -> list[str]:
    """The cells of the first row (empty for an empty or unreadable header)."""
    with path.open("rb") as handle:
        bad: Bad = deque()
        cells, _ = _first_row(_reader(handle, bad), bad)
        return cells or []
