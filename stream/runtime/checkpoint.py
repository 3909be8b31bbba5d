"""Checkpointed state: memory is authoritative between checkpoints, the changelog after.

Like Kafka Streams' record cache (KIP-63) and Quix Streams' checkpoints: the stages
change the tables in memory batch by batch, and every ``--commit-interval`` (and before
a revocation completes, and at shutdown; transport.py) the worker writes one changelog
record per key changed since the last checkpoint, as whole record batches. A key that
changed a hundred times in between is written once.

The order is what keeps a crash exact. Each batch's outputs and dead letters are
acknowledged by the broker before its state changes in memory at all; a checkpoint then
writes, waiting for each step before the next:

1. the live entries (a slice stored means its live changes are stored too);
2. the entity records and the routes' slices;
3. the progress marks;

and only then are the consumed messages acknowledged and their offsets committed. A
crash anywhere loses only memory: the next owner restores the last checkpoint from the
changelog, reads again everything consumed since (the offsets were not committed), and
skips what the restored marks, entity offsets and slice ids say was applied already.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from .state import TableState
from .transport import Producer

#: (table, key prefixes) written together in one step of a checkpoint.
Step = Iterable[tuple[TableState, tuple[str, ...]]]


async def checkpoint(producer: Producer, steps: Iterable[Step]) -> int:
    """Write each step's changed keys and wait for the broker before the next step;
    return the number of records written. A table kept in RocksDB gets the records
    the broker acknowledged, and their offset (durable.py)."""
    written = 0
    for step in steps:
        sent = []
        for table, prefixes in step:
            for partition, records in table.take_changes(prefixes).items():
                written += len(records)
                futures = await producer.send_records(table.changelog, partition, records)
                sent.append((table, partition, records, futures))
        await asyncio.gather(*(future for *_, futures in sent for future in futures))
        for table, partition, records, futures in sent:
            if table.mirror is not None:
                offset = max(future.result().offset for future in futures)
                table.mirror.write(partition, records, offset)
    return written
