"""Tansu's concurrent-append quirk: does a consumer that follows a partition see every
record that several producers, writing to it at once, had acknowledged?

Run: .venv/bin/python bench/tansu_quirk.py [--producers 3] [--records 3000] [--rounds 3]

Each round creates a one-partition topic on a fresh embedded broker (Tansu, in
memory), starts a consumer that follows it from the start, and lets ``--producers``
producers (one record per batch, as the tests' workers write) append ``--records``
each. It reports how many acknowledged records the follower never saw. Apache Kafka
shows no record past the high watermark, so the answer there is always none. With
Tansu 0.6 and three producers, one to six records in 9,000 were skipped; with one
producer, none (``--producers 1``). Two workers write their facts to the same
partitions, so the end-to-end tests on Tansu read such gaps again
(``consumer_reread_gaps``, tests/integration/workers.py).
"""

from __future__ import annotations

import argparse
import asyncio
import string
import sys
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stream.runtime.broker import EmbeddedBroker  # noqa: E402

PADDING = b"x" * 2000  # about a facts message's size


async def produce(bootstrap: str, name: str, topic: str, count: int) -> list[int]:
    """Append ``count`` records, one per batch; their acknowledged offsets."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_batch_size=1, linger_ms=0)
    await producer.start()
    try:
        futures = []
        for i in range(count):
            batch = producer.create_batch()
            batch.append(key=None, value=f"{name}-{i}|".encode() + PADDING, timestamp=None)
            futures.append(await producer.send_batch(batch, topic, partition=0))
            if i % 5 == 0:
                await asyncio.sleep(0.001)  # let the producers interleave
        return [(await future).offset for future in futures]
    finally:
        await producer.stop()


async def follow(bootstrap: str, topic: str, total: int) -> set[int]:
    """The offsets a consumer following the partition from its start receives."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=20
    )
    await consumer.start()
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    await consumer.seek_to_beginning(tp)
    seen: set[int] = set()
    idle = 0
    try:
        while len(seen) < total and idle < 50:
            batch = await consumer.getmany(tp, timeout_ms=100)
            idle = 0 if batch.get(tp) else idle + 1
            seen.update(record.offset for record in batch.get(tp, ()))
    finally:
        await consumer.stop()
    return seen


async def one_round(bootstrap: str, topic: str, producers: int, records: int) -> str:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    names = string.ascii_lowercase[:producers]
    follower = asyncio.ensure_future(follow(bootstrap, topic, producers * records))
    acked = await asyncio.gather(*(produce(bootstrap, n, topic, records) for n in names))
    seen = await follower
    offsets = {offset for each in acked for offset in each}
    skipped = sorted(offsets - seen)
    return (
        f"{len(offsets):,} acknowledged, the follower saw {len(seen):,}, "
        f"skipped {len(skipped)} {skipped[:10] if skipped else ''}".rstrip()
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--producers", type=int, default=3)
    parser.add_argument("--records", type=int, default=3000, help="per producer")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    broker = EmbeddedBroker().start()
    try:
        print(f"{args.producers} producers x {args.records:,} records, one partition, Tansu")
        for number in range(args.rounds):
            topic = f"quirk{number}"
            result = await one_round(broker.bootstrap, topic, args.producers, args.records)
            print(f"round {number + 1}: {result}")
    finally:
        broker.stop()


if __name__ == "__main__":
    asyncio.run(main())
