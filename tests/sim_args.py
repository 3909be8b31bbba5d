"""One small simulated run, as `cxkpi simulate` flags and as the settings they mean.

Shared by the simulator's CLI tests and its Kafka tests, so that both check the same
run against the library.
"""

from __future__ import annotations

from stream.sim import SimSettings

START = "2026-11-23T09:00:00Z"
FLAGS = [
    "--start",
    START,
    "--duration",
    "900",
    "--seed",
    "4",
    "--queues",
    "3",
    "--agents",
    "12",
    "--rate",
    "60",
    "--invalid",
    "0.02",
    "--duplicates",
    "0.02",
]
SETTINGS = SimSettings(
    queues=3,
    agents=12,
    contacts_per_hour=60,
    duration_s=900,
    seed=4,
    invalid=0.02,
    duplicates=0.02,
)
