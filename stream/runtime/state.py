"""Worker state in Faust tables: encoding, explicit changelog partitions, ownership.

Three kinds of values live in two tables, each stored with the partition it belongs to:

- ``entities`` (stage 1): ``contact/C-1`` → ``(partition, offset, Record)``, the offset
  of the last event applied to it; ``progress/cx.calls/3`` → ``(partition, offset)``,
  the last offset of a source partition fully handled (written last in a batch: it is
  the batch's commit mark).
- ``slices`` (stage 2): ``q:billing`` → ``(partition, Slice)``; and the live entries,
  ``live/q:billing/contact/C-1`` → ``(partition, descriptor)``: who waits in the queue,
  which tickets are open, one small key each (a backlog would make a slice huge).

Why not plain ``table[key] = value``: a Faust table writes its changelog to the
partition of the event being processed, but a batch (``take_events``) mixes partitions,
so every write names its partition explicitly (``Table.send_changelog``). Why the
partition in the value: after a rebalance Faust's memory store keeps keys of partitions
this worker no longer owns (and standby keys live in the same dict), so the exporter
and the housekeeping filter by it.

Values are pickled (protocol 5): the tables are written and read only by cxkpi workers
of one app id, and pickle handles the core's NamedTuples and slotted classes at a
fraction of the cost of a hand-written codec. Never point a worker at a changelog that
others can write. Restored values arrive as bytes and are decoded on first use.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import faust

from ..core.stages import CUSTOMER, HEALTH, QUEUE, TEAM

#: Keys and values are bytes on the wire (key and value serializer).
RAW = ("raw", "raw")
#: Key prefixes. In ``entities``: progress marks, and the entity families. In
#: ``slices``: live entries, and the routes (see ``stream.core.stages``).
PROGRESS = "progress/"
ENTITIES = ("contact/", "ticket/", "survey/", "agent/")
LIVE = "live/"
ROUTES = (QUEUE, TEAM, CUSTOMER, HEALTH)


def encode(value: Any) -> bytes:
    return pickle.dumps(value, protocol=5)


class TableState:
    """One Faust table seen as ``key → (partition, *value)`` with explicit partitions."""

    def __init__(self, table: faust.Table) -> None:
        self.table = table

    def get(self, key: str) -> tuple | None:
        data = self.table.data
        raw = data.get(key.encode())
        if raw is None:
            return None
        if isinstance(raw, bytes):  # restored from the changelog: decode once, keep
            raw = pickle.loads(raw)
            data[key.encode()] = raw
        return raw

    def put(self, key: str, value: tuple) -> None:
        """Store ``(partition, ...)`` and send it to that changelog partition."""
        self.table.data[key.encode()] = value
        self.table.send_changelog(value[0], key.encode(), encode(value), *RAW)

    def delete(self, key: str, partition: int) -> None:
        """Forget a key this worker owns (a tombstone in its changelog partition)."""
        self.table.data.pop(key.encode(), None)
        self.table.send_changelog(partition, key.encode(), None, *RAW)

    def keys(self) -> list[bytes]:
        """A snapshot of every key held (owned or not), for a walk over many batches."""
        return list(self.table.data.keys())

    def owned(
        self,
        partitions: set[int],
        prefix: str | tuple[str, ...] = "",
        keys: list[bytes] | None = None,
    ) -> Iterator[tuple[str, tuple]]:
        """``(key, value)`` of every key (of ``keys``, default all) in ``partitions``
        starting with ``prefix``; a key deleted since the snapshot is skipped."""
        for raw_key in self.keys() if keys is None else keys:
            key = raw_key.decode() if isinstance(raw_key, bytes) else str(raw_key)
            if not key.startswith(prefix):
                continue
            value = self.get(key)
            if value is not None and value[0] in partitions:
                yield key, value


def owned_partitions(app: faust.App, topic: str) -> set[int]:
    """Partitions of ``topic`` this worker actively owns (never standby copies)."""
    return {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic}
