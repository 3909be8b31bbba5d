"""Settings of the simulated days the tests share (fixtures themselves: conftest.py)."""

from __future__ import annotations

from stream.core.timeutil import parse_time
from stream.sim import SimSettings
from stream.sim.settings import DEMO_AGENTS, DEMO_FLOOR_TARGET, DEMO_RATE

DAY_START = "2026-11-23T00:00:00Z"
DAY_START_MS = parse_time(DAY_START)
NO_FAULTS = {"duplicates": 0.0, "late": 0.0, "out_of_order": 0.0, "invalid": 0.0}
CLEAN_DAY = SimSettings(queues=5, agents=40, duration_s=86_400, seed=11, **NO_FAULTS)
FAULT_SHARES = {"duplicates": 0.02, "late": 0.01, "out_of_order": 0.02, "invalid": 0.01}
FAULTY_DAY = SimSettings(queues=5, agents=40, duration_s=86_400, seed=12, **FAULT_SHARES)
#: The demo's floor: a flat curve, its roster and rate, a floor manager (3 hours).
MANAGED_DAY = SimSettings(
    queues=4,
    agents=DEMO_AGENTS,
    contacts_per_hour=DEMO_RATE,
    duration_s=3 * 3600,
    curve="flat",
    floor_target=DEMO_FLOOR_TARGET,
    **NO_FAULTS,
)
