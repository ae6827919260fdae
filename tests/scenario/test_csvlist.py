"""CSV contact lists: every problem named with its row, and the run reads only good rows."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario import CsvSource, ScenarioError, parse_scenario
from sim.scenario.csvlist import Scan, check_csv
from sim.scenario.limits import MAX_CSV_FIELD, MAX_CSV_LINE_BYTES, MAX_CSV_PROBLEMS

HEADER = b"phone_number,first_name,account_id\n"
GOOD = b"+15550100,Ava,1\n"


def _csv(tmp_path: Path, body: bytes, name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


def _problems(path: Path, attributes: tuple[str, ...] | None = None) -> list[str]:
    return [f"{key}: {message}" for key, message in check_csv(path, "phone_number", attributes)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (HEADER + GOOD + b"+15550101,Ben\n", "row 3: 2 cell(s), but the header has 3"),
        (HEADER + GOOD + b"+15550101,Ben,2,x\n", "row 3: 4 cell(s), but the header has 3"),
        (HEADER + GOOD + b"  ,Ben,2\n", "row 3: phone_number is empty"),
        (HEADER + b"+1 (555) 0100,Ava,1\n" + GOOD, "row 2: phone_number '+1 (555) 0100' is not"),
        (HEADER + b"+" + b"1" * 21 + b",Ava,1\n" + GOOD, "row 2: phone_number '+1111"),
        (
            HEADER + GOOD + b"+15550101," + b"x" * (MAX_CSV_FIELD + 1) + b",2\n",
            "row 3: first_name is longer than 32,767 characters",
        ),
        (
            HEADER + GOOD + b"+15550101," + b"x" * 200_000 + b",2\n",
            "row 3: not valid CSV: field larger than field limit",
        ),
        (HEADER + GOOD * 5000 + b"+15550101,\xe9,2\n" + GOOD, "row 5002: not UTF-8 (byte 0xe9"),
        (HEADER + b'+15550100,"Ava"x,1\n' + GOOD, "row 2: not valid CSV: ',' expected after '\"'"),
        (HEADER + GOOD + b'+15550101,"Ben,2\n', "row 3: not valid CSV: unexpected end of data"),
        (
            HEADER + GOOD + b"+15550101," + b"x," * MAX_CSV_LINE_BYTES + b"\n" + GOOD,
            "row 3: line longer than 1,048,576 bytes",
        ),
        (HEADER + b'+15550100,"A\nB\nC",1\n+15550101,x\n', "row 3 (line 5): 2 cell(s)"),
    ],
    ids=[
        "short-row",
        "long-row",
        "empty-phone",
        "phone-with-spaces",
        "phone-over-20",
        "long-attribute",
        "csv-field-limit",
        "bad-encoding-deep-in-the-file",
        "bad-quoting",
        "unterminated-quote",
        "over-long-line",
        "multi-line-cell",
    ],
)
def test_row_problems_name_their_row(tmp_path: Path, body: bytes, expected: str) -> None:
    problems = _problems(_csv(tmp_path, body))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"path: list.csv {expected}"), problems


@pytest.mark.parametrize(
    ("body", "attributes", "expected"),
    [
        (b"", None, "path: list.csv is empty (expected a header row)"),
        (b"\n\n", None, "path: list.csv is empty (expected a header row)"),
        (b"phone_number,\xff\n+15550100,x\n", None, "path: list.csv row 1 (the header): not UTF-8"),
        (b"phone,name\n+15550100,x\n", None, "phone_column: 'phone_number' is not a column"),
        (b"phone_number,a,a\n+15550100,x,y\n", None, "path: list.csv header: column 3 repeats"),
        (b"phone_number,first name\n+15550100,x\n", None, "path: list.csv header: column 2"),
        (HEADER + GOOD, ("zip",), "attribute_columns[0]: 'zip' is not a column of list.csv"),
        (HEADER + b"5550100,Ava,1\n555-0101,Ben,2\n", None, "phone_column: none of the 2"),
    ],
)
def test_header_and_list_problems(
    tmp_path: Path, body: bytes, attributes: tuple[str, ...] | None, expected: str
) -> None:
    problems = _problems(_csv(tmp_path, body), attributes)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems


def test_a_column_outside_attribute_columns_may_have_any_name(tmp_path: Path) -> None:
    path = _csv(tmp_path, b"phone_number,first name,id\n+15550100,A B,1\n")
    assert _problems(path, ("id",)) == []
    assert list(Scan(path, "phone_number", ("id",)).rows()) == [("+15550100", {"id": "1"})]


def test_clean_lists_in_every_line_ending_and_with_a_bom(tmp_path: Path) -> None:
    expected = [("+15550100", {"first_name": "Ava", "account_id": "1"})] * 2
    for body in (
        HEADER + GOOD + b"\n" + GOOD,
        (HEADER + GOOD + GOOD).replace(b"\n", b"\r\n"),
        b"\xef\xbb\xbf" + HEADER + GOOD + GOOD.rstrip(b"\n"),
    ):
        path = _csv(tmp_path, body)
        assert _problems(path) == []
        assert list(Scan(path).rows()) == expected


def test_many_bad_rows_are_listed_then_counted(tmp_path: Path) -> None:
    path = _csv(tmp_path, HEADER + GOOD + b",x,1\n" * 1000)
    problems = _problems(path)
    assert len(problems) == MAX_CSV_PROBLEMS + 1
    assert problems[0] == "path: list.csv row 3: phone_number is empty"
    assert (
        problems[-1] == f"path: list.csv: and {1000 - MAX_CSV_PROBLEMS:,} more row(s) with problems"
    )


def test_rows_yield_only_rows_that_validate(tmp_path: Path) -> None:
    """What the run reads: never a row validation would refuse, never an exception."""
    body = (
        HEADER
        + GOOD
        + b"+15550101,Ben\n"  # short
        + b"+15550102,\xff,3\n"  # not UTF-8
        + b'+15550103,"x"y,4\n'  # bad quoting
        + b" +15550104 ,Dev,5\n"  # spaces around the number are fine
        + b"12345,Eve,6\n"  # sent: the API rejects it alone (not E.164)
        + b"+15550105,"
        + b"x" * 200_000
        + b",7\n"  # over the csv module's field limit
    )
    path = _csv(tmp_path, body)
    assert len(_problems(path)) == 4
    phones = [phone for phone, _ in Scan(path).rows()]
    assert phones == ["+15550100", "+15550104", "12345"]


def test_a_list_changed_after_validation_never_breaks_the_run(
    tmp_path: Path, raw: dict[str, Any]
) -> None:
    path = _csv(tmp_path, HEADER + GOOD)
    raw["campaigns"][0]["sources"] = [{"kind": "csv", "path": str(path)}]
    source = parse_scenario(raw).campaigns[0].sources[0]
    assert isinstance(source, CsvSource)
    path.write_bytes(HEADER + b"\xff\xfe,,\n" + GOOD + b"+1,2\n")
    assert list(source.rows()) == [("+15550100", {"first_name": "Ava", "account_id": "1"})]
    path.write_bytes(b"no,header\n")
    assert list(source.rows()) == []


def test_validation_reports_the_source_and_the_file(tmp_path: Path, raw: dict[str, Any]) -> None:
    path = _csv(tmp_path, HEADER + GOOD + b",Ben,2\n", name="calls.csv")
    raw["campaigns"][0]["sources"] = [{"kind": "csv", "path": str(path)}]
    with pytest.raises(ScenarioError) as info:
        parse_scenario(raw)
    assert info.value.errors == [
        "campaigns[0].sources[0].path: calls.csv row 3: phone_number is empty"
    ]


def test_attribute_columns_must_be_attribute_keys(raw: dict[str, Any], tmp_path: Path) -> None:
    path = _csv(tmp_path, HEADER + GOOD)
    source = {"kind": "csv", "path": str(path), "attribute_columns": ["first name"]}
    raw["campaigns"][0]["sources"] = [source]
    with pytest.raises(ScenarioError) as info:
        parse_scenario(raw)
    assert info.value.errors[0].startswith(
        "campaigns[0].sources[0].attribute_columns[0]: 'first name' is not a dial-request"
    )


def test_a_path_that_cannot_be_used(raw: dict[str, Any]) -> None:
    for path, needle in (("~nobody-such-user/x.csv", "cannot use this path"), ("x" * 5000, "")):
        raw["campaigns"][0]["sources"] = [{"kind": "csv", "path": path}]
        with pytest.raises(ScenarioError) as info:
            parse_scenario(raw)
        assert info.value.errors[0].startswith("campaigns[0].sources[0].path: ")
        assert needle in info.value.errors[0]


def test_the_answer_is_read_again_when_the_file_changes(tmp_path: Path) -> None:
    path = _csv(tmp_path, HEADER + GOOD)
    assert _problems(path) == []
    path.write_bytes(HEADER + GOOD + b",x,1\n")
    assert _problems(path) == ["path: list.csv row 3: phone_number is empty"]


CSV_PIECES = [bytes([c]) for c in b',"\n\r x+1\xff\xfe\x00'] + [b"+15550100", b'""', b"\xe9"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CSV_PIECES), max_size=60).map(b"".join))
def test_any_bytes_give_problems_or_rows_never_an_exception(body: bytes) -> None:
    path = Path(tempfile.mkdtemp()) / "list.csv"
    path.write_bytes(b"phone_number,name\n" + body)
    problems = check_csv(path, "phone_number", None)
    rows = list(Scan(path).rows())
    assert all(isinstance(key, str) and message for key, message in problems)
    if not problems:  # a clean list: every data row is read
        assert all(phone for phone, _ in rows)
