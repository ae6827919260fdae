"""Suite-wide settings.

Under CI (the CI environment variable set, as .ci/run is run) hypothesis is
derandomized: the same examples every run, so a landing never depends on a
lucky draw. Locally it explores new examples each run.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
