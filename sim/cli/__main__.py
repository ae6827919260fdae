"""``python -m sim.cli``: the ``sim`` command without the installed script."""

from sim.cli.main import main

main(prog_name="sim")
