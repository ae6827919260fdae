"""The installed ``sim`` script's entry point.

The console script imports this small module first. A Ctrl-C that lands
while Python is still importing the command (click, the scenario and store
packages: about a tenth of a second) exits 130 with one line, as a Ctrl-C
later does (``sim.cli.main._Main``), never with Python's traceback.
"""

from __future__ import annotations

import sys

SIGINT_EXIT = 130  # 128 + SIGINT; the same as sim.cli.common.SIGINT_EXIT


def main() -> None:
    """Import the command, then run it."""
    try:
        from sim.cli.main import main as command
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(SIGINT_EXIT) from None
    command(prog_name="sim")
