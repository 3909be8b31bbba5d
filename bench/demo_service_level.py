"""How normal the demo's day is: 15-minute service level and abandonment over a day.

Run: .venv/bin/python bench/demo_service_level.py [--seeds 0 1 2] [--hours 24]
     [--queues 4 --agents 400 --rate 800 --floor-target 0.8]  (the demo's defaults)

Issue 13 asks for a demo whose service level "mostly sits between 70 and 90 %" with
abandonment under 8 %. The demo's traffic (``cxkpi demo``: a flat curve, its queues,
agents and rate) is simulated for ``--hours`` from midnight UTC and replayed through
the engine; every 15 minutes of event time, after the first hour, each queue and
channel with at least ``--min-offered`` contacts offered in its 15-minute window
gives one sample of ``cx_service_level_ratio`` and ``cx_abandonment_ratio``
(window 15m). Printed: the share of samples in 70–90 %, below and above, the median,
below the 80 % target, and the shares with abandonment at 8 % or more and above the
5 % alert level (the last two and below target turn a wallboard tile red).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stream.core.engine import Engine  # noqa: E402
from stream.core.timeutil import parse_time  # noqa: E402
from stream.sim import FaultCounts, SimSettings  # noqa: E402
from stream.sim.generate import iter_events  # noqa: E402
from stream.sim.settings import DEMO_AGENTS, DEMO_FLOOR_TARGET, DEMO_RATE  # noqa: E402

START_MS = parse_time("2026-11-23T00:00:00Z")
QUARTER_MS = 15 * 60_000


def samples(
    settings: SimSettings, min_offered: int
) -> tuple[list[float], list[float], list[float]]:
    """Service levels over 15 minutes, abandonment ratios over 15 minutes and service
    levels today, one each per queue and channel worth a sample every 15 minutes."""
    engine = Engine()
    levels: list[float] = []
    abandons: list[float] = []
    today: list[float] = []
    next_at = START_MS + 60 * 60_000  # the first hour warms up (shifts, queues)
    clock = START_MS
    batch: list[tuple[bytes, int]] = []

    def evaluate(at_ms: int) -> None:
        values: dict[str, dict[tuple, float]] = {}
        for family in engine.families(at_ms):
            if family.name in ("cx_service_level_ratio", "cx_abandonment_ratio"):
                for labels, value in family.samples:
                    values.setdefault(f"{family.name} {labels[2]}", {})[labels[:2]] = value
            elif family.name == "cx_window_contacts":
                values["offered"] = {
                    labels[:2]: value
                    for labels, value in family.samples
                    if labels[2:] == ("offered", "15m")
                }
        for key, offered in values.get("offered", {}).items():
            if offered < min_offered:
                continue
            if (level := values["cx_service_level_ratio 15m"].get(key)) is not None:
                levels.append(level)
            if (ratio := values["cx_abandonment_ratio 15m"].get(key)) is not None:
                abandons.append(ratio)
            if (level := values["cx_service_level_ratio today"].get(key)) is not None:
                today.append(level)

    for record in iter_events(settings, START_MS, FaultCounts()):
        value = record.value
        raw = value if isinstance(value, bytes) else orjson.dumps(value)
        if isinstance(value, dict):
            clock = max(clock, parse_time(value["time"]))
        while clock >= next_at:
            engine.ingest_batch(batch)
            batch = []
            evaluate(next_at)
            next_at += QUARTER_MS
        batch.append((raw, clock))
    return levels, abandons, today


def report(name: str, levels: list[float], abandons: list[float], today: list[float]) -> str:
    if not levels:
        return f"{name}: no window had enough contacts"

    def band(values: list[float]) -> str:
        n = len(values)
        inside = sum(0.70 <= v <= 0.90 for v in values) / n
        below = sum(v < 0.70 for v in values) / n
        return (
            f"in 70-90 % {inside:.0%} (below {below:.0%}, above {1 - inside - below:.0%}), "
            f"median {statistics.median(values):.0%}"
        )

    high = sum(a >= 0.08 for a in abandons) / max(1, len(abandons))
    # What turns a wallboard tile red (SPEC defaults: target 0.80, abandonment alert 0.05).
    red = sum(v < 0.80 for v in levels) / len(levels)
    alert = sum(a > 0.05 for a in abandons) / max(1, len(abandons))
    return (
        f"{name}: {len(levels)} samples; SL 15m {band(levels)}, below the 80 % target "
        f"{red:.0%}; abandonment 15m >= 8 % in {high:.0%}, above the 5 % alert level in "
        f"{alert:.0%}; SL today {band(today)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--queues", type=int, default=4)
    parser.add_argument("--agents", type=int, default=DEMO_AGENTS)
    parser.add_argument("--rate", type=float, default=DEMO_RATE)
    parser.add_argument("--min-offered", type=int, default=10)
    parser.add_argument(
        "--floor-target",
        type=float,
        default=DEMO_FLOOR_TARGET,
        help="the floor manager's target; 0: no manager",
    )
    args = parser.parse_args()
    every: tuple[list[float], list[float], list[float]] = ([], [], [])
    for seed in args.seeds:
        settings = SimSettings(
            queues=args.queues,
            agents=args.agents,
            contacts_per_hour=args.rate,
            duration_s=round(args.hours * 3600),
            seed=seed,
            curve="flat",
            floor_target=args.floor_target or None,
        )
        found = samples(settings, args.min_offered)
        print(report(f"seed {seed}", *found), flush=True)
        for into, values in zip(every, found, strict=True):
            into += values
    print(report("all", *every))


if __name__ == "__main__":
    main()
