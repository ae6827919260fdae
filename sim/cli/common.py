"""What every ``sim`` command shares: exit codes, options, and the helpers that
turn bad input into a message and exit status 2."""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

BAD_INPUT = 2
SIGINT_EXIT = 130  # 128 + SIGINT, the shell's convention
# The store keeps seeds in a signed 64-bit column (sim.scenario.limits.MAX_SEED).
MAX_SEED = 2**63 - 1
SEED = click.IntRange(0, MAX_SEED)
# sim serve's fastest clock: sim.server.MAX_SPEED (not imported here: the
# server's imports are heavy; tests/test_bounds_cli.py checks they agree).
MAX_SPEED = 1e6

F = TypeVar("F", bound=Callable[..., Any])

RUN_OPTION = click.option(
    "--run",
    "run_id",
    type=click.IntRange(min=1, max=2**63 - 1),
    default=None,
    help="Run id (default: latest).",
)


def not_empty(what: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback refusing an empty value (``--db "$DB"`` with DB unset),
    which would otherwise mean an in-memory store or the current folder."""

    def check(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise click.BadParameter(f"empty; give {what}")
        return value

    return check


DB_GIVEN = not_empty("a SQLite file path or a database URL")
SCENARIO_GIVEN = not_empty("a scenario file")


def not_nan(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    """click's FloatRange lets NaN through (every comparison with it is false)."""
    if isinstance(value, float) and math.isnan(value):
        raise click.BadParameter("must be a number, not nan")
    return value


def sweep_option(help_text: str) -> Callable[[F], F]:
    """``--sweep [ID]``: a sweep id, or the latest sweep when given alone ("")."""
    return click.option(
        "--sweep", "sweep_id", is_flag=False, flag_value="", default=None, help=help_text
    )


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output as an aligned table or as JSON.",
)


def echo_json(value: Any) -> None:
    """``value`` as strict JSON on stdout: a NaN or infinite figure (a KPI with
    no data, a half-width of one run) is ``null``, never the ``NaN`` that
    ``json.dumps`` writes and JSON parsers refuse."""
    click.echo(json.dumps(_finite(value), indent=2, allow_nan=False))


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


# C0 controls but tab and newline, DEL and C1: what a hostile file could use to
# drive the terminal (escape sequences) when a message quotes it.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with terminal control characters shown escaped (``\\x1b``), not sent."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    click.echo(printable(message), err=True)
    sys.exit(code)


def load(path: str) -> Any:
    from sim.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as error:
        fail(f"{path}: {len(error.errors)} problem(s)\n" + "\n".join(error.errors))


def one_of_run_or_sweep(run_id: int | None, sweep_id: str | None) -> None:
    if run_id is not None and sweep_id is not None:
        fail("--run and --sweep: give one of them (a run, or a sweep), not both")


def check_seeds(scenario: Any, seed: int | None, replications: int) -> None:
    """Replication i uses seed base + i: the last one must fit the store too."""
    base = scenario.seed if seed is None else seed
    if base + replications - 1 > MAX_SEED:
        fail(
            f"--seed: seed {base} + {replications} replications passes {MAX_SEED},"
            " the largest seed the store keeps"
        )


def store_at(db: str, read_only: bool = True) -> Any:
    """The store ``db``: read-only (never created or changed) unless writing.

    Its connections close when the command ends, however it ends (an
    in-process caller, such as a test's ``CliRunner``, would otherwise leave
    them to the garbage collector, whose close of a writer's last connection
    checkpoints the file at some later, unrelated moment)."""
    from sim.store import Store

    store = Store(db, read_only=read_only)  # a StoreError exits 2 (see _Main)
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(store.dispose)
    return store


def progress_bar(quiet: bool) -> tuple[Callable[[float], None] | None, Callable[[], None]]:
    if quiet:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=1000, file=sys.stderr, delay=0.5, unit="‰", desc="simulating", leave=False)

    def update(fraction: float) -> None:
        bar.update(int(fraction * 1000) - bar.n)

    return update, bar.close


def duration(text: str, option: str) -> float:
    from sim.scenario import parse_duration

    try:
        return parse_duration(text)
    except ValueError as error:
        fail(f"{option}: not a duration: {text!r} ({error})")
