"""Worker state in Faust tables: explicit changelog partitions, ownership, the exported view.

What the tables hold is in values.py, its bytes in codec.py, and how a RocksDB store
keeps a copy on disk in durable.py.

Why not plain ``table[key] = value``: a Faust table writes its changelog to the
partition of the event being processed, one record per assignment, but a batch (a
whole poll) mixes partitions, and a checkpoint writes a key once however often it
changed, so every change names its partition explicitly. Why the partition in the
value: after a rebalance Faust's memory store keeps keys of partitions
this worker no longer owns (and standby keys live in the same dict), so the exporter
and the housekeeping filter by it.

Values are pickles (protocol 5) of plain tuples, flattened by codec.py: the tables
are written and read only by cxkpi workers of one app id, and pickle handles the
core's tuples at a fraction of the cost of a hand-written format. Never point a
worker at a changelog that others can write. Restored values arrive as bytes and are
decoded on first use.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

import faust

from ..core.gauges import LiveSet
from ..core.live import AgentPresence, Descriptor
from ..core.stages import QUEUE, TEAM
from .codec import decode_value, encode_value
from .durable import Record, RocksMirror
from .values import EVALUATED, LIVE, HeldSlice


def _plain(store: MutableMapping[bytes, Any]) -> MutableMapping[bytes, Any]:
    """The dict inside Faust's memory store, which the store's mapping methods reach
    through two Python calls each (``FastUserDict``): a batch gets, puts and walks keys
    several times per event. Any other store is used as it is."""
    inner = getattr(store, "data", None)
    return inner if type(inner) is dict else store


class TableState:
    """One Faust table seen as ``key → (partition, *value)`` with explicit partitions.

    Writes change memory at once and the changelog at the next checkpoint
    (checkpoint.py): ``put`` and ``delete`` only remember the key as changed, so a key
    changed by many batches between two checkpoints is written once.
    """

    def __init__(self, table: faust.Table) -> None:
        self.table = table
        self.changelog = table.changelog_topic.get_topic_name()
        #: The table's RocksDB files to keep as a copy of the changelog (durable.py),
        #: or None with the memory store.
        self.mirror = RocksMirror.of(table)
        #: key → value (or restored bytes): the memory store itself, or with RocksDB
        #: the owned partitions loaded from its files after each recovery.
        self.data: MutableMapping[bytes, Any] = (
            {} if self.mirror is not None else _plain(table.data)
        )
        self._changed: dict[bytes, tuple[int, tuple | None]] = {}  # key → (partition, value)

    def get(self, key: str) -> tuple | None:
        data = self.data
        raw = data.get(key.encode())
        if raw is None:
            return None
        if isinstance(raw, bytes):  # restored from the changelog: decode once, keep
            raw = decode_value(key, raw)
            data[key.encode()] = raw
        return raw

    def put(self, key: str, value: tuple) -> None:
        """Store ``(partition, ...)``; the checkpoint sends it to that changelog partition."""
        raw_key = key.encode()
        self.data[raw_key] = value
        self._changed[raw_key] = (value[0], value)

    def delete(self, key: str, partition: int) -> None:
        """Forget a key this worker owns (a tombstone in its changelog partition)."""
        raw_key = key.encode()
        self.data.pop(raw_key, None)
        self._changed[raw_key] = (partition, None)

    def take_changes(self, prefixes: tuple[str, ...]) -> dict[int, list[Record]]:
        """The changed keys starting with one of ``prefixes`` as changelog records per
        partition (tombstones for deletions), forgotten as changed."""
        wanted = tuple(prefix.encode() for prefix in prefixes)
        records: dict[int, list[Record]] = {}
        for raw_key in [k for k in self._changed if k.startswith(wanted)]:
            partition, value = self._changed.pop(raw_key)
            encoded = None if value is None else encode_value(value)
            records.setdefault(partition, []).append((raw_key, encoded))
        return records

    def reload(self, partitions: set[int]) -> None:
        """With RocksDB, after Faust's recovery: memory becomes what the files of
        ``partitions`` hold, with the changes not checkpointed yet on top (they are
        newer). The caller holds the consumer's batch lock, so no checkpoint is half
        written meanwhile: one awaiting the broker has taken its changes but not yet
        put them in the files."""
        if self.mirror is None:
            return
        data = self.data
        data.clear()
        data.update(self.mirror.load(partitions))
        for raw_key, (_, value) in self._changed.items():
            if value is None:
                data.pop(raw_key, None)
            else:
                data[raw_key] = value

    def keys(self) -> list[bytes]:
        """A snapshot of every key held (owned or not), for a walk over many batches."""
        return list(self.data.keys())

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


def live_group(descriptor: Descriptor) -> str:
    """Which live set a descriptor is kept in: its queue's (a team's, for the team copy
    of an agent), so that a change re-summarises one queue's set, not all of them."""
    if type(descriptor) is AgentPresence:
        queues = descriptor.queues
        return QUEUE + queues[0] if queues else TEAM + str(descriptor.team)
    return QUEUE + str(descriptor.queue)


class Exported:
    """The routes and live sets of some partitions, kept between scrapes.

    Finding them in the table means visiting every key, live entries included, which
    cost a scrape more than evaluating. Built once from the table, then kept up to date
    by the stage that writes them; the worker builds it again after every rebalance,
    because a restore writes the table without it.
    """

    def __init__(self, slices: TableState, partitions: set[int]) -> None:
        self.partitions = partitions
        #: route → its slice as in the table, in the table's order: a scrape reads the
        #: slices here, not through the table (a store lookup per route). Customers'
        #: routes are left out: tens of thousands of them, and no series.
        self.routes: dict[str, HeldSlice] = {}
        self.live: dict[str, LiveSet] = {}
        self._groups: dict[str, str] = {}  # live key → group
        for key, value in slices.owned(partitions, (*EVALUATED, LIVE)):
            if key.startswith(LIVE):
                self.put_live(key, value.partition, value.descriptor)
            else:
                self.routes[key] = value

    def put_route(self, route: str, value: HeldSlice) -> None:
        if value.partition in self.partitions and route.startswith(EVALUATED):
            self.routes[route] = value

    def drop_route(self, route: str) -> None:
        self.routes.pop(route, None)

    def put_live(self, key: str, partition: int, descriptor: tuple | None) -> None:
        if partition not in self.partitions:
            return
        group = self._groups.pop(key, None)
        if group is not None:
            self.live[group].put(key, None)
        if descriptor is not None:
            group = self._groups[key] = live_group(descriptor)
            live = self.live.get(group)
            if live is None:
                live = self.live[group] = LiveSet()
            live.put(key, descriptor)
