"""What the worker's two Faust tables hold: key prefixes and value types.

- ``entities`` (stage 1): ``contact/C-1`` → ``HeldRecord(partition, offset, record)``,
  the offset of the last event applied to it; ``progress/cx.calls/3`` →
  ``Mark(partition, offset)``, the last offset of a source partition fully handled
  (written last in a checkpoint: it is the checkpoint's commit mark); ``caps/cx.calls/3``
  → ``HeldCaps(partition, queues, teams)``, the names a source partition admitted to
  routes of their own (``stream.core.stages.RouteCaps``), written with the records.
- ``slices`` (stage 2): ``q:billing`` → ``HeldSlice(partition, slice)``; and the live
  entries, ``live/q:billing/contact/C-1`` → ``HeldLive(partition, descriptor)``: who
  waits in the queue, which tickets are open, one small key each (a backlog would make
  a slice huge).

Every value starts with the partition it belongs to (state.py says why); codec.py
turns them into changelog bytes and back.
"""

from __future__ import annotations

from typing import NamedTuple

from ..core.entity import Record as EntityRecord
from ..core.live import Descriptor
from ..core.stages import AGENT, CUSTOMER, HEALTH, QUEUE, TEAM, Slice

#: Key prefixes. In ``entities``: progress marks, and the entity families. In
#: ``slices``: live entries, and the routes (see ``stream.core.stages``).
PROGRESS = "progress/"
CAPS = "caps/"
ENTITIES = ("contact/", "ticket/", "survey/", "agent/")
LIVE = "live/"
ROUTES = (QUEUE, TEAM, CUSTOMER, AGENT, HEALTH)
#: The routes an evaluation reads: a customer's slice holds its FCR history, no series.
EVALUATED = (QUEUE, TEAM, AGENT, HEALTH)


class HeldRecord(NamedTuple):
    """An entity's record, with the offset of the last event applied to it."""

    partition: int
    offset: int
    record: EntityRecord


class Mark(NamedTuple):
    """A source partition's progress: the last offset whose whole batch was handled."""

    partition: int
    offset: int


class HeldSlice(NamedTuple):
    partition: int
    slice: Slice


class HeldLive(NamedTuple):
    partition: int
    descriptor: Descriptor


class HeldCaps(NamedTuple):
    """A source partition's route caps: the queue and team names it admitted."""

    partition: int
    queues: tuple[str, ...]
    teams: tuple[str, ...]
