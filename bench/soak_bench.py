"""Soak: one worker under steady live traffic for a long time. Does anything grow?

Run: .venv/bin/python bench/soak_bench.py [--minutes 30] [--slice-minutes 5]

An embedded broker (Tansu), one ``cxkpi worker``, and ``cxkpi simulate --realtime``
publishing a contact center whose event times are the wall clock: 12 queues, --agents
agents and --contacts-per-hour on a flat curve. The defaults make about 1,000 events/s
from a centre far over capacity (most callers abandon after a wait): the hard case,
tens of thousands waiting at once. Every --poll-interval (or
less often, so that scrapes take at most a fifth of the worker's loop) the bench
scrapes /metrics and reads the worker's RSS from /proc; every --probe-interval it
sends a probe ``call.queued`` into a queue of its own and times until /metrics shows
it (bench/worker_bench.py's ``Probes``). Each --slice-minutes it prints a line: events/s
counted, RSS at its end and its maximum, probe latency p50/p99 and scrape p50/p99.
What the worker wrote to its changelogs is printed at the end.

RSS must plateau: once the retention horizon (the start of the day, or an hour) has
been reached, state is dropped as fast as it is added.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import worker_bench as wb

from stream.core.events import DEADLETTER, SOURCE_TOPICS
from stream.runtime.broker import EmbeddedBroker
from stream.runtime.kafka_settings import KafkaSettings
from stream.runtime.producer import EventProducer, ensure_topics

#: Scrapes run on the worker's event loop: at most this share of it (as worker_bench).
SCRAPE_SHARE = 0.2


def rss_mb(pid: int | None) -> float:
    """Resident set size of a process, MB (0 when gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Slice:
    began: float
    count_at_start: float
    scrapes: list[wb.Scrape] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    probes: list[float] = field(default_factory=list)  # latencies of probes sent in it


def report(number: int, part: Slice, slice_s: float) -> str:
    took = [s.took for s in part.scrapes]
    last = part.scrapes[-1] if part.scrapes else None
    counted = (last.count - part.count_at_start) if last else 0.0
    probe = (
        f"p50 {wb.percentile(part.probes, 50):.2f} s, p99 {wb.percentile(part.probes, 99):.2f} s"
        if part.probes
        else "none seen"
    )
    return (
        f"| {number} | {counted / slice_s:,.0f} | {part.rss[-1]:.0f} / {max(part.rss):.0f} | "
        f"{probe} ({len(part.probes)}) | {wb.percentile(took, 50) * 1000:.0f} / "
        f"{wb.percentile(took, 99) * 1000:.0f} ms |"
    )


async def soak(args: argparse.Namespace, broker: EmbeddedBroker) -> None:
    import aiohttp

    kafka = KafkaSettings(bootstrap=(broker.bootstrap,))
    prefix = f"soak-{secrets.token_hex(3)}."
    await ensure_topics(kafka, [prefix + t for t in (*SOURCE_TOPICS, DEADLETTER)], 8)
    log_dir = Path(args.log_dir or tempfile.mkdtemp(prefix="cxkpi-soak-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    worker = wb.Worker(broker.bootstrap, prefix, log_dir)
    simulate = [
        sys.executable,
        "-m",
        "stream.cli.main",
        "simulate",
        "--broker",
        broker.bootstrap,
        "--topic-prefix",
        prefix,
        "--realtime",
        "--duration",
        str(round(args.minutes * 60 + 60)),
        "--queues",
        "12",
        "--agents",
        str(args.agents),
        "--rate",
        str(args.contacts_per_hour),
        "--curve",
        "flat",
        "--no-create-topics",
        "--progress-every",
        "0",
        "--progress-seconds",
        "0",
    ]
    print("worker: " + shlex.join(worker.command))
    print("simulator: " + shlex.join(simulate))
    probes = wb.Probes(4, 8)
    slice_s = args.slice_minutes * 60
    timeout = aiohttp.ClientTimeout(total=30)
    sim = None
    print("| slice | events/s counted | RSS end / max MB | probe latency | scrape p50 / p99 |")
    print("|---|---:|---:|---|---|")
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            worker.start()
            await wb.wait_ready(session, worker, 120.0)
            sim = subprocess.Popen(simulate, stdout=subprocess.DEVNULL, cwd=wb.ROOT)
            began = time.monotonic()
            first = await wb.scrape(session, worker.url)
            part = Slice(began, first.count)
            number, sent = 1, 0
            waiting: list[tuple[int, int, float]] = []  # probes not yet seen
            async with EventProducer(kafka) as producer:
                while time.monotonic() - began < args.minutes * 60:
                    tick = time.monotonic()
                    while sent * args.probe_interval <= tick - began:
                        queue, (topic, key, value) = probes.make(sent)
                        await producer.send(prefix + topic, value, key)
                        probes.record(queue, time.monotonic())
                        waiting.append(probes.sent[-1])
                        sent += 1
                    with contextlib.suppress(OSError, asyncio.TimeoutError):
                        got = await wb.scrape(session, worker.url)
                        part.scrapes.append(got)
                        seen = [w for w in waiting if got.probes.get(w[0], 0) >= w[1]]
                        part.probes += [got.received - w[2] for w in seen]
                        waiting = [w for w in waiting if w not in seen]
                    part.rss.append(rss_mb(worker.pid))
                    if not worker.alive():
                        raise SystemExit(f"worker exited:\n{worker.tail()}")
                    if time.monotonic() - part.began >= slice_s:
                        print(report(number, part, slice_s), flush=True)
                        last = part.scrapes[-1].count if part.scrapes else part.count_at_start
                        part, number = Slice(time.monotonic(), last), number + 1
                    took = part.scrapes[-1].took if part.scrapes else 0.0
                    pause = max(args.poll_interval, took / SCRAPE_SHARE)
                    await asyncio.sleep(max(0.0, pause - (time.monotonic() - tick)))
            print(f"probes never seen: {len(waiting)}")
    finally:
        if sim is not None:
            sim.terminate()
            sim.wait(30)
        worker.stop()
    print(f"worker log: {worker.log_path}")
    names = [f"{worker.app_id}-entities-changelog", f"{worker.app_id}-slices-changelog"]
    for name, written in (await wb.topic_sizes(kafka, names)).items():
        print(f"{name}: {written.messages:,} records, {written.size / 1e6:.1f} MB written")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--agents", type=int, default=2000, help="simulated agents (default 2000)")
    parser.add_argument(
        "--contacts-per-hour",
        type=int,
        default=1_500_000,
        help="simulated contacts per hour (default 1500000: about 1,000 events/s)",
    )
    parser.add_argument("--slice-minutes", type=float, default=5.0)
    parser.add_argument("--probe-interval", type=float, default=1.0, help="seconds")
    parser.add_argument(
        "--poll-interval", type=float, default=0.25, help="seconds between scrapes, at least"
    )
    parser.add_argument("--log-dir", help="worker log here (default: a temp dir)")
    args = parser.parse_args()
    print("command: " + shlex.join([Path(sys.executable).name, *sys.argv]))
    with EmbeddedBroker() as broker:
        print(f"embedded broker (Tansu) at {broker.bootstrap}, pid {broker.pid}")
        asyncio.run(soak(args, broker))


if __name__ == "__main__":
    main()
