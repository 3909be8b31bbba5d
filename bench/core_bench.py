"""Core benchmark: ingest rate, evaluation time, state bytes per open entity.

Run: .venv/bin/python bench/core_bench.py [--events N]

On shared cores the rates move by 20-30 % between identical runs; instructions do
not. ``--only ingest`` and ``--only generate`` under ``valgrind --tool=callgrind``
give the ingest's instructions per event: (ingest − generate) / N; ``--only
first-scrape`` and ``--only world`` (with ``--queues 100`` and ``PYTHONHASHSEED=0``,
without which the difference moves by ±15 M) a first scrape's: their difference;
``--only replay`` and ``--only lines`` a replay's of examples/day.jsonl, per line.

Figures are reported next to a baseline measured in the same run on the same
messages: ``orjson.loads`` plus one dict update per message, the least any consumer
of these events does.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

import orjson

from stream.core.config import Config
from stream.core.engine import Engine
from stream.core.replay import replay
from stream.core.timeutil import MINUTE_MS, format_time, parse_time
from stream.runtime.gc_tuning import THRESHOLDS, tune_gc

EXAMPLE_DAY = Path(__file__).resolve().parent.parent / "examples" / "day.jsonl"
#: Messages per ``ingest_batch``, as a worker's poll (``max_poll_records``) and replay.
BATCH = 1_000
START = 1_795_500_000_000  # 2026-11-24T...Z, an arbitrary fixed instant


def event(type_: str, t: int, n: int, **data) -> bytes:
    return orjson.dumps(
        {
            "specversion": "1.0",
            "id": f"{type_}-{n}",
            "source": "/bench",
            "type": type_,
            "time": format_time(t),
            "datacontenttype": "application/json",
            "data": data,
        }
    )


def realistic_mix(count: int, queues: int = 50, seed: int = 1) -> list[bytes]:
    """Calls, chats, tickets, surveys and agent changes in a contact-center-like mix."""
    rng = random.Random(seed)
    out: list[bytes] = []
    t = START
    n = 0
    while len(out) < count:
        n += 1
        t += rng.randint(5, 60)  # ms: about 30 new contacts, tickets... a second
        q = f"queue-{rng.randrange(queues)}"
        roll = rng.random()
        if roll < 0.45:
            prefix = "call" if rng.random() < 0.7 else "chat"
            c = f"c{n}"
            out.append(
                event(
                    f"{prefix}.queued",
                    t,
                    n,
                    contact_id=c,
                    queue=q,
                    customer_id=f"u{rng.randrange(10**6)}",
                )
            )
            if rng.random() < 0.1:
                out.append(event(f"{prefix}.abandoned", t + 30_000, n, contact_id=c))
                continue
            out.append(
                event(
                    f"{prefix}.answered",
                    t + 15_000,
                    n,
                    contact_id=c,
                    agent_id=f"a{rng.randrange(500)}",
                )
            )
            if prefix == "chat":
                out.append(event("chat.message", t + 20_000, n, contact_id=c, author="agent"))
            out.append(event(f"{prefix}.ended", t + 200_000, n, contact_id=c, resolved=True))
            out.append(event(f"{prefix}.wrapup_ended", t + 230_000, n, contact_id=c, resolved=True))
        elif roll < 0.7:
            k = f"k{n}"
            out.append(event("ticket.created", t, n, ticket_id=k, queue=q, priority="normal"))
            out.append(event("ticket.commented", t + 600_000, n, ticket_id=k, author="agent"))
            out.append(event("ticket.status_changed", t + 900_000, n, ticket_id=k, status="solved"))
        elif roll < 0.85:
            s = f"s{n}"
            out.append(
                event("survey.sent", t, n, survey_id=s, kind="csat", queue=q, channel="voice")
            )
            out.append(
                event(
                    "survey.responded",
                    t + 60_000,
                    n,
                    survey_id=s,
                    kind="csat",
                    score=rng.randint(1, 5),
                )
            )
        else:
            states = ("available", "on_contact", "after_contact_work", "away")
            out.append(
                event(
                    "agent.state_changed",
                    t,
                    n,
                    agent_id=f"a{rng.randrange(500)}",
                    state=rng.choice(states),
                    queues=[q],
                    team=f"team-{rng.randrange(20)}",
                )
            )
    return out[:count]


def bench_ingest(messages: list[bytes], gc_label: str) -> None:
    table: dict = {}
    began = time.perf_counter()
    for raw in messages:
        obj = orjson.loads(raw)
        table[obj["id"]] = obj["time"]
    baseline = len(messages) / (time.perf_counter() - began)
    del table
    pairs = with_clocks(messages)
    began = time.perf_counter()
    engine = ingest(pairs)
    rate = len(messages) / (time.perf_counter() - began)
    print(
        f"ingest, {gc_label}: {rate:,.0f} events/s (decode + validate + lifecycle + "
        f"aggregates, batches of {BATCH:,}); baseline orjson.loads + dict update "
        f"{baseline:,.0f}/s; ratio {rate / baseline:.2f}"
    )
    del engine, pairs
    gc.collect()


def with_clocks(messages: list[bytes]) -> list[tuple[bytes, int]]:
    """The messages with the clock a live worker's wall clock would judge them by: it
    runs with the stream."""
    last = parse_time(orjson.loads(messages[-1])["time"])
    return [
        (raw, START + 240_000 + i * (last - START) // len(messages))
        for i, raw in enumerate(messages)
    ]


def ingest(pairs: list[tuple[bytes, int]]) -> Engine:
    engine = Engine()
    for start in range(0, len(pairs), BATCH):
        engine.ingest_batch(pairs[start : start + BATCH])
    return engine


def evaluation_world(queues: int = 1000) -> tuple[Engine, int, int]:
    """``queues`` queues × 3 channels (voice, chat, and email tickets), every minute of an
    hour busy: the engine, the evaluation time, and the last event number used."""
    engine = Engine(Config(limits=replace(Config().limits, max_queues=queues)))
    now = START + 3_600_000
    n = 0
    for minute in range(60):
        t = START + minute * MINUTE_MS
        for q in range(queues):
            for prefix in ("call", "chat"):
                n += 1
                c = f"{prefix}{q}-{minute}"
                engine.ingest(event(f"{prefix}.queued", t, n, contact_id=c, queue=f"q{q}"), now)
                n += 1
                engine.ingest(
                    event(f"{prefix}.answered", t + 5_000, n, contact_id=c, agent_id="a"), now
                )
            n += 1
            engine.ingest(
                event("ticket.created", t, n, ticket_id=f"k{q}-{minute}", queue=f"q{q}"), now
            )
    return engine, now, n


def bench_evaluate(queues: int = 1000) -> None:
    """Scrapes of ``evaluation_world``: the first, later ones, after a change, a new minute."""
    engine, now, n = evaluation_world(queues)

    def timed(at: int) -> float:
        began = time.perf_counter()
        engine.families(at)
        return (time.perf_counter() - began) * 1000

    cold = timed(now)
    warm = min(timed(now + i * 1000) for i in range(1, 4))
    # A live second: 100 queues get a call each, then the next scrape.
    for q in range(100):
        n += 1
        engine.ingest(event("call.queued", now, n, contact_id=f"live{q}", queue=f"q{q}"), now)
    busy = timed(now + 5_000)
    rollover = timed(now + MINUTE_MS)  # every series' windows move on by a minute
    samples = sum(len(f.samples) for f in engine.families(now + MINUTE_MS))
    print(
        f"evaluate {queues} queues x 3 channels, 60 busy minutes ({samples:,} samples): "
        f"first scrape {cold:.0f} ms; a scrape after the first {warm:.1f} ms; after 100 "
        f"queues changed {busy:.1f} ms; the first scrape of a new minute {rollover:.0f} ms"
    )


def bench_state_bytes(count: int = 100_000) -> None:
    clock = START + 60_000
    for kind, make in (
        (
            "open contact",
            lambda i: event(
                "call.queued", START, i, contact_id=f"c{i}", queue=f"q{i % 50}", customer_id=f"u{i}"
            ),
        ),
        (
            "open ticket",
            lambda i: event(
                "ticket.created", START, i, ticket_id=f"k{i}", queue=f"q{i % 50}", priority="high"
            ),
        ),
    ):
        messages = [make(i) for i in range(count)]
        gc.collect()
        tracemalloc.start()
        engine = Engine()
        before = tracemalloc.get_traced_memory()[0]
        for raw in messages:
            engine.ingest(raw, clock)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        print(f"state per {kind}: {(after - before) / count:,.0f} bytes ({count:,} open)")
        del engine


def bench_replay(path: Path = EXAMPLE_DAY) -> None:
    """``cxkpi replay`` in process: both stages over a recorded day, then one evaluation."""
    lines = path.read_bytes().splitlines()
    runs = []
    for _ in range(2):
        began = time.perf_counter()
        replay(lines).families()
        runs.append(time.perf_counter() - began)
    print(f"replay {path.name}: {len(lines) / min(runs):,.0f} lines/s ({len(lines):,} lines)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument(
        "--only",
        choices=("ingest", "generate", "world", "first-scrape", "replay", "lines"),
        help="for callgrind: one ingest with cxkpi's GC thresholds, or only its messages; "
        "or the evaluation's world (frozen, as a worker's checkpoint leaves it), with or "
        "without its first scrape; or one replay of examples/day.jsonl, or only its lines",
    )
    parser.add_argument(
        "--queues", type=int, default=1000, help="the evaluation world's queues (default 1000)"
    )
    args = parser.parse_args()
    if args.only in ("replay", "lines"):
        tune_gc()
        lines = EXAMPLE_DAY.read_bytes().splitlines()
        if args.only == "replay":
            replay(lines).families()
        return
    if args.only in ("world", "first-scrape"):
        tune_gc()
        engine, now, _ = evaluation_world(args.queues)
        gc.collect()
        gc.freeze()
        if args.only == "first-scrape":
            engine.families(now)
        return
    messages = realistic_mix(args.events)
    if args.only:
        tune_gc()
        pairs = with_clocks(messages)
        if args.only == "ingest":
            ingest(pairs)
        return
    bench_ingest(messages, "CPython's default GC")
    tune_gc()  # what every cxkpi command runs with, from here on
    bench_ingest(messages, f"cxkpi's GC thresholds {THRESHOLDS}")
    bench_replay()
    bench_evaluate(args.queues)
    bench_state_bytes()


if __name__ == "__main__":
    main()
