"""Mutation suite: malformed scenarios generated from the shipped ones.

Each case takes one of scenarios/*.yaml and breaks one thing: a value at a
path (non-finite, out of range, of the wrong type, written with another
script's digits), the YAML structure (deep nesting, alias bombs, cycles,
size, unreadable values) or the CSV list it reads (row by row). Every case
must give exit status 2 from both ``sim validate`` and ``sim run``, name its
location and a line (or row), and print no traceback; ``sim run`` must not create the database.

Value mutations are generated from the files: each scalar whose location
matches a class below gets that class's bad values, so a key added to a
shipped scenario is mutated too.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from sim.cli import main
from sim.scenario.errors import format_location
from sim.scenario.loading import read_yaml

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
BLAST = ROOT / "scenarios" / "lists" / "blast.csv"

# Which scalars get which bad values, by their formatted location.
CLASSES: dict[str, str] = {
    "seed": r"^seed$",
    "instant": r"^start$",
    "count": r"(concurrent_calls|agents|batch_size|max_requests|max_attempts)$",
    "fraction": r"^(campaigns\[\d+\]\.)?outcomes\.|(shrinkage|agents_fraction"
    r"|bandwidth_allocation|dialing_capacity|target_abandonment)$",
    "rate": r"rate_per_hour$",
    "flag": r"answering_machine_detection$",
    "duration": r"^(horizon|interval)$|(ring_timeout|expires_after|delay|connection_threshold"
    r"|evaluation_window|after_contact_work|\.duration)$|^durations\.\w+(\.(mean|sd|low|high))?$",
    "phones": r"phone_numbers$",
    "time_of_day": r"staffing\[\d+\]\.(start|end)$",
    "text": r"^(name|description)$|^campaigns\[\d+\]\.(id|name)$|^agent_groups\[\d+\]\.name$",
}
# Digits of another script: Python's \d, int() and float() take them; the
# scenario's numbers, times and phone numbers are ASCII.
ARABIC_10 = "\u0661\u0660"
BAD: dict[str, list[Any]] = {
    "seed": [2**63, -1, True, "42", math.nan, 2**70, 4.0],
    "instant": [
        1_700_000_000,
        "9999-12-31T23:00:00Z",
        "2026-10-06T09:00:00",
        True,
        "1700000000",
        f"20{ARABIC_10}-10-06T09:00:00-04:00",
    ],
    "count": [math.inf, -1, True, 2**70, 2.5, "10", 10**9],
    "fraction": [math.nan, math.inf, -1, True, "0.5", 1e308],
    "rate": [math.inf, math.nan, -1, 1e308, True, "60", 1e-320],
    "flag": ["yes", 1],
    "duration": [math.inf, math.nan, -1, 1e308, "367d", True, "soon", [1], f"{ARABIC_10}m"],
    "phones": [[f"+1555{ARABIC_10}100"], ["+15550100\n"], [15550100], ["15550100"]],
    "time_of_day": [f"{ARABIC_10}:00", "25:00", "9am", 86_401],
    # A NUL: SQLite stores it, PostgreSQL refuses it at the run's first write.
    "text": ["a\x00b", "\x00"],
}
PER_PATH_CLASS = 4  # bad values per (scenario, class); the offset rotates by scenario


@dataclass(frozen=True)
class Case:
    """One malformed scenario: how to write it and what its errors must name."""

    id: str
    source: str  # the shipped scenario it comes from
    location: str  # must appear as "location: " (or at the start of a line)
    write: Callable[[Path], str]  # the YAML text, given a folder for side files
    also: str = ""  # another text the output must hold (a row, a detail)
    lined: bool = True  # the output names a line or row (not when the whole file is at fault)


def shipped(name: str) -> dict[str, Any]:
    """A shipped scenario as data, its file paths (CSV lists, answer-rate tables)
    made absolute."""
    data: dict[str, Any] = read_yaml(ROOT / "scenarios" / name)
    for campaign in data["campaigns"]:
        for source in campaign.get("sources", []):
            if source["kind"] == "csv":
                source["path"] = str((ROOT / "scenarios" / source["path"]).resolve())
        if isinstance(campaign.get("answer_rates_by_hour"), str):
            table = ROOT / "scenarios" / campaign["answer_rates_by_hour"]
            campaign["answer_rates_by_hour"] = str(table.resolve())
    return data


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1_000)


def leaves(node: Any, where: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*where, key))
    elif isinstance(node, list) and node and isinstance(node[0], dict | list):
        for i, value in enumerate(node):
            yield from leaves(value, (*where, i))
    else:
        yield where, node


def set_at(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    node: Any = data
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return data


def _value_case(name: str, path: tuple[Any, ...], value: Any, cls: str) -> Case:
    location = format_location(list(path))
    label = re.sub(r"[^a-z0-9]+", "-", f"{value!r}"[:14].lower()).strip("-")
    return Case(
        f"{name[:-5]}:{location}={label}#{BAD[cls].index(value)}",
        name,
        location,
        lambda _: dump(set_at(shipped(name), path, value)),
    )


def value_cases() -> list[Case]:
    cases = []
    for offset, path_ in enumerate(SHIPPED):
        name = path_.name
        found = list(leaves(shipped(name)))
        for cls, pattern in CLASSES.items():
            paths = [p for p, _ in found if re.search(pattern, format_location(list(p)))]
            values = BAD[cls]
            for j in range(min(PER_PATH_CLASS, len(values)) if paths else 0):
                value = values[(j + offset) % len(values)]
                cases.append(_value_case(name, paths[j % len(paths)], value, cls))
    return cases


def _edit(name: str, edit: Callable[[dict[str, Any]], Any]) -> Callable[[Path], str]:
    def write(_: Path) -> str:
        data = shipped(name)
        edit(data)
        return dump(data)

    return write


def _text(name: str, before: str, after: str) -> Callable[[Path], str]:
    """Replace the first ``before`` in the dumped scenario by raw YAML ``after``."""

    def write(_: Path) -> str:
        text = dump(shipped(name))
        assert before in text
        return text.replace(before, after, 1)

    return write


def _laughs(levels: int = 9) -> str:
    lines = ["  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        lines.append(f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]")
    return "\n".join(lines)


def structure_cases() -> list[Case]:
    q = "quickstart.yaml"
    desc = "description: One progressive campaign dialing a morning list with twenty agents.\n"
    return [
        Case(
            "yaml:deep-nesting",
            q,
            "description" + "[0]" * 32,
            _text(q, desc, "description: " + "[" * 500 + "]" * 500 + "\n"),
        ),
        Case(
            "yaml:billion-laughs",
            q,
            "description.l5",
            _text(q, desc, "description:\n" + _laughs() + "\n"),
        ),
        Case("yaml:alias-cycle", q, "description[1]", _text(q, desc, "description: &c [x, *c]\n")),
        Case(
            "yaml:huge-integer",
            q,
            "seed",
            _text(q, "seed: 42\n", "seed: " + "9" * 5000 + "\n"),
            "5,000 digits",
        ),
        Case("yaml:bad-int-tag", q, "seed", _text(q, "seed: 42\n", "seed: !!int forty-two\n")),
        Case(
            "yaml:bad-timestamp-tag",
            q,
            "start",
            _text(q, "start: '2026", "start: !!timestamp 'x2026"),
            "timestamp",
        ),
        Case(
            "yaml:python-tag",
            q,
            "seed",
            _text(q, "seed: 42\n", "seed: !!python/object/apply:os.system [ls]\n"),
        ),
        Case(
            "yaml:duplicate-key",
            q,
            "seed",
            _text(q, "seed: 42\n", "seed: 42\nseed: 43\n"),
            "duplicate key",
        ),
        Case(
            "yaml:oversized-file",
            q,
            "mut.yaml",
            _text(q, desc, "description: " + "x" * (1 << 20) + "\n"),
            "larger than",
            lined=False,
        ),
        Case("yaml:nul-character", q, "mut.yaml:2", _text(q, desc, "description: a\x00b\n")),
        Case(
            "yaml:syntax",
            q,
            "mut.yaml:",
            _text(q, "seed: 42\n", "seed: [42\n"),
            "YAML syntax error",
        ),
    ]


def _many_campaigns(data: dict[str, Any]) -> None:
    first = data["campaigns"][0]
    data["campaigns"] = [
        {**first, "id": f"c{i}", "bandwidth_allocation": 0.001} for i in range(501)
    ]


def _crowd(data: dict[str, Any]) -> None:
    """Two overlapping shifts of 60,000 agents: 120,000 at once."""
    first, second = data["agent_groups"][0]["staffing"][:2]
    first.update(agents=60_000)
    second.update(agents=60_000, start=first["start"])


def bound_cases() -> list[Case]:
    q, p = "quickstart.yaml", "progressive_day.yaml"
    a = "agentless_blast.yaml"

    def talk(value: Any) -> Callable[[dict[str, Any]], Any]:
        return lambda d: d["durations"].__setitem__("talk", value)

    return [
        Case(
            "bound:start-plus-horizon",
            q,
            "horizon",
            _edit(q, lambda d: d.update(start="2199-12-31T23:00:00Z")),
        ),
        Case("bound:interval-count", p, "interval", _edit(p, lambda d: d.update(interval=0.01))),
        Case("bound:agents-at-once", p, "agent_groups", _edit(p, _crowd)),
        Case("bound:too-many-campaigns", q, "campaigns", _edit(q, _many_campaigns)),
        Case(
            "bound:lognormal-mean",
            q,
            "durations.talk.mean",
            _edit(q, talk({"kind": "lognormal", "mean": 1e308, "sd": 60})),
        ),
        Case(
            "bound:lognormal-spread",
            q,
            "durations.talk",
            _edit(q, talk({"kind": "lognormal", "mean": "1h", "sd": "2h"})),
            "6h",
        ),
        Case(
            "bound:exponential-mean",
            q,
            "durations.patience",
            _edit(
                q, lambda d: d["durations"].update(patience={"kind": "exponential", "mean": "2h"})
            ),
        ),
        Case(
            "bound:empirical-inf",
            q,
            "durations.voicemail.samples[1]",
            _edit(
                q,
                lambda d: d["durations"].update(
                    voicemail={"kind": "empirical", "samples": [20, math.inf]}
                ),
            ),
        ),
        Case(
            "bound:uniform-high",
            a,
            "durations.voicemail.high",
            _edit(a, lambda d: d["durations"]["voicemail"].update(high="1d")),
        ),
        Case(
            "bound:campaign-id-space",
            q,
            "campaigns[0].id",
            _edit(q, lambda d: d["campaigns"][0].update(id="camp 1")),
        ),
        Case(
            "bound:campaign-id-v2",
            a,
            "campaigns[0].id",
            _edit(a, lambda d: d["campaigns"][0].update(id="outage_notice")),
        ),
        Case(
            "bound:campaign-name",
            q,
            "campaigns[0].name",
            _edit(q, lambda d: d["campaigns"][0].update(name="n" * 128)),
        ),
        Case(
            "bound:instance-id",
            q,
            "instance.id",
            _edit(q, lambda d: d["instance"].update(id="my instance")),
        ),
    ]


# -- CSV lists: the shipped list, broken at one row ----------------------------


def _broken_list(edit: Callable[[list[bytes]], list[bytes]]) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        lines = BLAST.read_bytes().splitlines(keepends=True)
        path = folder / "broken.csv"
        path.write_bytes(b"".join(edit(lines)))
        return path

    return write


def _row(n: int, new: Callable[[bytes], bytes]) -> Callable[[list[bytes]], list[bytes]]:
    """Rewrite spreadsheet row ``n`` (the header is row 1)."""
    return lambda lines: [*lines[: n - 1], new(lines[n - 1]), *lines[n:]]


CSV_BREAKS: list[tuple[str, Callable[[list[bytes]], list[bytes]], str, str]] = [
    ("missing-cell", _row(17, lambda r: r.rsplit(b",", 1)[0] + b"\n"), "path", "row 17: 2 cell(s)"),
    ("extra-cell", _row(7, lambda r: r.rstrip(b"\n") + b",x\n"), "path", "row 7: 4 cell(s)"),
    (
        "empty-phone",
        _row(250, lambda r: b"  " + r[r.index(b",") :]),
        "path",
        "row 250: phone_number is empty",
    ),
    (
        "phone-over-20",
        _row(3, lambda r: b"+1" + b"2" * 25 + r[r.index(b",") :]),
        "path",
        "row 3: phone_number",
    ),
    (
        "long-field",
        _row(1000, lambda r: r.replace(b",", b"," + b"x" * 40_000, 1)),
        "path",
        "row 1000: first_name is longer",
    ),
    (
        "csv-field-limit",
        _row(5, lambda r: r.replace(b",", b"," + b"x" * 200_000, 1)),
        "path",
        "row 5: not valid CSV",
    ),
    (
        "bad-encoding",
        _row(1500, lambda r: r.replace(b",", b",\xff\xfe", 1)),
        "path",
        "row 1500: not UTF-8",
    ),
    (
        "bad-quoting",
        _row(42, lambda r: r.replace(b",", b',"Kira"x', 1)),
        "path",
        "row 42: not valid CSV",
    ),
    (
        "unterminated-quote",
        _row(1999, lambda r: r.replace(b",", b',"', 1)),
        "path",
        "row 1999: not valid CSV",
    ),
    (
        "over-long-line",
        _row(10, lambda r: r.rstrip(b"\n") + b"," * (1 << 20) + b"\n"),
        "path",
        "row 10: line longer",
    ),
    (
        "duplicate-column",
        _row(1, lambda r: b"phone_number,first_name,first_name\n"),
        "path",
        "repeats the name",
    ),
    (
        "column-not-an-attribute-key",
        _row(1, lambda r: r.replace(b"first_name", b"first name")),
        "",
        "first name",
    ),
    (
        "no-e164-number",
        lambda lines: [ln.replace(b"+1", b"") for ln in lines],
        "phone_column",
        "none of the 2,000",
    ),
    ("empty-file", lambda lines: [], "path", "is empty"),
]


def csv_cases() -> list[Case]:
    cases = []
    for name in ("agentless_blast.yaml", "predictive_vs_progressive.yaml"):
        for label, edit, key, also in CSV_BREAKS:
            location = f"campaigns[0].sources[0].{key}" if key else "campaigns[0].sources[0]."
            make = _broken_list(edit)

            def write(folder: Path, name: str = name, make: Callable[[Path], Path] = make) -> str:
                data = shipped(name)
                data["campaigns"][0]["sources"][0]["path"] = str(make(folder))
                return dump(data)

            cases.append(Case(f"csv:{name[:-5]}:{label}", name, location, write, also))
    return cases


CASES = value_cases() + structure_cases() + bound_cases() + csv_cases()


def test_the_suite_is_large_and_covers_every_shipped_scenario() -> None:
    assert len(CASES) >= 50
    assert {c.source for c in CASES} == {p.name for p in SHIPPED}
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("name", [p.name for p in SHIPPED])
def test_the_unmutated_rewrite_is_valid(tmp_path: Path, name: str) -> None:
    """So each case fails for its mutation, not for the way cases are written."""
    path = tmp_path / "mut.yaml"
    path.write_text(dump(shipped(name)), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output


def _names_its_place(output: str, case: Case) -> None:
    assert "Traceback" not in output
    assert case.location in output, output[:2_000]
    if case.lined:
        assert re.search(r"line \d+|\.yaml:\d+|row \d+", output), output[:2_000]
    assert case.also in output, output[:2_000]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_mutation_is_refused_by_validate_and_run(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "mut.yaml"
    path.write_text(case.write(tmp_path), encoding="utf-8", newline="\n")
    db = tmp_path / "run.db"
    runner = CliRunner()
    for args in (["validate", str(path)], ["run", str(path), "--db", str(db), "--quiet"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args[0], result.output[:2_000])
        assert isinstance(result.exception, SystemExit)
        _names_its_place(result.output, case)
    assert not db.exists()


SUBPROCESS = ["yaml:billion-laughs", "yaml:deep-nesting", "csv:agentless_blast:bad-encoding"]


@pytest.mark.parametrize("case_id", SUBPROCESS)
def test_mutation_in_a_real_process(tmp_path: Path, case_id: str) -> None:
    """The same, as a user runs it: a fresh interpreter, real stdout and stderr."""
    case = next(c for c in CASES if c.id == case_id)
    path = tmp_path / "mut.yaml"
    path.write_text(case.write(tmp_path), encoding="utf-8", newline="\n")
    db = tmp_path / "run.db"
    launcher = "from sim.cli import main; main()"
    for args in (["validate", str(path)], ["run", str(path), "--db", str(db), "--quiet"]):
        done = subprocess.run(
            [sys.executable, "-c", launcher, *args], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2, done.stderr[:2_000]
        _names_its_place(done.stdout + done.stderr, case)
    assert not db.exists()
