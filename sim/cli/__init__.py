"""The ``sim`` command (``sim.cli.main``): parse arguments, call one library
function, print. See the README for the commands and their exit statuses."""

from sim.cli.common import MAX_SEED
from sim.cli.main import main

__all__ = ["MAX_SEED", "main"]
