"""The ``sim`` command line, through click's CliRunner.

Exit codes (sim/cli): 0 success, 1 a check that ran and failed, 2 bad
input, always with a message and never a traceback.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
GOOD = sorted(SCENARIOS.glob("*.yaml"))
BAD = sorted((SCENARIOS / "bad").glob("*.yaml"))
QUICKSTART = SCENARIOS / "quickstart.yaml"

# Every problem of each bad scenario, by location (the part before ": ").
BAD_LOCATIONS: dict[str, list[str]] = {
    "cross_field.yaml": [
        "agent_groups[1].name",
        "campaigns[1].id",
        "agent_groups[1].queue",
        "campaigns[0].source_phone_number",
        "campaigns[2].queue",
        "campaigns[2].api",
        "campaigns[2].schedule[0].action",
        "campaigns[2].schedule[1].at",
        "campaigns[3].sources[0].phone_column",
        "campaigns[3].sources[0].attribute_columns[1]",
        "campaigns",
        "campaigns",
    ],
    "empty.yaml": ["(top level)"],
    "field_errors.yaml": [
        "start",
        "horizon",
        "agent_groups[0].staffing[1].end",
        "agent_groups[0].staffing[1].agents",
        "campaigns[0].mode",
        "campaigns[0].ring_timeout",
        "campaigns[0].sources[0].rate_per_hour",
        "campaigns[0].sources[1].kind",
        "campaigns[0].ring_timout",
        "outcomes",
        "durations.talk.sd",
    ],
    "not_a_mapping.yaml": ["(top level)"],
    "syntax.yaml": [str(SCENARIOS / "bad" / "syntax.yaml") + ":7:5"],
}


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def walk(group: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(group, click.Group):
        for name, command in sorted(group.commands.items()):
            yield from walk(command, (*path, name))


COMMANDS = list(walk(main))


def test_command_tree_is_known() -> None:
    assert [c for c in COMMANDS if len(c) == 1] == [
        ("plot",),
        ("replay",),
        ("report",),
        ("run",),
        ("schema",),
        ("serve",),
        ("staff",),
        ("sweep",),
        ("validate",),
    ]


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(("sim", *p)))
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = invoke(*path, "--help")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    command = command_at(path)
    assert command.help and command.help.strip(), f"sim {' '.join(path)} has no help text"
    # The help's first words are shown (click may re-wrap the rest).
    opening = " ".join(command.help.split()[:5])
    assert opening in " ".join(result.output.split())


def command_at(path: tuple[str, ...]) -> click.Command:
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


def test_every_option_has_help() -> None:
    bare = [
        f"sim {' '.join(path)} {param.opts[0]}"
        for path in COMMANDS
        for param in command_at(path).params
        if isinstance(param, click.Option) and not param.hidden and not param.help
    ]
    assert bare == []


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert re.fullmatch(r"sim, version \d+\.\d+\.\d+\S*\n", result.output)


def test_python_dash_m_sim_cli_is_the_sim_command() -> None:
    """``python -m sim.cli`` works without the installed ``sim`` script."""
    done = subprocess.run(
        [sys.executable, "-m", "sim.cli", "--version"], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert re.fullmatch(r"sim, version \d+\.\d+\.\d+\S*\n", done.stdout)


# -- validate -----------------------------------------------------------------------


def test_bad_scenarios_are_all_covered() -> None:
    assert [p.name for p in BAD] == sorted(BAD_LOCATIONS)


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_validate_bad_scenario_lists_every_error(path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    no_traceback(result)
    assert result.stdout == ""  # problems go to stderr
    header, *lines = result.stderr.strip().splitlines()
    expected = BAD_LOCATIONS[path.name]
    assert header == f"{path}: {len(expected)} problem(s)"
    assert len(lines) == len(expected), lines
    assert [line.split(": ", 1)[0] for line in lines] == expected
    for line in lines:
        _, message = line.split(": ", 1)
        assert message.strip()
        if path.name not in ("empty.yaml", "not_a_mapping.yaml", "syntax.yaml"):
            # Field problems point at their line in the file.
            assert re.search(rf"\({re.escape(path.name)} line \d+\)$", line), line


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_validate_good_scenario(path: Path) -> None:
    result = invoke("validate", str(path))
    assert result.exit_code == 0, result.output
    assert re.fullmatch(rf"{re.escape(str(path))}: valid \(\d+ campaign\(s\)\)\n", result.output)


def test_validate_missing_file() -> None:
    result = CliRunner().invoke(main, ["validate", "no/such/scenario.yaml"])
    assert result.exit_code == 2
    no_traceback(result)
    assert "not found" in result.stderr


# -- schema -------------------------------------------------------------------------


def test_schema_is_valid_json_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert {"start", "horizon", "campaigns"} <= set(schema["required"])
    # The shipped scenarios are instances of it (as an editor would check them).
    from sim.scenario.loading import read_yaml

    validator = jsonschema.Draft202012Validator(schema)
    for path in GOOD:
        errors = [e.message for e in validator.iter_errors(read_yaml(path))]
        assert not errors, f"{path.name}: {errors[:3]}"


# -- run, report, replay ------------------------------------------------------------


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding one quickstart run made by ``sim run``."""
    path = tmp_path_factory.mktemp("cli") / "runs.db"
    result = invoke("run", str(QUICKSTART), "--db", str(path), "--quiet")
    assert result.exit_code == 0, result.output
    return path


def test_run_prints_the_run_id(db: Path) -> None:
    # ``db`` made run 1; a second run in the same file is run 2.
    result = invoke("run", str(QUICKSTART), "--db", str(db), "--quiet")
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert re.fullmatch(rf"run 2 completed in \d+\.\ds \({re.escape(str(db))}\)", first)


def test_run_json_format(tmp_path: Path) -> None:
    path = tmp_path / "json.db"
    result = invoke("run", str(QUICKSTART), "--db", str(path), "--quiet", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["run_id"] == 1 and data["status"] == "completed"


def test_run_bad_scenario_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["run", str(SCENARIOS / "bad" / "field_errors.yaml"), "--db", str(tmp_path / "x")]
    )
    assert result.exit_code == 2
    no_traceback(result)
    assert "11 problem(s)" in result.stderr
    assert not (tmp_path / "x").exists()


# The headline keys (docs/store.md "Run summary"); the report may add more.
REPORT_KEYS = {
    "run_id",
    "name",
    "status",
    "seed",
    "dial_requests_received",
    "dial_requests_accepted",
    "dial_requests_rejected",
    "dial_requests_expired",
    "dial_requests_failed",
    "contacts_created",
    "dials",
    "live_answers",
    "voicemail",
    "no_answer",
    "busy_or_invalid",
    "connected_to_agent",
    "abandoned",
    "abandonment_rate",
    "amd_hangups",
    "agent_occupancy",
    "agent_utilisation",
    "wait_to_dial_mean_s",
    "wait_to_dial_p90_s",
    "dials_per_hour",
    "list_completion_s",
    "batch_put_contact_calls",
    "batch_put_contact_throttled",
    "batch_put_contact_retries",
    "sim_duration_s",
    "runtime_s",
    "per_campaign",
}


def test_report_json_keys(db: Path) -> None:
    result = invoke("report", str(db), "--run", "1", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= REPORT_KEYS
    # Exactly the run summary's fields, nothing lost or added on the way out.
    from sim.analysis.summary import RunSummary

    # ``dialing_day`` is there only when calling hours or contact limits were at work.
    assert set(data) == {f.name for f in dataclasses.fields(RunSummary)} - {"dialing_day"}
    assert data["run_id"] == 1 and data["name"] == "quickstart" and data["seed"] == 42
    assert set(data["per_campaign"]) == {"camp-1"}


def test_report_table(db: Path) -> None:
    result = invoke("report", str(db), "--run", "1")
    assert result.exit_code == 0, result.output
    assert result.output.strip()


def test_report_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    result = CliRunner().invoke(main, ["report", str(missing)])
    assert result.exit_code == 2
    no_traceback(result)
    assert result.stderr.strip() == f"{missing}: no such database file"
    assert not missing.exists()  # reporting never creates a database


def test_report_missing_run(db: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(db), "--run", "99"])
    assert result.exit_code == 2
    no_traceback(result)
    assert "no run 99" in result.stderr


def _text_file(path: Path) -> None:
    path.write_text("this is not sqlite\n")


def _other_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, lap REAL)")
        conn.execute("INSERT INTO runs (lap) VALUES (61.5)")
    conn.close()


NOT_STORES = {
    "empty": (lambda p: p.write_bytes(b""), "an empty file, not a sim store"),
    "text": (_text_file, "not a SQLite database (a text file starting 'this is not sqlite')"),
    "sqlite": (_other_sqlite, "a SQLite database, but not a sim store: it has tables runs"),
}
READERS = [("report",), ("replay",), ("plot", "--out", "figs")]


@pytest.mark.parametrize("kind", list(NOT_STORES))
@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_read_commands_refuse_a_file_that_is_not_a_store(
    kind: str, command: tuple[str, ...], tmp_path: Path
) -> None:
    make, message = NOT_STORES[kind]
    path = tmp_path / "x.db"
    make(path)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    result = CliRunner().invoke(main, [command[0], str(path), *command[1:]])
    assert result.exit_code == 2, result.output
    no_traceback(result)
    assert result.stderr.startswith(f"{path}: {message}") and result.stderr.count("\n") == 1
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.db"]


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_read_commands_refuse_a_truncated_store_and_leave_the_folder_as_it_was(
    command: tuple[str, ...], db: Path, tmp_path: Path
) -> None:
    """A store cut short (a partial copy): SQLite reads its header (WAL mode),
    makes -wal and -shm files, then refuses the file; they are removed."""
    path = tmp_path / "cut.db"
    path.write_bytes(db.read_bytes()[:8192])
    result = CliRunner().invoke(main, [command[0], str(path), *command[1:]])
    assert result.exit_code == 2, result.output
    no_traceback(result)
    assert result.stderr == f"{path}: cannot read (database disk image is malformed)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.db"]


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_read_commands_refuse_a_directory(command: tuple[str, ...], tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [command[0], str(tmp_path), *command[1:]])
    assert result.exit_code == 2
    no_traceback(result)
    assert f"'{tmp_path}' is a directory" in result.stderr
    run = CliRunner().invoke(main, ["run", str(QUICKSTART), "--db", str(tmp_path), "--quiet"])
    assert run.exit_code == 2
    assert run.stderr == f"{tmp_path}: a directory, not a database file\n"


@pytest.mark.parametrize("kind", ["text", "sqlite"])
def test_run_refuses_a_file_that_is_not_a_store(kind: str, tmp_path: Path) -> None:
    make, message = NOT_STORES[kind]
    path = tmp_path / "x.db"
    make(path)
    before = path.read_bytes()
    result = CliRunner().invoke(main, ["run", str(QUICKSTART), "--db", str(path), "--quiet"])
    assert result.exit_code == 2, result.output
    no_traceback(result)
    assert result.stderr.startswith(f"{path}: {message}")
    assert path.read_bytes() == before


def test_run_makes_an_empty_file_a_store(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    result = invoke("run", str(QUICKSTART), "--db", str(path), "--quiet")
    assert result.exit_code == 0, result.output
    assert invoke("replay", str(path)).exit_code == 0


def test_serve_refuses_a_db_that_is_not_a_store(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    _text_file(path)
    result = CliRunner().invoke(main, ["serve", "--db", str(path), "--port", "1"])
    assert result.exit_code == 2, result.output
    no_traceback(result)
    assert result.stderr.startswith(f"{path}: not a SQLite database")


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_read_commands_leave_a_store_byte_identical(
    command: tuple[str, ...], db: Path, tmp_path: Path
) -> None:
    def state() -> tuple[bytes, bytes]:
        """The database and its WAL frames (SQLite may add an empty -wal to read)."""
        wal = db.with_name(db.name + "-wal")
        return db.read_bytes(), wal.read_bytes() if wal.exists() else b""

    before, mtime = state(), db.stat().st_mtime_ns
    args = [a if a != "figs" else str(tmp_path / "figs") for a in command[1:]]
    result = invoke(command[0], str(db), "--run", "1", *args)
    assert result.exit_code == 0, result.output
    assert state() == before and db.stat().st_mtime_ns == mtime


@pytest.mark.parametrize("run", ["99999999999999999999", "-1", "0"])
@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_a_run_id_out_of_range_exits_2(run: str, command: tuple[str, ...], db: Path) -> None:
    result = CliRunner().invoke(main, [command[0], str(db), "--run", run, *command[1:]])
    assert result.exit_code == 2
    no_traceback(result)
    assert f"Invalid value for '--run': {run} is not in the range" in result.stderr


@pytest.mark.parametrize(
    ("url", "install"),
    [
        ("postgresql+psycopg2://sim:secret@localhost/runs", "pip install psycopg2-binary"),
        ("mysql://root@localhost/runs", "pip install mysqlclient"),
    ],
)
def test_a_missing_database_driver_exits_2_with_the_install_command(url: str, install: str) -> None:
    import importlib.util

    module = {"postgresql": "psycopg2", "mysql": "MySQLdb"}[url.split("+")[0].split(":")[0]]
    if importlib.util.find_spec(module) is not None:
        pytest.skip(f"{module} is installed here")
    for args in (["report", url], ["run", str(QUICKSTART), "--db", url, "--quiet"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, result.output
        no_traceback(result)
        assert result.stderr.strip().endswith(f"install it with: {install}")
        assert "secret" not in result.stderr


def test_a_database_error_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    assert invoke("run", str(QUICKSTART), "--db", str(path), "--quiet").exit_code == 0
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file itself
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name='contacts'"
        ).fetchone()
        (size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * size : root * size] = b"\xff" * size
    path.write_bytes(bytes(data))
    for command in ("report", "replay"):
        result = CliRunner().invoke(main, [command, str(path)])
        assert result.exit_code == 2, result.output
        no_traceback(result)
        assert result.stderr.startswith(f"{path}: database error: ")


def test_replay_equal(db: Path) -> None:
    result = invoke("replay", str(db), "--run", "1")
    assert result.exit_code == 0, result.output
    assert result.output == "run 1: projections equal to a replay of the events\n"


def test_replay_missing_run(db: Path) -> None:
    result = CliRunner().invoke(main, ["replay", str(db), "--run", "99"])
    assert result.exit_code == 2
    no_traceback(result)
    assert "no run 99" in result.stderr


def test_replay_detects_a_tampered_projection(tmp_path: Path) -> None:
    path = tmp_path / "tampered.db"
    assert invoke("run", str(QUICKSTART), "--db", str(path), "--quiet").exit_code == 0
    with sqlite3.connect(path) as conn:
        (contact,) = conn.execute(
            "SELECT contact_id FROM contacts WHERE run_id = 1 ORDER BY seq LIMIT 1"
        ).fetchone()
        conn.execute(
            "UPDATE contacts SET outcome = 'X' WHERE run_id = 1 AND contact_id = ?", (contact,)
        )
    result = CliRunner().invoke(main, ["replay", str(path)])
    assert result.exit_code == 1, result.output
    no_traceback(result)
    lines = result.output.splitlines()
    assert lines[0] == "run 1: projections differ from a replay of the events"
    assert any(f"contacts[{contact}]: outcome stored='X'" in line for line in lines[1:]), lines


def test_plot_to_a_folder_it_cannot_make_exits_2(db: Path, tmp_path: Path) -> None:
    """A file where a parent folder should be: mkdir's OSError was a traceback."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = CliRunner().invoke(main, ["plot", str(db), "--out", str(blocker / "figs")])
    assert result.exit_code == 2, result.output
    no_traceback(result)
    assert result.stderr.startswith(f"{blocker / 'figs'}: cannot write the figures: ")
    assert result.stderr.count("\n") == 1


def _strict(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_json_output_is_strict_json_with_null_for_missing_figures() -> None:
    """``json.dumps`` writes NaN for a KPI with no data (a half-width of
    replications where the KPI never occurred): not JSON to any parser."""
    from sim.cli.common import echo_json

    @click.command()
    def show() -> None:
        echo_json({"a": math.nan, "b": [math.inf, 1.5, -math.inf], "c": {"d": (2, math.nan)}})

    result = CliRunner().invoke(show, [])
    assert _strict(result.output) == {"a": None, "b": [None, 1.5, None], "c": {"d": [2, None]}}


def test_every_json_output_of_the_cli_goes_through_echo_json() -> None:
    for path in sorted((ROOT / "sim" / "cli").glob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "json.dumps(" in line and "allow_nan=False" not in line:
                assert "scenario_json_schema()" in line, f"{path.name}:{number}: {line}"
