"""Worker benchmark: end-to-end rate against the raw consumer ceiling, and latency.

Run: .venv/bin/python bench/worker_bench.py [--events N] [--broker HOST:PORT] [--profile]

One run, one broker (an embedded Tansu unless --broker), one set of topics:

1. The simulator generates N realistic events (times in the last ~40 minutes, so
   none is late) plus the events of the steady phase; the first N are produced to
   the five cx.* topics (8 partitions, a fresh topic prefix per run).
2. Ceiling: a fresh aiokafka consumer assigns every partition of the five topics,
   seeks to the beginning and reads the N events with ``getmany`` + ``orjson.loads``
   (docs/faust-on-tansu.md §7), best of --ceiling-runs. Then the broker's share of
   latency: send -> raw consumer, one hop, with Faust's fetch_max_wait_ms (1500) and 100.
3. Worker: ``cxkpi worker`` as a subprocess (fresh app id = consumer group), timed
   from /readyz 200 until its /metrics reflect all N events: the sum of
   cx_events_total and cx_events_invalid_total reaches N and every
   cx_consumer_lag_messages sample is 0. /metrics is polled every
   --drain-poll-interval (0.5 s) until the end is near (90 % counted, 90 % read, or due
   before the next poll at the rate so far), then one poll after the other, no closer
   than the worker's render interval (0.25 s); the time of the poll before the end is
   printed too, so a drain whose end a coarse poll saw late shows it.
4. Latency: the steady phase's events are produced at a paced --steady-rate (2,000/s)
   for --steady-seconds while /metrics is polled every --poll-interval, but never more
   often than scrape time / --scrape-share (a scrape runs on the worker's event loop).
   Every --probe-interval one extra ``call.queued`` goes into one of --probe-queues
   queues of its own (see ``Probes``); its latency is the time from handing it to the
   producer to receiving the first /metrics response whose ``cx_contacts_waiting`` of
   its queue includes it. The count-based figure does the same for every event: event
   k of the phase counts as reflected by the first response whose event count
   (cx_events_total + cx_events_invalid_total) is baseline + k or more. The worker's
   cx_worker_render_seconds histogram, read at the phase's first and last poll, says
   how long its evaluations and renderings held its event loop: the ingestion stall
   that scrapes cause, measured in the worker.
5. The worker is stopped and the messages it wrote (facts, changelogs, dead letters)
   are counted. With --profile, py-spy samples the worker in phases 3 and 4.

Latencies include the producer's linger (10 ms), the worker's batching and the poll
interval (an upper bound by up to one poll interval); the machine has 2 cores shared
by the broker, the worker and this script.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stream.core.events import DEADLETTER, SOURCE_TOPICS  # noqa: E402
from stream.core.timeutil import format_time  # noqa: E402
from stream.runtime.broker import EmbeddedBroker, free_port  # noqa: E402
from stream.runtime.kafka_settings import KafkaSettings  # noqa: E402
from stream.runtime.producer import EventProducer, ensure_topics  # noqa: E402
from stream.runtime.worker import WorkerSettings  # noqa: E402
from stream.sim import FaultCounts, SimSettings  # noqa: E402
from stream.sim.generate import iter_events  # noqa: E402

#: Simulated span: well inside the late horizon (midnight or now - 1 h, the earlier).
SIM_SPAN_S = 2400
PROBE_QUEUE = "bench-probe-"
PROBE_RE = re.compile(r'^cx_contacts_waiting\{[^}]*queue="bench-probe-(\d+)"[^}]*\} (\S+)$', re.M)
CLK_TCK = os.sysconf("SC_CLK_TCK")

Message = tuple[str, bytes | None, bytes]  # logical topic, key, value

#: How often a worker evaluates at most (its --render-interval default).
RENDER_INTERVAL_S = WorkerSettings.render_interval_s


# -- events ---------------------------------------------------------------------------


def generate(count: int, seed: int, faults: FaultCounts) -> tuple[list[Message], SimSettings, int]:
    """``count`` simulator messages, times from now - SIM_SPAN_S on, in send order."""
    # 40,000 contacts/h make ~170,000 messages in 40 minutes (agent events included).
    rate = max(40_000.0, count / 3.5)  # busier centres abandon more: fewer per contact
    settings = SimSettings(
        queues=12,
        agents=2000,  # 200 teams: the default max_teams, no label overflow
        contacts_per_hour=rate,
        duration_s=SIM_SPAN_S,
        seed=seed,
        curve="flat",
    )
    start_ms = int(time.time() * 1000) - SIM_SPAN_S * 1000
    out: list[Message] = []
    for record in iter_events(settings, start_ms, faults):
        value = record.value
        raw = value if isinstance(value, bytes) else orjson.dumps(value)
        key = record.key.encode("utf-8", "surrogatepass") if record.key is not None else None
        out.append((record.topic, key, raw))
        if len(out) == count:
            break
    if len(out) < count:
        raise SystemExit(f"the simulator made only {len(out):,} of {count:,} messages")
    return out, settings, start_ms


class Probes:
    """Probe events: ``call.queued`` into queues of their own, never answered.

    Probe k goes to queue ``bench-probe-(k mod queues)``; all contacts of one probe
    queue are keyed into one source partition (the producer's murmur2), so the worker
    handles them in send order and ``cx_contacts_waiting`` of that queue counts exactly
    how many of them are reflected: the m-th probe of a queue is in /metrics once the
    gauge is m or more.
    """

    def __init__(self, queues: int, partitions: int) -> None:
        self.queues, self.partitions = queues, partitions
        self.tag = secrets.token_hex(3)
        self.sent: list[tuple[int, int, float]] = []  # (queue, m, send time)
        self.per_queue = [0] * queues

    def make(self, index: int) -> tuple[int, Message]:
        from aiokafka.partitioner import murmur2

        queue = index % self.queues
        partition = queue * self.partitions // self.queues
        salt = 0
        while True:
            contact = f"{PROBE_QUEUE}{self.tag}-{index}-{salt}"
            if (murmur2(contact.encode()) & 0x7FFFFFFF) % self.partitions == partition:
                break
            salt += 1
        event = {
            "specversion": "1.0",
            "id": contact,
            "source": "/bench/probe",
            "type": "call.queued",
            "time": format_time(int(time.time() * 1000)),
            "datacontenttype": "application/json",
            "data": {"contact_id": contact, "queue": f"{PROBE_QUEUE}{queue}"},
        }
        return queue, ("cx.calls", contact.encode(), orjson.dumps(event))

    def record(self, queue: int, stamp: float) -> None:
        self.per_queue[queue] += 1
        self.sent.append((queue, self.per_queue[queue], stamp))

    def all_seen(self, scrape: Scrape) -> bool:
        return all(scrape.probes.get(q, 0) >= n for q, n in enumerate(self.per_queue))


# -- processes ------------------------------------------------------------------------


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU of a process so far (0 when unknown or gone)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Worker:
    def __init__(self, bootstrap: str, prefix: str, log_dir: Path, store: str = "memory://"):
        self.app_id = f"bench-{secrets.token_hex(4)}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"worker-{self.app_id}.log"
        self.command = [
            sys.executable,
            "-m",
            "stream.cli.main",
            "worker",
            "--broker",
            bootstrap,
            "--app-id",
            self.app_id,
            "--web-port",
            str(self.port),
            "--session-timeout",
            "6",
            "--topic-prefix",
            prefix,
            "--data-dir",
            str(log_dir / f"data-{self.app_id}"),
            "--store",
            store,
        ]
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "w")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(
            self.command,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )
        log.close()

    def store_note(self) -> str:
        """How the restart got its tables back: whole changelogs, or RocksDB and a tail."""
        if "rocksdb://" not in self.command:
            return "memory store: tables restored from their whole changelogs"
        loaded = re.findall(r"loaded ([\d,]+) keys of (\S+) .* in ([\d.]+) s", self.tail(100_000))
        return "RocksDB store: changelog tails, then " + ", ".join(
            f"{keys} keys of {table.rsplit('-', 2)[-2]} loaded in {seconds} s"
            for keys, table, seconds in loaded
        )

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        if not self.alive():
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text()[-chars:]
        except OSError:
            return "(no log)"


class Sampler:
    """py-spy attached to the worker for one phase; SIGINT makes it write its stacks."""

    def __init__(self, py_spy: str, pid: int, out: Path) -> None:
        self.out = out
        self.process = subprocess.Popen(
            [
                *(py_spy, "record", "--pid", str(pid), "--rate", "200", "--nonblocking"),
                *("--format", "raw", "--output", str(out)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> Path | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.out if self.out.exists() else None


def area(frame: str) -> str:
    """What a py-spy frame ``Class.function (path:line)`` belongs to: a module of ours,
    else the top-level package or stdlib module."""
    path = frame.rpartition(" (")[2].rsplit(":", 1)[0]
    if path.startswith("stream/"):
        return path
    return path.split("/", 1)[0].removesuffix(".py")


#: Where a py-spy sample goes: the first category with a frame in its stack (function
#: name or "" for any, and the start of the frame's file).
CATEGORIES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "/metrics scrapes (evaluate + render)",
        (("metrics", "stream/runtime/worker.py"), ("", "prometheus_client/")),
    ),
    (
        "writes: table puts (pickle) + facts sends, Faust + aiokafka producer",
        (
            ("put", "stream/runtime/state.py"),
            ("_send_outputs", "stream/runtime/worker.py"),
            ("_deliver", "stream/runtime/worker.py"),
            ("", "faust/transport/producer.py"),
            ("", "faust/topics.py"),
            ("", "faust/channels.py"),
            ("", "faust/tables/"),
            ("", "aiokafka/producer/"),
        ),
    ),
    ("stage 1 logic (on_events: decode, lifecycles, routing)", (("on_events", "stream/"),)),
    ("stage 2 logic (on_outputs: unpickle facts, apply)", (("on_outputs", "stream/"),)),
    ("Faust commit", (("commit", "faust/transport/consumer.py"),)),
    (
        "consumer: fetch thread, conductor, stream iteration",
        (
            ("", "faust/transport/consumer.py"),
            ("", "faust/transport/conductor.py"),
            ("", "faust/transport/drivers/"),
            ("", "faust/streams.py"),
            ("", "faust/agents/"),
            ("", "aiokafka/consumer/"),
            ("", "mode/threads.py"),
        ),
    ),
    ("network I/O", (("", "aiokafka/conn.py"), ("", "asyncio/selector_events.py"))),
)


def category(frames: list[str]) -> str:
    parsed = []
    for frame in frames:
        name, _, where = frame.partition(" (")
        parsed.append((name.rpartition(".")[2], where.rsplit(":", 1)[0]))
    for label, markers in CATEGORIES:
        for function, start in markers:
            if any((not function or f == function) and w.startswith(start) for f, w in parsed):
                return label
    return "event loop, tasks, other (stacks py-spy could not tie to a caller)"


def summarize(path: Path, title: str, top: int = 10) -> list[str]:
    """Self time by package and time by category, from py-spy raw stacks."""
    selfs: dict[str, int] = {}
    categories: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        leaf = area(frames[-1])
        selfs[leaf] = selfs.get(leaf, 0) + count
        label = category(frames)
        categories[label] = categories.get(label, 0) + count
    if not total:
        return [f"{title}: no samples"]
    lines = [f"{title}: {total:,} samples at 200/s (on-CPU only)", "  by category:"]
    for name, count in sorted(categories.items(), key=lambda kv: -kv[1]):
        lines.append(f"    {count / total:6.1%}  {name}")
    lines.append("  self time by package:")
    for name, count in sorted(selfs.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"    {count / total:6.1%}  {name}")
    return lines


# -- /metrics -------------------------------------------------------------------------


@dataclass
class Scrape:
    received: float  # monotonic time the response was complete
    took: float  # seconds from request to complete response
    size: int
    count: float  # cx_events_total + cx_events_invalid_total
    lag: list[float]
    probes: dict[int, float]  # probe queue → cx_contacts_waiting
    holds: dict[float, float] = field(default_factory=dict)  # cx_worker_render_seconds: le → n


def hold_report(first: Scrape, last: Scrape) -> str:
    """How long the evaluations and renderings between two scrapes held the worker's event
    loop (its cx_worker_render_seconds histogram): the ingestion stall scrapes cause."""
    edges = sorted(last.holds)
    counts = [last.holds[e] - first.holds.get(e, 0.0) for e in edges]
    total = counts[-1] if counts else 0.0
    if not total:
        return "no evaluation held the event loop"
    within = next((c for e, c in zip(edges, counts, strict=True) if e >= 0.05), total)
    p99 = next(e for e, c in zip(edges, counts, strict=True) if c >= 0.99 * total)
    longest = next(e for e, c in zip(edges, counts, strict=True) if c >= total)
    below = max((e for e, c in zip(edges, counts, strict=True) if c < total), default=0.0)
    return (
        f"{total:.0f} held the event loop: {within / total:.0%} for <= 50 ms, p99 <= "
        f"{p99 * 1000:.0f} ms, the longest {below * 1000:.0f}-{longest * 1000:.0f} ms"
    )


def parse(text: str, received: float, took: float) -> Scrape:
    count, lag, holds = 0.0, [], {}
    for line in text.splitlines():
        if line.startswith(("cx_events_total{", "cx_events_invalid_total{")):
            count += float(line.rsplit(" ", 1)[1])
        elif line.startswith("cx_consumer_lag_messages{"):
            lag.append(float(line.rsplit(" ", 1)[1]))
        elif line.startswith('cx_worker_render_seconds_bucket{le="'):
            edge, value = line[len('cx_worker_render_seconds_bucket{le="') :].split('"} ')
            holds[float(edge)] = float(value)
    probes: dict[int, float] = {}
    for queue, value in PROBE_RE.findall(text):
        probes[int(queue)] = probes.get(int(queue), 0.0) + float(value)  # sum of channels
    return Scrape(received, took, len(text), count, lag, probes, holds)


async def scrape(session, url: str) -> Scrape:
    began = time.monotonic()
    async with session.get(url + "/metrics") as response:
        text = await response.text()
    received = time.monotonic()
    return parse(text, received, received - began)


async def wait_ready(session, worker: Worker, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not worker.alive():
            raise SystemExit(f"worker exited:\n{worker.tail()}")
        with contextlib.suppress(OSError, asyncio.TimeoutError):
            async with session.get(worker.url + "/readyz") as response:
                if response.status == 200:
                    return time.monotonic()
        await asyncio.sleep(0.05)
    raise SystemExit(f"worker not ready within {timeout:g} s:\n{worker.tail()}")


# -- phases ---------------------------------------------------------------------------


async def restart(session, worker: Worker, log_dir: Path) -> str:
    """Stop the worker, start one with the same app id, time it to ready, check counts."""
    before = await scrape(session, worker.url)
    worker.stop()
    worker.log_path = log_dir / f"worker-{worker.app_id}-restart.log"
    began = time.monotonic()
    worker.start()
    ready = await wait_ready(session, worker, 1800.0)
    after = await scrape(session, worker.url)
    return (
        f"restart: ready {ready - began:.1f} s after start ({worker.store_note()}); "
        f"events counted {after.count:,.0f} (before the stop {before.count:,.0f})"
    )


async def produce(kafka: KafkaSettings, prefix: str, messages: list[Message]) -> float:
    producer = EventProducer(kafka)
    async with producer:
        began = time.monotonic()
        for topic, key, value in messages:
            await producer.send(prefix + topic, value, key)
        await producer.flush()
        elapsed = time.monotonic() - began
    return len(messages) / elapsed


async def ceiling(kafka: KafkaSettings, prefix: str, count: int, partitions: int) -> float:
    """Raw aiokafka + orjson over the same topics (docs/faust-on-tansu.md §7)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        **kafka.aiokafka_kwargs(),
        enable_auto_commit=False,
        max_partition_fetch_bytes=1 << 20,
        fetch_max_bytes=50 << 20,
    )
    await consumer.start()
    try:
        tps = [TopicPartition(prefix + t, p) for t in SOURCE_TOPICS for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        got = 0
        began = time.monotonic()
        while got < count:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            for records in batches.values():
                for record in records:
                    with contextlib.suppress(orjson.JSONDecodeError):
                        orjson.loads(record.value)
                got += len(records)
        return count / (time.monotonic() - began)
    finally:
        await consumer.stop()


async def fetch_floor(
    kafka: KafkaSettings, topic: str, wait_ms: int, count: int = 60
) -> tuple[float, float]:
    """p50 and max seconds from producer send to a raw consumer's getmany, one hop.

    The consumer waits in fetch requests of ``fetch_max_wait_ms=wait_ms``; Faust's
    aiokafka driver always uses 1500.
    """
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        **kafka.aiokafka_kwargs(), enable_auto_commit=False, fetch_max_wait_ms=wait_ms
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        sent: dict[bytes, float] = {}
        seen: list[float] = []

        async def receive() -> None:
            while len(seen) < count:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    seen.extend(time.monotonic() - sent[r.value] for r in records)

        receiver = asyncio.create_task(receive())
        await asyncio.sleep(0.5)
        async with EventProducer(kafka) as producer:
            for i in range(count):
                value = f"{wait_ms}-{i}".encode()
                sent[value] = time.monotonic()
                await producer.send(topic, value, value)
                await asyncio.sleep(0.05)
        await asyncio.wait_for(receiver, 30)
        return percentile(seen, 50), max(seen)
    finally:
        await consumer.stop()


@dataclass
class Written:
    """What one topic holds: messages, value bytes, largest value, and by key kind."""

    messages: int = 0
    size: int = 0
    largest: int = 0
    kinds: dict[str, list[int]] = field(default_factory=dict)  # kind → [messages, bytes]

    def add(self, key: bytes | None, value: bytes | None) -> None:
        n = len(value or b"")
        self.messages += 1
        self.size += n
        self.largest = max(self.largest, n)
        text = (key or b"").decode(errors="replace")
        cut = min((i for i in (text.find("/"), text.find(":")) if i >= 0), default=-1)
        kind = text[: cut + 1] if cut >= 0 else "other"
        counts = self.kinds.setdefault(kind, [0, 0])
        counts[0] += 1
        counts[1] += n


async def topic_sizes(kafka: KafkaSettings, topics: list[str]) -> dict[str, Written]:
    """Every message of ``topics``, read from the beginning and summed up."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(**kafka.aiokafka_kwargs(), enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        sizes = {topic: Written() for topic in topics}
        idle = 0
        while idle < 2:
            batches = await consumer.getmany(timeout_ms=500, max_records=10_000)
            idle = 0 if batches else idle + 1
            for tp, records in batches.items():
                written = sizes[tp.topic]
                for record in records:
                    written.add(record.key, record.value)
        return sizes
    finally:
        await consumer.stop()


@dataclass
class Steady:
    probes: Probes
    sent: list[float] = field(default_factory=list)  # send time of each message, in order
    scrapes: list[Scrape] = field(default_factory=list)
    duration: float = 0.0  # sending, seconds
    settled: bool = False


async def steady(
    session,
    worker: Worker,
    kafka: KafkaSettings,
    prefix: str,
    messages: list[Message],
    baseline: float,
    args: argparse.Namespace,
) -> Steady:
    result = Steady(Probes(args.probe_queues, args.partitions))
    stop_polling = asyncio.Event()

    async def poll() -> None:
        while not stop_polling.is_set():
            began = time.monotonic()
            with contextlib.suppress(OSError, asyncio.TimeoutError):
                result.scrapes.append(await scrape(session, worker.url))
            took = time.monotonic() - began
            # Scrapes run on the worker's event loop: keep them to --scrape-share of it.
            await asyncio.sleep(max(args.poll_interval, took / args.scrape_share) - took)

    poller = asyncio.create_task(poll())
    producer = EventProducer(kafka)
    async with producer:
        began = time.monotonic()
        sent = probes = 0
        total = len(messages)
        while sent < total:
            now = time.monotonic()
            due = min(total, int((now - began) * args.steady_rate) + 1)
            while probes * args.probe_interval <= now - began and sent < total:
                queue, (topic, key, value) = result.probes.make(probes)
                stamp = time.monotonic()
                await producer.send(prefix + topic, value, key)
                result.probes.record(queue, stamp)
                result.sent.append(stamp)
                probes += 1
            stamp = time.monotonic()
            for topic, key, value in messages[sent:due]:
                await producer.send(prefix + topic, value, key)
                result.sent.append(stamp)
            sent = max(sent, due)
            await asyncio.sleep(0.005)
        result.duration = time.monotonic() - began
        await producer.flush()
    target = baseline + len(result.sent)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        last = result.scrapes[-1] if result.scrapes else None
        if last and last.count >= target and result.probes.all_seen(last):
            result.settled = True
            break
        await asyncio.sleep(args.poll_interval)
    stop_polling.set()
    await poller
    return result


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def latencies(result: Steady, baseline: float) -> tuple[list[float], list[float]]:
    probe_lat = []
    for queue, m, sent in result.probes.sent:
        seen = next((s.received for s in result.scrapes if s.probes.get(queue, 0) >= m), None)
        if seen is not None:
            probe_lat.append(seen - sent)
    count_lat = []
    scrapes = result.scrapes
    j = 0
    for k, sent in enumerate(result.sent, start=1):
        while j < len(scrapes) and scrapes[j].count < baseline + k:
            j += 1
        if j == len(scrapes):
            break
        count_lat.append(scrapes[j].received - sent)
    return probe_lat, count_lat


# -- main -----------------------------------------------------------------------------


async def drain(
    session, worker: Worker, count: int, args: argparse.Namespace
) -> tuple[Scrape, Scrape | None]:
    """Poll /metrics until it reflects ``count`` events with no lag: the scrape that saw
    it, and the one before (the end came between the two)."""
    deadline = time.monotonic() + args.timeout
    last: Scrape | None = None
    before: Scrape | None = None  # the coarse poll before ``last``
    while time.monotonic() < deadline:
        if not worker.alive():
            raise SystemExit(f"worker exited:\n{worker.tail()}")
        took = 0.0
        with contextlib.suppress(OSError, asyncio.TimeoutError):
            before, last = last, await scrape(session, worker.url)
            took = last.took
            if last.count >= count and last.lag and not any(last.lag):
                return last, before
        # Scrapes cost the worker: poll coarsely until the end is near, then finely, so
        # that the end is seen within a fine poll, not up to a coarse interval late
        # (with 2 s polls, drains of 50,000 read as 4.05, 6.06 or 8.07 s). Near: 90 % in,
        # 90 % read once reading began (stage 2 trails stage 1 by the facts' hop: 16,000 or
        # none counted with 3,251 or 0 left to read, a second before the end), or the rate
        # would reach the end before the next one.
        behind = sum(last.lag) if last is not None else 0.0
        near = last is not None and (
            last.count >= 0.9 * count or ((last.count or behind) and behind <= 0.1 * count)
        )
        if not near and last is not None and before is not None:
            rate = (last.count - before.count) / max(last.received - before.received, 1e-3)
            near = last.count + 1.5 * rate * args.drain_poll_interval >= count
        if near:
            # A scrape in a drain waits for the batches between its holds, so it takes
            # 0.2-0.6 s; holding polls to --scrape-share of that saw ends up to 3 s
            # late (bench/README.md, 2026-12-07 fourth). Near the end the polls follow
            # each other, no closer than the worker's render interval: what a
            # wallboard refreshing that often costs it.
            await asyncio.sleep(max(RENDER_INTERVAL_S - took, 0.0))
        else:
            await asyncio.sleep(max(args.drain_poll_interval, took / args.scrape_share) - took)
    got = last.count if last else 0
    raise SystemExit(f"worker reflected {got:,.0f} of {count:,} within {args.timeout:g} s")


class Cpu:
    """CPU seconds used by the worker, the broker and this script since construction."""

    def __init__(self, worker_pid: int | None, broker_pid: int | None) -> None:
        self.pids = (worker_pid, broker_pid)
        self.start = self.now()

    def now(self) -> tuple[float, float, float]:
        return (*(cpu_seconds(pid) for pid in self.pids), time.process_time())

    def used(self) -> str:
        worker, broker, bench = (b - a for a, b in zip(self.start, self.now(), strict=True))
        shown = f"{broker:.1f} s" if self.pids[1] is not None else "n/a"
        return f"CPU: worker {worker:.1f} s, broker {shown}, bench {bench:.1f} s"


async def run(args: argparse.Namespace, bootstrap: str, broker_pid: int | None) -> None:
    import aiohttp

    kafka = KafkaSettings(bootstrap=(bootstrap,))
    prefix = f"bench-{secrets.token_hex(3)}."
    steady_count = round(args.steady_rate * args.steady_seconds)
    out = print

    began = time.monotonic()
    faults = FaultCounts()
    messages, sim, start_ms = generate(args.events + steady_count, args.seed, faults)
    first, later = messages[: args.events], messages[args.events :]
    by_topic: dict[str, int] = {}
    for topic, _, _ in first:
        by_topic[topic] = by_topic.get(topic, 0) + 1
    out(
        f"generated {len(messages):,} messages in {time.monotonic() - began:.1f} s "
        f"(simulator: {sim.contacts_per_hour:,.0f} contacts/h, {sim.agents} agents, "
        f"{sim.queues} queues, flat curve, seed {sim.seed}, times from {format_time(start_ms)};"
        f" faults: {sum(faults.invalid.values())} invalid, {faults.duplicates} duplicates, "
        f"{faults.late} late, {faults.out_of_order} out of order)"
    )
    out(f"first {args.events:,}: " + ", ".join(f"{t} {n:,}" for t, n in sorted(by_topic.items())))

    topics = [prefix + t for t in (*SOURCE_TOPICS, DEADLETTER)]
    await ensure_topics(kafka, topics, args.partitions)
    rate = await produce(kafka, prefix, first)
    out(f"produced {args.events:,} to {prefix}cx.* ({args.partitions} partitions): {rate:,.0f}/s")

    ceilings = []
    for _ in range(args.ceiling_runs):
        ceilings.append(await ceiling(kafka, prefix, args.events, args.partitions))
    best = max(ceilings)
    out("ceiling (aiokafka getmany + orjson.loads): " + ", ".join(f"{c:,.0f}/s" for c in ceilings))
    floor_topic = f"{prefix}floor"
    await ensure_topics(kafka, [floor_topic], args.partitions)
    floors = {wait: await fetch_floor(kafka, floor_topic, wait) for wait in (1500, 100)}
    out(
        "one hop, send -> raw consumer, 20 msg/s: "
        + "; ".join(
            f"fetch_max_wait_ms={wait}: p50 {p50 * 1000:.0f} ms, max {top * 1000:.0f} ms"
            for wait, (p50, top) in floors.items()
        )
    )

    log_dir = Path(args.log_dir or tempfile.mkdtemp(prefix="cxkpi-worker-bench-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    py_spy = (args.py_spy or shutil.which("py-spy")) if args.profile else None
    if args.profile and not py_spy:
        raise SystemExit("--profile needs py-spy: pip install py-spy (or pass --py-spy PATH)")
    worker = Worker(bootstrap, prefix, log_dir, args.store)
    if args.restart:
        # Tansu answers ListOffsets "latest" wrongly for multi-record batches, and
        # table recovery needs it (tests/integration/workers.py: ONE_RECORD_BATCHES).
        worker.command += ["--faust", "producer_max_batch_size=1"]
    out("worker: " + shlex.join(worker.command))
    profiles: list[tuple[str, Path | None]] = []
    timeout = aiohttp.ClientTimeout(total=30)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            spawned = time.monotonic()
            worker.start()
            ready = await wait_ready(session, worker, 120.0)
            cpu = Cpu(worker.pid, broker_pid)
            sampler = Sampler(py_spy, worker.pid, log_dir / "drain.pyspy") if py_spy else None
            out(f"worker ready {ready - spawned:.1f} s after start")
            done, before = await drain(session, worker, args.events, args)
            elapsed = done.received - ready
            worker_rate = args.events / elapsed
            earliest = (before.received - ready) if before is not None else 0.0
            out(
                f"worker end to end: {args.events:,} in {elapsed:.2f} s = {worker_rate:,.0f}/s "
                f"({worker_rate / best:.1%} of the best ceiling; the end came after the "
                f"poll at {earliest:.2f} s); {cpu.used()}; "
                f"last scrape {done.took * 1000:.0f} ms, {done.size / 1000:.0f} kB"
            )
            if sampler:
                profiles.append(("drain", sampler.stop()))
            await asyncio.sleep(1.0)
            settle = await scrape(session, worker.url)
            if settle.count != args.events:
                out(f"!! count 1 s later: {settle.count:,.0f}, expected {args.events:,}")
            baseline = settle.count

            cpu = Cpu(worker.pid, broker_pid)
            sampler = Sampler(py_spy, worker.pid, log_dir / "steady.pyspy") if py_spy else None
            result = await steady(session, worker, kafka, prefix, later, baseline, args)
            if sampler:
                profiles.append(("steady", sampler.stop()))
            probe_lat, count_lat = latencies(result, baseline)
            took = [s.took for s in result.scrapes]
            span = result.scrapes[-1].received - result.scrapes[0].received
            out(
                f"steady: {len(result.sent):,} messages ({len(result.probes.sent)} probes) in "
                f"{result.duration:.1f} s = {len(result.sent) / result.duration:,.0f}/s; "
                + ("all reflected" if result.settled else "!! NOT all reflected")
                + f" {span:.1f} s after the first poll; {cpu.used()}"
            )
            out(
                f"  /metrics polls: {len(took)} (every {span / max(1, len(took) - 1):.2f} s on "
                f"average), scrape p50 {percentile(took, 50) * 1000:.0f} ms, p99 "
                f"{percentile(took, 99) * 1000:.0f} ms, body up to "
                f"{max(s.size for s in result.scrapes) / 1000:.0f} kB"
            )
            out(f"  renders: {hold_report(result.scrapes[0], result.scrapes[-1])}")
            for name, values in (("probe", probe_lat), ("count-based", count_lat)):
                if values:
                    out(
                        f"  {name} latency ({len(values):,} events): p50 "
                        f"{percentile(values, 50):.2f} s, p99 {percentile(values, 99):.2f} s, "
                        f"max {max(values):.2f} s"
                    )
            if args.restart:
                out(await restart(session, worker, log_dir))
    finally:
        worker.stop()
    out(f"worker log: {worker.log_path}")
    consumed = args.events + len(result.sent)
    written = [
        (f"{worker.app_id}-facts", "facts (stage 1 -> 2)"),
        (f"{worker.app_id}-entities-changelog", "entities changelog"),
        (f"{worker.app_id}-slices-changelog", "slices changelog"),
        (f"{prefix}{DEADLETTER}", "dead letters"),
    ]
    sizes = await topic_sizes(kafka, [topic for topic, _ in written])
    out(f"written by the worker for {consumed:,} source messages:")
    for topic, label in written:
        w = sizes[topic]
        out(
            f"  {label:22} {w.messages:>8,} messages ({w.messages / consumed:.2f} per source "
            f"message), {w.size / 1e6:6.1f} MB, mean {w.size / max(w.messages, 1):,.0f} B, "
            f"largest {w.largest:,} B"
        )
        if topic != f"{prefix}{DEADLETTER}":
            kinds = sorted(w.kinds.items(), key=lambda kv: -kv[1][1])
            out(
                "    by key: "
                + ", ".join(f"{k} {n:,} msgs {b / 1e6:.1f} MB" for k, (n, b) in kinds[:6])
            )

    p99 = percentile(probe_lat, 99) if probe_lat else float("inf")
    out("")
    out("summary")
    out(f"  ceiling (best of {len(ceilings)})  {best:>10,.0f} events/s")
    out(
        f"  worker end to end     {worker_rate:>10,.0f} events/s  ratio {worker_rate / best:.3f}"
        f"  (target >= 0.10: {'met' if worker_rate >= 0.1 * best else 'MISSED'})"
    )
    out(
        f"  latency @ {args.steady_rate:,.0f}/s     p50 {percentile(probe_lat, 50):.2f} s"
        f", p99 {p99:.2f} s  (target p99 <= 1 s: {'met' if p99 <= 1 else 'MISSED'})"
    )
    p50, top = floors[1500]
    out(
        f"  fetch floor, one hop  p50 {p50 * 1000:.0f} ms, max {top * 1000:.0f} ms with Faust's "
        "fetch_max_wait_ms=1500 (the worker has two hops: source, facts)"
    )
    for name, path in profiles:
        out("")
        out("\n".join(summarize(path, f"py-spy, {name} phase")) if path else f"{name}: no profile")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000, help="N (default 100000)")
    parser.add_argument("--broker", help="HOST:PORT of an existing broker (default: embedded)")
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--ceiling-runs", type=int, default=3)
    parser.add_argument("--steady-rate", type=float, default=2000.0, help="events/s")
    parser.add_argument("--steady-seconds", type=float, default=30.0)
    parser.add_argument("--probe-interval", type=float, default=0.2, help="seconds")
    parser.add_argument("--probe-queues", type=int, default=4)
    parser.add_argument("--poll-interval", type=float, default=0.05, help="seconds")
    parser.add_argument(
        "--scrape-share",
        type=float,
        default=0.2,
        help="steady phase: poll no more often than scrape time / this (default 0.2)",
    )
    parser.add_argument(
        "--drain-poll-interval",
        type=float,
        default=0.5,
        help="while draining N, seconds, until the end is near (then the worker's render "
        "interval; default 0.5: a drain of 50,000 takes 2-4 s, and its end is seen up to "
        "one coarse poll late when stage 2's counts jump)",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="per phase, seconds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-dir", help="worker log (and profile) here (default: a temp dir)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the worker with py-spy in each phase and summarize where time goes",
    )
    parser.add_argument("--py-spy", help="path of py-spy (default: on PATH)")
    parser.add_argument(
        "--store",
        default="memory://",
        help="the worker's table store: memory:// (default) or rocksdb:// (durable.py)",
    )
    parser.add_argument(
        "--restart",
        action="store_true",
        help="after the steady phase, stop the worker and time a new one with the same "
        "app id from start to ready (restoring every changelog); the worker then writes "
        "one record per batch, which Tansu's recovery needs, so its drain is slower",
    )
    args = parser.parse_args()
    print("command: " + shlex.join([Path(sys.executable).name, *sys.argv]))
    print(f"machine: {os.cpu_count()} cores shared by broker, worker and this script")
    if args.broker:
        asyncio.run(run(args, args.broker, None))
        return
    with EmbeddedBroker() as broker:
        print(f"embedded broker (Tansu) at {broker.bootstrap}, pid {broker.pid}")
        asyncio.run(run(args, broker.bootstrap, broker.pid))


if __name__ == "__main__":
    main()
