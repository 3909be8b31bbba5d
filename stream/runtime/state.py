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
partition of the event being processed, but a batch (a whole poll) mixes partitions,
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

from ..core.agents import AGENT
from ..core.gauges import LiveSet
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


def live_group(descriptor: tuple) -> str:
    """Which live set a descriptor is kept in: its queue's (a team's, for the team copy
    of an agent), so that a change re-summarises one queue's set, not all of them."""
    if descriptor[0] == AGENT:
        queues, team = descriptor[2], descriptor[3]
        return QUEUE + queues[0] if queues else TEAM + str(team)
    return QUEUE + str(descriptor[1])


class Exported:
    """The routes and live sets of some partitions, kept between scrapes.

    Finding them in the table means visiting every key, live entries included, which
    cost a scrape more than evaluating. Built once from the table, then kept up to date
    by the stage that writes them; the worker builds it again after every rebalance,
    because a restore writes the table without it.
    """

    def __init__(self, slices: TableState, partitions: set[int]) -> None:
        self.partitions = partitions
        self.routes: dict[str, None] = {}  # an ordered set: the table's order
        self.live: dict[str, LiveSet] = {}
        self._groups: dict[str, str] = {}  # live key → group
        for key, value in slices.owned(partitions, (*ROUTES, LIVE)):
            if key.startswith(LIVE):
                self.put_live(key, value[0], value[1])
            else:
                self.routes[key] = None

    def put_route(self, route: str, partition: int) -> None:
        if partition in self.partitions:
            self.routes[route] = None

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
