"""Durable local state: a table's RocksDB files kept as a copy of its changelog.

With Faust's memory store a restarted worker reads its whole changelogs back from
Kafka. With ``--store rocksdb://`` Faust keeps each changelog partition in a RocksDB
database (rocksdict) on the worker's disk, with the changelog offset it holds up to,
and a restart reads only the changelog's tail from there (Faust's own recovery).

Faust learns that offset when it writes the changelog itself, one ``send_changelog``
per change. cxkpi's checkpoints write the changelog in whole batches (checkpoint.py),
so they also write the same records into the RocksDB database of their partition and
then its offset, after the broker has acknowledged them: the files are never ahead of
the changelog, and a crash between the two costs a longer tail, read again and
applied again with the same values. The offset kept is the first of the last record
batch acknowledged, never past the last record written; the rest of that batch is
read again at the next start, harmlessly.

Memory stays authoritative (TableState): once Faust's recovery has brought the files
up to date, the worker loads the partitions it owns from them, as the memory store
would have them, and then works in memory as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import faust
from faust.stores.rocksdb import Store as RocksStore
from faust.types import TP
from rocksdict import WriteBatch

#: A changelog record: key and encoded value, None for a tombstone.
Record = tuple[bytes, bytes | None]


class RocksMirror:
    """The RocksDB store of one Faust table, written by checkpoints and read at
    recovery. Its databases are looked up through the store every time
    (``_db_for_partition``, Faust's own, pinned with faust-streaming): Faust closes a
    revoked partition's database by dropping its reference."""

    def __init__(self, table: faust.Table) -> None:
        self.store = table.data
        self.topic = table.changelog_topic.get_topic_name()

    @staticmethod
    def of(table: faust.Table) -> RocksMirror | None:
        """The mirror of ``table`` if its store is RocksDB, else None."""
        if isinstance(table.data, RocksStore):
            return RocksMirror(table)
        return None

    def write(self, partition: int, records: Iterable[Record], offset: int) -> None:
        """Apply ``records``, already acknowledged by the broker, to the partition's
        database, then remember ``offset`` (of one of them) as persisted."""
        store = self.store
        batch = WriteBatch(raw_mode=True)
        for key, value in records:
            if value is None:
                batch.delete(key)
            else:
                batch.put(key, value)
        store._db_for_partition(partition).write(batch)
        store.set_persisted_offset(TP(self.topic, partition), offset)

    def load(self, partitions: Iterable[int]) -> Iterator[tuple[bytes, bytes]]:
        """Every key and value the databases of ``partitions`` hold."""
        store = self.store
        for partition in sorted(partitions):
            for key, value in store._db_for_partition(partition).items():
                if key != store.offset_key:
                    yield key, value
