"""Suite-wide settings and shared fixtures.

Under CI (the CI environment variable set, as .ci/run is run) hypothesis is
derandomized: the same examples every run, so a landing never depends on a
lucky draw. Locally it explores new examples each run.

PostgreSQL: tests that need it get a fresh database of their own on the
development/CI server (127.0.0.1:5432, user postgres), dropped afterwards;
without a server they are skipped with a one-line reason, or failed when
SIM_REQUIRE_POSTGRES is set (.ci/run sets it).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


# --------------------------------------------------------------------------- PostgreSQL

# The server of the development and CI machines; SIM_TEST_POSTGRES overrides it.
POSTGRES_SERVER = os.environ.get(
    "SIM_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432"
)
REQUIRE_POSTGRES = os.environ.get("SIM_REQUIRE_POSTGRES", "") not in ("", "0")


def _admin() -> object:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_SERVER)
    return psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname="postgres",
        autocommit=True,
        connect_timeout=3,
    )


@contextlib.contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, uniquely named database on the test server (its SQLAlchemy URL),
    dropped afterwards. Others run tests on the same server at the same time,
    so nothing is shared. Skips when the server is unreachable, unless
    SIM_REQUIRE_POSTGRES is set (as .ci/run does): then it fails."""
    try:
        admin = _admin()
    except Exception as error:  # the server is not there: skip, or fail when required
        reason = f"PostgreSQL not reachable at {POSTGRES_SERVER} ({type(error).__name__})"
        if REQUIRE_POSTGRES:
            pytest.fail(f"{reason}; SIM_REQUIRE_POSTGRES is set", pytrace=False)
        pytest.skip(reason)
    name = f"sim_test_{uuid.uuid4().hex[:16]}"
    with admin:  # type: ignore[attr-defined]
        admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[attr-defined]
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with _admin() as admin:  # type: ignore[attr-defined]
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_database() -> object:
    """``fresh_postgres_database`` itself, for fixtures that pick a backend by parameter."""
    return fresh_postgres_database


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a fresh PostgreSQL database for this test (see fresh_postgres_database)."""
    with fresh_postgres_database() as url:
        yield url


# --------------------------------------------------------------------------- Dask


@pytest.fixture(scope="session")
def dask_cluster() -> Iterator[object]:
    """One local Dask cluster of 2 worker processes for the session (starting one
    costs seconds); tests that kill workers start their own."""
    from sim.analysis.fanout import open_cluster

    with open_cluster(2) as cluster:
        yield cluster
