"""The bounds a scenario must stay within, all in one place (docs/scenario.md "Limits").

Each bound is what the engine, the store and the API models can represent,
with room to spare, so a scenario that validates never fails at run time for
its input. Those that follow from another part of ``sim`` say which; a test
pins each of those against the part it follows.
"""

from __future__ import annotations

from datetime import UTC, datetime

DAY_S = 86_400.0
HOUR_S = 3_600.0

# -- the file ------------------------------------------------------------------

MAX_FILE_BYTES = 256 << 10
"""A scenario file is at most 256 KiB (long lists belong in CSV files).

Reading YAML costs about 10 us of CPU a value in pure Python, and a file of
this size holds up to ~100,000 values: about a second to read at worst.
"""

MAX_DEPTH = 32
"""YAML nesting depth (the deepest shipped scenario nests 6 levels)."""

MAX_NODES = 200_000
"""YAML values, counting every alias as the full copy it stands for."""

MAX_INT_DIGITS = 100
"""An integer written with more digits is out of every range here."""

# -- time ----------------------------------------------------------------------

EARLIEST_START = datetime(1970, 1, 1, tzinfo=UTC)
"""``start`` is at or after this instant (POSIX time 0)."""

LATEST_END = datetime(2200, 1, 1, tzinfo=UTC)
"""``start + horizon`` is at or before this instant (float seconds stay exact to 1 us)."""

MAX_DURATION_S = 366 * DAY_S
"""Any duration (horizon, offsets, delays, windows, lifetimes): at most 366 days."""

MAX_INTERVALS = 200_000
"""horizon / interval: the store writes KPIs for every reporting interval."""

MAX_SAMPLE_S = 6 * HOUR_S
"""The longest single draw of any duration distribution (a talk time, a wait...).

A call holds its line for at most review (300 s) + ring (60 s) + patience +
talk + after-contact work, three draws: 3 x 6h + 360 s stays below the day a
run may take to drain after its horizon (sim.engine.model.DRAIN_LIMIT_S).
"""

MAX_CAPPED_MEAN_SHARE = 0.01
"""An unbounded distribution (exponential, lognormal) is drawn capped at
MAX_SAMPLE_S; it is refused if the cap would cut more than this share of its mean."""

MIN_MEAN_S = 0.001
"""The mean of an exponential or lognormal is at least 1 ms."""

# -- counts and rates ----------------------------------------------------------

MAX_SEED = 2**63 - 1
"""The store keeps the seed in a signed 64-bit column."""

MAX_CAMPAIGNS = 500
"""Campaigns of one scenario (the core's quota of campaigns alive at once)."""

MAX_AGENTS = 100_000
"""Agents scheduled at once, over all groups (each is an object and a stream)."""

MAX_CONCURRENT_CALLS = 100_000
"""instance.concurrent_calls."""

MAX_BUFFER = 10_000_000
"""api.buffer_limit: pending dial requests per campaign."""

MAX_ATTEMPTS = 100
"""redial.max_attempts."""

MAX_REQUESTS = 10**12
"""A poisson source's max_requests."""

MIN_RATE_PER_HOUR = 0.001
MAX_RATE_PER_HOUR = 1_000_000.0
"""Batches per hour of a source (a rate of 0 is allowed only in piecewise windows)."""

MIN_API_RATE = 0.001
MAX_API_RATE = 1_000_000.0
"""API requests per second (quotas, the dialer's call rate)."""

MAX_BURST = 1_000_000
"""A token bucket's burst."""

# -- text ----------------------------------------------------------------------

MAX_NAME = 200
"""The scenario's name."""

MAX_DESCRIPTION = 10_000
"""The scenario's description."""

MAX_CAMPAIGN_NAME = 127
"""A campaign's name (CreateCampaign accepts 1..127 characters)."""

# -- CSV lists -----------------------------------------------------------------

MAX_CSV_LINE_BYTES = 1 << 20
"""One physical line of a CSV list."""

MAX_CSV_FIELD = 32_767
"""One cell of a CSV list (a dial-request attribute value is at most 32,767 characters)."""

MAX_CSV_PROBLEMS = 20
"""CSV problems listed one by one per source; the rest are counted."""
