"""Hostile input at volume through a live worker (issue 10, item 2).

    .venv/bin/python bench/hostile_bench.py --valid 50000 --hostile 100000

Two phases on one embedded broker, each with a fresh worker and its own topics:

1. baseline: the valid events alone;
2. the same valid events with ``--hostile`` messages of every kind of
   ``stream/sim/hostile.py`` spread among them (random bytes, invalid UTF-8, empty,
   not objects, 10,000-deep nesting, 1e309, values one byte over the size limit with a
   valid twin one byte under, missing and mistyped fields, unknown types, bad times,
   NUL bytes, data that is not an object);
3. ``--queue-flood`` contacts queued and never answered, each in a queue of its own
   name: the series must stay capped at ``max_queues`` (500) plus ``__other__``;
4. ``--never-answered`` calls queued in four queues and never answered, their times
   spread evenly over the last ``--spread-minutes`` (50): the worker holds every one
   as waiting until it passes the stale horizon (``contact_max_age_hours``, at least
   an hour, after the day it counts in: longer than a run), so this measures what a
   million open contacts cost (RSS) and that the wallboard counts them all
   (``cx_contacts_waiting``).

Everything is produced first; then the worker drains it. Reported per phase: messages
per second from ready to all counted, the worker's peak and final RSS (VmHWM, VmRSS),
and whether every message was counted exactly (valid events in cx_events_total, the
rest in cx_events_invalid_total by reason, against the decoder's verdict offline).
The hostile phase is reported as a ratio to the baseline of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import secrets
import shlex
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
import orjson

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from worker_bench import Worker, wait_ready  # noqa: E402

from stream.core.decode import Decoder  # noqa: E402
from stream.core.events import Invalid  # noqa: E402
from stream.core.timeutil import format_time  # noqa: E402
from stream.runtime.broker import EmbeddedBroker  # noqa: E402
from stream.runtime.kafka_settings import KafkaSettings  # noqa: E402
from stream.runtime.producer import EventProducer, Router  # noqa: E402
from stream.sim import SimSettings, iter_events, to_json_line  # noqa: E402
from stream.sim.hostile import interleave  # noqa: E402

COUNTED = re.compile(r"^cx_events(?:_invalid)?_total\{[^}]*\} (\S+)$", re.M)
QUEUE = re.compile(r'^cx_contacts_offered_total\{[^}]*queue="([^"]*)"', re.M)
OVERFLOW = re.compile(r"^cx_label_overflow_total (\S+)$", re.M)
WAITING = re.compile(r"^cx_contacts_waiting\{[^}]*\} (\S+)$", re.M)
REASON = re.compile(r'^cx_events_invalid_total\{[^}]*reason="([a-z0-9_]+)"[^}]*\} (\S+)$', re.M)


def valid_lines(count: int, seed: int) -> list[bytes]:
    """About ``count`` simulated events ending now (no faults of the simulator's own)."""
    span_s = 2400
    settings = SimSettings(
        queues=4, agents=60, contacts_per_hour=count * 3600 / span_s / 6.5, duration_s=span_s,
        seed=seed, curve="flat", duplicates=0, late=0, out_of_order=0, invalid=0,
    )  # fmt: skip
    start = int(time.time() * 1000) - span_s * 1000
    return [to_json_line(value) for _, _, value in iter_events(settings, start)][:count]


def queue_flood(count: int) -> list[bytes]:
    """``count`` contacts queued, never answered, each in a queue of its own name: one
    bad producer that puts a caller id where the queue name goes."""
    now = format_time(int(time.time() * 1000) - 60_000)
    return [
        orjson.dumps({"specversion": "1.0", "id": f"flood-{n}", "source": "/bad", "time": now,
                      "type": "call.queued", "data": {"contact_id": f"F-{n}", "queue": f"q{n}"}})
        for n in range(count)
    ]  # fmt: skip


def never_answered(count: int, spread_minutes: float) -> list[bytes]:
    """``count`` calls queued and never answered (a dialler gone wrong, a lost
    ``answered`` stream), their times spread over the last ``spread_minutes``."""
    now = int(time.time() * 1000) - 60_000
    step = spread_minutes * 60_000 / count
    queues = ("billing", "tech-support", "sales", "vip")
    return [
        orjson.dumps({"specversion": "1.0", "id": f"never-{n}", "source": "/acd",
                      "time": format_time(now - round((count - n) * step)), "type": "call.queued",
                      "data": {"contact_id": f"N-{n}", "queue": queues[n % 4]}})
        for n in range(count)
    ]  # fmt: skip


def rss_kb(pid: int) -> tuple[int, int]:
    """(peak, current) resident set of ``pid`` in kB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmHWM"].split()[0]), int(fields["VmRSS"].split()[0])


async def phase(
    bootstrap: str,
    lines: list[bytes],
    verdicts: Counter,
    log_dir: Path,
    name: str,
) -> dict:
    prefix = f"hostile-{secrets.token_hex(3)}."
    kafka = KafkaSettings(bootstrap=(bootstrap,))
    async with EventProducer(kafka, Router(topic_prefix=prefix)) as producer:
        for line in lines:
            await producer.publish(line)
    worker = Worker(bootstrap, prefix, log_dir)
    samples: list[int] = []
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            worker.start()
            ready = await wait_ready(session, worker, 120)
            counted = 0.0
            deadline = ready + 900
            while counted < len(lines) and time.monotonic() < deadline and worker.alive():
                await asyncio.sleep(0.5)
                samples.append(rss_kb(worker.pid)[1])
                async with session.get(worker.url + "/metrics") as response:
                    text = await response.text()
                counted = sum(float(v) for v in COUNTED.findall(text))
            took = time.monotonic() - ready
            peak, final = rss_kb(worker.pid)
            alive = worker.alive()
            reasons: Counter = Counter()
            for reason, value in REASON.findall(text):
                reasons[reason] += round(float(value))
            expected = Counter({k: v for k, v in verdicts.items() if k != "valid"})
    finally:
        worker.stop()
    rate = len(lines) / took
    print(
        f"{name}: {len(lines):,} messages counted {counted:,.0f} in {took:.1f} s = "
        f"{rate:,.0f}/s; worker RSS peak {peak / 1024:.0f} MB, at the end "
        f"{final / 1024:.0f} MB (samples every 0.5 s: max {max(samples) / 1024:.0f} MB); "
        f"{'alive' if alive else '!! DIED'}",
        flush=True,
    )
    exact = counted == len(lines) and reasons == expected and alive
    if reasons != expected:
        print(f"!! invalid by reason {dict(reasons)}, the decoder says {dict(expected)}")
    return {"rate": rate, "exact": exact, "peak": peak, "metrics": text}


async def run(args: argparse.Namespace) -> None:
    log_dir = Path(tempfile.mkdtemp(prefix="cxkpi-hostile-bench-"))
    valid = valid_lines(args.valid, args.seed)
    mixed = interleave(valid, args.hostile, args.seed)
    decoder = Decoder()

    def verdicts(lines: list[bytes]) -> Counter:
        return Counter(
            r.reason if isinstance(r, Invalid) else "valid" for r in map(decoder.decode, lines)
        )

    mixed_verdicts = verdicts(mixed)
    size = sum(map(len, mixed)) / 1e6
    print(
        f"{len(valid):,} valid + {args.hostile:,} hostile = {len(mixed):,} messages, "
        f"{size:,.0f} MB; decoder offline: {dict(mixed_verdicts.most_common())}",
        flush=True,
    )
    with EmbeddedBroker(log=log_dir / "broker.log") as broker:
        base = await phase(broker.bootstrap, valid, verdicts(valid), log_dir, "baseline")
        hostile = await phase(broker.bootstrap, mixed, mixed_verdicts, log_dir, "with hostile")
        if args.queue_flood:
            flood = queue_flood(args.queue_flood)
            named = await phase(broker.bootstrap, flood, verdicts(flood), log_dir, "queue flood")
            queues = set(QUEUE.findall(named["metrics"]))
            overflow = OVERFLOW.search(named["metrics"])
            print(
                f"queue flood: {args.queue_flood:,} distinct queue names -> {len(queues):,} "
                f"queue label values (cap 500 + __other__: {'__other__' in queues}); "
                f"cx_label_overflow_total {overflow.group(1) if overflow else 'absent'}"
            )
        if args.never_answered:
            never = never_answered(args.never_answered, args.spread_minutes)
            held = await phase(broker.bootstrap, never, verdicts(never), log_dir, "never answered")
            waiting = sum(float(v) for v in WAITING.findall(held["metrics"]))
            print(f"never answered: cx_contacts_waiting sums to {waiting:,.0f}", flush=True)
    print(
        f"hostile / baseline messages per second: {hostile['rate'] / base['rate']:.2f}; "
        f"peak RSS {hostile['peak'] / 1024:.0f} MB against {base['peak'] / 1024:.0f} MB; "
        f"every message counted exactly: {base['exact'] and hostile['exact']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--valid", type=int, default=50_000)
    parser.add_argument("--hostile", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--queue-flood", type=int, default=100_000, help="then N distinct queue names (0: no)"
    )
    parser.add_argument(
        "--never-answered", type=int, default=0, help="then N calls never answered (0: no)"
    )
    parser.add_argument(
        "--spread-minutes", type=float, default=50.0, help="their times over the last M minutes"
    )
    args = parser.parse_args()
    print("command: " + shlex.join([Path(sys.executable).name, *sys.argv]), flush=True)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
