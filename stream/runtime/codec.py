"""The bytes of table values and facts messages: the core's named tuples as plain tuples.

Pickle reduces every named tuple through a Python-level ``__getnewargs__`` and
copyreg, about 3 µs each, and a contact's record holds seven of them: pickling records
as they are cost 15 % of a draining worker (bench/README.md). Flattened into plain
tuples first, by the known shape of each value, and rebuilt on read, a contact record
pickles about four times faster and 30 % smaller. Reads are rare (a restore, and
stage 2's facts), writes are every checkpoint.

The values stay pickles (protocol 5), for the reasons in state.py. A value written
before this codec (a pickled named tuple) still reads as itself, so a worker restores
the changelog of an older one.
"""

from __future__ import annotations

import pickle
from typing import Any

from ..core.agents import AgentState
from ..core.aggregates import Series
from ..core.contacts import ContactState
from ..core.customers import History
from ..core.entity import Record
from ..core.events import AgentEvent, ContactEvent, SurveyEvent, TicketEvent
from ..core.facts import LIVE, Fact
from ..core.live import AgentPresence, OpenTicket, Waiting
from ..core.stages import CUSTOMER, NO_SERIES, Slice
from ..core.surveys import SurveyState
from ..core.tickets import TicketState
from .values import CAPS, ENTITIES, PROGRESS, HeldCaps, HeldLive, HeldRecord, HeldSlice, Mark

_new = tuple.__new__
_dumps, _loads = pickle.dumps, pickle.loads

#: An entity family's state and event classes, by key prefix (``contact/``...).
FAMILIES: dict[str, tuple[type, type]] = dict(
    zip(
        ENTITIES,
        (
            (ContactState, ContactEvent),
            (TicketState, TicketEvent),
            (SurveyState, SurveyEvent),
            (AgentState, AgentEvent),
        ),
        strict=True,
    )
)
#: Live descriptors by their position here: the tag they are written with.
DESCRIPTORS: tuple[type, ...] = (Waiting, AgentPresence, OpenTicket)
_TAG = {cls: tag for tag, cls in enumerate(DESCRIPTORS)}
_HELD = (HeldRecord, HeldLive, HeldSlice, Mark, HeldCaps)


# -- table values ---------------------------------------------------------------------


def encode_value(value: tuple) -> bytes:
    """A value of the ``entities`` or ``slices`` table → changelog bytes."""
    kind = type(value)
    if kind is HeldRecord:
        partition, offset, (base, events, state, last_ms) = value
        flat: tuple = (
            partition,
            offset,
            None if base is None else tuple(base),
            [tuple(event) for event in events],
            tuple(state),
            last_ms,
        )
    elif kind is HeldLive:
        partition, descriptor = value
        flat = (partition, _TAG[type(descriptor)], tuple(descriptor))
    elif kind is HeldSlice:
        partition, (series, history, seen, health) = value
        flat = (
            partition,
            {key: s.__getstate__() for key, s in series.items()},
            [_flat_fact(fact) for fact in history.inputs],
            [_flat_fact(fact) for fact in history.outputs],
            seen if type(seen) is dict else dict(seen),  # NO_MARKS (read-only) won't pickle
            health,
        )
    elif kind is Mark or kind is HeldCaps:
        flat = tuple(value)
    else:
        raise TypeError(f"no changelog encoding for {kind.__name__}")
    return _dumps(flat, protocol=5)


def decode_value(key: str, raw: bytes) -> tuple:
    """Changelog bytes of ``key`` → its value (``encode_value`` undone)."""
    flat = _loads(raw)
    if type(flat) in _HELD:  # written before this codec: the value itself
        return flat
    if key.startswith(PROGRESS):
        return Mark(*flat)
    if key.startswith(CAPS):
        return HeldCaps(*flat)
    family = FAMILIES.get(key[: key.find("/") + 1])
    if family is not None:
        state_cls, event_cls = family
        partition, offset, base, events, state, last_ms = flat
        # The state classes' constructors fill fields added since a value was written.
        record = Record(
            None if base is None else state_cls(*base),
            tuple(_new(event_cls, event) for event in events),
            state_cls(*state),
            last_ms,
        )
        return _new(HeldRecord, (partition, offset, record))
    if len(flat) == 3:  # a live entry (partition, tag, descriptor fields)
        partition, tag, fields = flat
        return _new(HeldLive, (partition, _new(DESCRIPTORS[tag], fields)))
    partition, series, inputs, outputs, seen, health = flat
    held = {name: _series(state) for name, state in series.items()}
    if not held and key.startswith(CUSTOMER):
        held = NO_SERIES  # as stage 2 keeps a customer's slice
    history = History(tuple(map(_fact, inputs)), tuple(map(_fact, outputs)))
    return _new(HeldSlice, (partition, Slice(held, history, seen, health)))


def _series(state: tuple) -> Series:
    series = Series.__new__(Series)
    series.__setstate__(state)
    return series


# -- facts messages (stage 1 → stage 2) ------------------------------------------------


#: Facts per facts message at most: a batch's outputs for one partition go in one
#: message (a few hundred kB at ~50 bytes a fact), well under Kafka's 1 MB default.
FACTS_PER_MESSAGE = 4096

Routed = list[tuple[str, list[tuple[tuple, Fact]]]]  # [(route, [(id, fact), ...]), ...]


def encode_routes(routes: Routed, limit: int = FACTS_PER_MESSAGE) -> list[bytes]:
    """Several routes' outputs of a batch → facts message values, each ``[(route, rows)]``
    with at most ``limit`` facts (a route with more goes alone), routes in order.

    One message per partition and batch, not one per route: most routes of a batch are
    customers with a fact or two, and a Kafka record (partitioner, batch append, fetch
    parsing, a pickle call) costs more than the facts it would carry.
    """
    values: list[bytes] = []
    chunk: list[tuple[str, list]] = []
    size = 0
    for route, items in routes:
        if chunk and size + len(items) > limit:
            values.append(_dumps(chunk, protocol=5))
            chunk, size = [], 0
        chunk.append((route, _rows(items)))
        size += len(items)
    if chunk:
        values.append(_dumps(chunk, protocol=5))
    return values


def decode_routes(key: bytes | None, raw: bytes) -> Routed:
    """A facts message → its routes' outputs. A message with a key was written before
    messages carried several routes: the key is its one route."""
    if key:
        return [(key.decode(), _items(_loads(raw)))]
    return [(route, _items(rows)) for route, rows in _loads(raw)]


def _rows(items: list[tuple[tuple, Fact]]) -> list[tuple]:
    # ``(i,) + fact`` makes one plain tuple, where ``(i, *fact)`` builds a list first.
    return [(i,) + fact if fact[0] != LIVE else (i, *_flat_fact(fact)) for i, fact in items]  # noqa: RUF005


def _items(rows: list[tuple]) -> list[tuple[tuple, Fact]]:
    return [(row[0], _new(Fact, row[1:]) if row[1] != LIVE else _fact(row[1:])) for row in rows]


def _flat_fact(fact: Fact) -> tuple:
    kind, labels, time_ms, value, weight = fact
    if kind == LIVE:  # (entity ref, descriptor or None)
        ref, descriptor = labels
        if descriptor is not None:
            labels = (ref, _TAG[type(descriptor)], tuple(descriptor))
    return kind, labels, time_ms, value, weight


def _fact(flat: Any) -> Fact:
    kind, labels, time_ms, value, weight = flat
    if kind == LIVE and len(labels) == 3:
        ref, tag, fields = labels
        labels = (ref, _new(DESCRIPTORS[tag], fields))
    return _new(Fact, (kind, labels, time_ms, value, weight))
