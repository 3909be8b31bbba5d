"""Settings of the simulated days the tests share (fixtures themselves: conftest.py)."""

from __future__ import annotations

from stream.core.timeutil import parse_time
from stream.sim import SimSettings

DAY_START = "2026-11-23T00:00:00Z"
DAY_START_MS = parse_time(DAY_START)
NO_FAULTS = {"duplicates": 0.0, "late": 0.0, "out_of_order": 0.0, "invalid": 0.0}
CLEAN_DAY = SimSettings(queues=5, agents=40, duration_s=86_400, seed=11, **NO_FAULTS)
FAULT_SHARES = {"duplicates": 0.02, "late": 0.01, "out_of_order": 0.02, "invalid": 0.01}
FAULTY_DAY = SimSettings(queues=5, agents=40, duration_s=86_400, seed=12, **FAULT_SHARES)
