"""Scrape cost without Kafka: evaluation and page in the worker benchmark's world.

Run: .venv/bin/python bench/scrape_bench.py [--events 50000] [--pages 40] [--per-page 800]

The simulator's world of ``worker_bench.py`` (12 queues, 2,000 agents, 40,000
contacts/h, seed 1) goes through the engine (both stages in one process, batches of
1,000); then, per page, ``--per-page`` more events (the steady phase's 0.4 s at
2,000/s) and one evaluation and text page, timed apart: what a worker's scrape holds
its event loop for, with the worker's GC thresholds and a freeze after the first
load (as a worker freezes at its checkpoints). The evaluation is timed whole and in
the holds a worker splits it into (serving.py), steps of about ``STEP_S`` each: the
read of the state, a part at a time, then the agents-required searches; and how many
Erlang A service levels the searches computed per page (not found in its cache).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stream.core.engine import Engine  # noqa: E402
from stream.core.forecast import erlang_a_service_level  # noqa: E402
from stream.core.timeutil import parse_time  # noqa: E402
from stream.export.text import TextWriter  # noqa: E402
from stream.runtime.gc_tuning import tune_gc  # noqa: E402
from stream.runtime.serving import STEP_S  # noqa: E402
from stream.sim import FaultCounts, SimSettings  # noqa: E402
from stream.sim.generate import iter_events  # noqa: E402

START_MS = 1_790_000_000_000


def world(count: int) -> list[tuple[bytes, int]]:
    """``count`` simulator messages with the clock a live worker would judge them by."""
    settings = SimSettings(
        queues=12, agents=2000, contacts_per_hour=40_000, duration_s=2400, seed=1, curve="flat"
    )
    out, clock = [], START_MS
    for record in iter_events(settings, START_MS, FaultCounts()):
        value = record.value
        raw = value if isinstance(value, bytes) else orjson.dumps(value)
        # The simulator's invalid messages are judged by the clock so far.
        with contextlib.suppress(ValueError, KeyError, TypeError):
            clock = max(clock, parse_time(orjson.loads(raw)["time"]))
        out.append((raw, clock))
        if len(out) == count:
            return out
    raise SystemExit(f"the simulator made only {len(out):,} messages")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--per-page", type=int, default=800)
    args = parser.parse_args()
    messages = world(args.events + args.pages * args.per_page)
    tune_gc()
    engine, writer = Engine(), TextWriter()
    for start in range(0, args.events, 1000):
        engine.ingest_batch(messages[start : min(start + 1000, args.events)])
    gc.freeze()
    evaluations, holds, pages, size = [], [], [], 0
    computed = erlang_a_service_level.cache_info().misses
    clock = time.perf_counter
    for page in range(args.pages):
        start = args.events + page * args.per_page
        batch = messages[start : start + args.per_page]
        engine.ingest_batch(batch)
        at_ms = batch[-1][1] + 1000
        began = hold = clock()
        evaluation = engine.evaluation(at_ms)  # the holds read the state, then search
        while True:  # (a worker ingests between them)
            done = evaluation.step(hold + STEP_S, clock)
            if done:
                families = evaluation.families()
            holds.append(clock() - hold)
            if done:
                break
            hold = clock()
        evaluated = clock()
        size = len(writer.render(families))
        pages.append(clock() - evaluated)
        evaluations.append(evaluated - began)
    ms = {
        "evaluation": [x * 1000 for x in evaluations],
        "its holds": [x * 1000 for x in holds],
        "page": [x * 1000 for x in pages],
    }
    computed = erlang_a_service_level.cache_info().misses - computed
    print(
        f"{args.pages} pages of {size / 1000:.0f} kB after {args.events:,} events, "
        f"{args.per_page} more per page: "
        + "; ".join(
            f"{name} p50 {percentile(v, 50):.1f} ms, p90 {percentile(v, 90):.1f} ms, "
            f"max {max(v):.1f} ms"
            for name, v in ms.items()
        )
        + f"; {computed / args.pages:.0f} Erlang A service levels computed per page"
    )


if __name__ == "__main__":
    main()
