"""A sim store whose rows were damaged (edited by hand, a disk fault): the
reading commands refuse it with exit 2 and a message naming the store, the
run and the damaged value, never a traceback, and leave the file unchanged.

Before, a runs.scenario or an event payload that is not JSON, or an event
time that is not a number, made ``sim report`` / ``sim replay`` end in a
Python traceback (exit 1) and ``sim plot`` print the JSON parser's bare
message.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
FIRST_EVENT = "(SELECT min(position) FROM events)"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "good.db"
    result = CliRunner().invoke(main, ["run", str(QUICKSTART), "--db", str(path), "--quiet"])
    assert result.exit_code == 0, result.output
    return path


def damaged(recorded: Path, tmp_path: Path, statement: str) -> Path:
    path = tmp_path / "damaged.db"
    source, copy = sqlite3.connect(recorded), sqlite3.connect(path)
    source.backup(copy)  # the runs still in the -wal file too
    with copy:
        copy.execute(statement)
    source.close()
    copy.close()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("statement", "commands", "needle"),
    [
        (
            "UPDATE runs SET scenario = '{not json'",
            ["report", "replay", "plot"],
            "run 1: its recorded scenario is not JSON",
        ),
        (
            "UPDATE runs SET point = 'oops', sweep = 's'",
            ["report", "replay", "plot"],
            "run 1: its recorded point is not JSON",
        ),
        (
            f"UPDATE events SET payload = 'garbage' WHERE position = {FIRST_EVENT}",
            ["replay"],
            "run 1: event at position 1 has a payload that is not JSON",
        ),
        (
            f"UPDATE events SET time = 'abc' WHERE position = {FIRST_EVENT}",
            ["replay"],
            "run 1: event at position 1 has a time that is not a number ('abc')",
        ),
    ],
)
def test_a_damaged_row_is_refused_with_its_place(
    recorded: Path, tmp_path: Path, statement: str, commands: list[str], needle: str
) -> None:
    path = damaged(recorded, tmp_path, statement)
    before = digest(path)
    for command in commands:
        extra = ["--out", str(tmp_path / "figures")] if command == "plot" else []
        result = CliRunner().invoke(main, [command, str(path), *extra])
        assert result.exit_code == 2, (command, result.output)
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert f"{path}: " in result.output and needle in result.output, (command, result.output)
        assert "a damaged sim store" in result.output
        assert digest(path) == before
