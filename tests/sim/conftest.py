"""Shared simulated days: a clean one (no faults) and one with faults at high shares.

A simulated day takes about a second, so each is built once per session and tests only
read them.
"""

from __future__ import annotations

import pytest
from sim_fixtures import CLEAN_DAY, DAY_START_MS, FAULTY_DAY, MANAGED_DAY

from stream.sim import FaultCounts, Record, iter_timed


@pytest.fixture(scope="session")
def clean_day() -> list[tuple[int, Record]]:
    """A whole day without faults, as (emit_ms, record)."""
    return list(iter_timed(CLEAN_DAY, DAY_START_MS))


@pytest.fixture(scope="session")
def managed_day() -> list[tuple[int, Record]]:
    """The demo's floor for three hours: agents move to back-office work and back."""
    return list(iter_timed(MANAGED_DAY, DAY_START_MS))


@pytest.fixture(params=["clean_day", "managed_day"])
def any_day(request: pytest.FixtureRequest) -> list[tuple[int, Record]]:
    """Each of the days whose lifecycles every test of invariants checks."""
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="session")
def faulty_day() -> tuple[list[tuple[int, Record]], FaultCounts]:
    """A whole day with faults at a few percent, and the counts of what was injected."""
    counts = FaultCounts()
    return list(iter_timed(FAULTY_DAY, DAY_START_MS, counts)), counts
