"""The worker's own per-event cost, without Kafka: its two batch handlers and checkpoints.

Run: .venv/bin/python bench/handlers_bench.py [--events N] [--repeat K]

worker_bench.py measures the whole worker through a broker on two shared cores, where
the drain's rate moves by 15 % between identical runs. This runs a real ``Worker``
(Faust app, tables, stages, codec) in process with its producer replaced by a
recorder at the Kafka boundary, as tests/runtime/test_batch_handlers.py does: the
simulator's messages (worker_bench.py's mix) go through stage 1 in polls of
``--batch``, every facts message it sends through stage 2, and a checkpoint (every
changed key encoded) after each ``--checkpoint-every`` events, which is one second's
worth at the drain's rate, with the worker's collector settings. CPU time per event
is reported for each part, best of ``--repeat`` runs; what Kafka itself costs
(fetching, parsing, sending) is not in it.

On shared cores the CPU time moves by 5-10 % between identical runs. Instructions do
not: under ``valgrind --tool=callgrind``, a run with ``--repeat 1`` less one with
``--repeat 0`` (the same messages generated, no handler run) is what the handlers
executed, the same to 0.1 % run after run (bench/README.md, 2026-12-06).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aiokafka.partitioner import murmur2
from aiokafka.structs import ConsumerRecord as Message
from worker_bench import generate

from stream.runtime.gc_tuning import tune_gc
from stream.runtime.kafka_settings import KafkaSettings
from stream.runtime.partitioner import default_partition
from stream.runtime.transport import memoized
from stream.runtime.worker import Worker, WorkerSettings
from stream.sim import FaultCounts

PARTITIONS = 8


def record(topic: str, partition: int, offset: int, key: bytes | None, value: bytes) -> Message:
    """What the transport hands the handlers: aiokafka's own record."""
    sizes = (len(key or b""), len(value))
    return Message(topic, partition, offset, 0, 0, key, value, None, *sizes, ())


def acknowledged() -> asyncio.Future:
    done = asyncio.get_running_loop().create_future()
    done.set_result(None)
    return done


class Recorder:
    """The producer at the Kafka boundary: keeps the facts messages, drops the rest."""

    def __init__(self, facts_topic: str) -> None:
        self.facts_topic = facts_topic
        self.facts: list[tuple[int, bytes | None, bytes]] = []  # (partition, key, value)
        self.changelog_records = 0
        # Kafka's default partitioner, remembered, as the transport's producer has it.
        self._partition_of = memoized(partial(default_partition, PARTITIONS))

    async def key_partitions(self, topic: str) -> Any:
        return self._partition_of

    async def send_records(self, topic: str, partition: int, records: Any) -> list:
        if topic == self.facts_topic:
            self.facts += [(partition, key, value) for key, value in records]
        else:
            self.changelog_records += len(records)
        return [acknowledged()]

    async def send_keyed(self, topic: str, records: Any) -> list:  # before 64189e9
        partition_of = await self.key_partitions(topic)
        for key, value in records:
            await self.send_records(topic, partition_of(key), [(key, value)])
        return [acknowledged()]


class DeadLetters:
    async def send(self, key: Any = None, value: Any = None, headers: Any = None) -> Any:
        return acknowledged()


def source_messages(count: int, seed: int) -> list[Message]:
    """The simulator's messages on their partitions (the producer's murmur2 of the key),
    numbered per partition."""
    generated, _, _ = generate(count, seed, FaultCounts())
    offsets: dict[tuple[str, int], int] = {}
    out = []
    for topic, key, value in generated:
        partition = (murmur2(key) & 0x7FFFFFFF) % PARTITIONS if key else 0
        offset = offsets.get((topic, partition), 0)
        offsets[(topic, partition)] = offset + 1
        out.append(record(topic, partition, offset, key, value))
    return out


async def run(messages: list[Message], batch: int, checkpoint_every: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as data_dir:
        settings = WorkerSettings(
            KafkaSettings(("127.0.0.1:9",)), partitions=PARTITIONS, data_dir=Path(data_dir)
        )
        worker = Worker(settings)
        recorder = Recorder(settings.facts_topic)
        worker.app.producer = recorder  # type: ignore[assignment]
        worker.deadletter = DeadLetters()  # type: ignore[assignment]
        spent = {"stage 1": 0.0, "stage 2": 0.0, "checkpoints": 0.0}
        facts_offsets = [0] * PARTITIONS
        since_checkpoint = 0
        clock = time.process_time
        for start in range(0, len(messages), batch):
            polled = sorted(messages[start : start + batch], key=lambda m: (m.topic, m.partition))
            began = clock()
            await worker.on_events(polled)
            spent["stage 1"] += clock() - began
            while recorder.facts:  # stage 2, derived outputs included
                pending, recorder.facts = recorder.facts, []
                read = []
                for partition, key, value in sorted(pending, key=lambda sent: sent[0]):
                    offset = facts_offsets[partition]
                    read.append(record(settings.facts_topic, partition, offset, key, value))
                    facts_offsets[partition] += 1
                began = clock()
                await worker.on_outputs(read)
                spent["stage 2"] += clock() - began
            since_checkpoint += len(polled)
            if since_checkpoint >= checkpoint_every or start + batch >= len(messages):
                began = clock()
                await worker.checkpoint()
                spent["checkpoints"] += clock() - began
                since_checkpoint = 0
        spent["changelog records"] = recorder.changelog_records
        return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000, help="messages per poll")
    parser.add_argument("--checkpoint-every", type=int, default=20_000, help="events")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs (0: only generate, a baseline for callgrind)"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    tune_gc()  # as every long-running cxkpi command does (stream/cli/main.py)
    messages = source_messages(args.events, args.seed)
    gc.collect()
    gc.freeze()  # the generated messages are not the worker's to walk
    if not args.repeat:
        print(f"{len(messages):,} events generated, no run")
        return
    runs = []
    for _ in range(args.repeat):
        runs.append(asyncio.run(run(messages, args.batch, args.checkpoint_every)))
        gc.collect()
    best = min(runs, key=lambda spent: spent["stage 1"] + spent["stage 2"] + spent["checkpoints"])
    n = len(messages)
    parts = ("stage 1", "stage 2", "checkpoints")
    total = sum(best[part] for part in parts)
    print(f"command: python {' '.join(sys.argv)}")
    print(
        f"{n:,} events, polls of {args.batch:,}, a checkpoint every "
        f"{args.checkpoint_every:,} events; CPU per event, best of {args.repeat}:"
    )
    for part in parts:
        print(f"  {part:12s} {best[part] * 1e6 / n:6.1f} µs")
    print(f"  {'total':12s} {total * 1e6 / n:6.1f} µs  ({n / total:,.0f} events/s on one core)")
    print(f"  changelog records per event: {best['changelog records'] / n:.2f}")


if __name__ == "__main__":
    main()
