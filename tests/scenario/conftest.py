"""Fixtures for the scenario tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from .helpers import MINIMAL


@pytest.fixture
def raw() -> dict[str, Any]:
    """A fresh copy of a minimal valid scenario mapping, for a test to edit."""
    return copy.deepcopy(MINIMAL)
