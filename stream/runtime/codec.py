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
from ..core.stages import Slice
from ..core.surveys import SurveyState
from ..core.tickets import TicketState
from .values import ENTITIES, PROGRESS, HeldLive, HeldRecord, HeldSlice, Mark

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
_HELD = (HeldRecord, HeldLive, HeldSlice, Mark)


# -- table values ---------------------------------------------------------------------


def encode_value(value: tuple) -> bytes:
    """A value of the ``entities`` or ``slices`` table → changelog bytes."""
    kind = type(value)
    if kind is HeldRecord:
        partition, offset, (base, events, state, last_ms) = value
        flat: tuple = (
            partition,
            offset,
            tuple(base),
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
            seen,
            health,
        )
    elif kind is Mark:
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
    family = FAMILIES.get(key[: key.find("/") + 1])
    if family is not None:
        state_cls, event_cls = family
        partition, offset, base, events, state, last_ms = flat
        # The state classes' constructors fill fields added since a value was written.
        record = Record(
            state_cls(*base),
            tuple(_new(event_cls, event) for event in events),
            state_cls(*state),
            last_ms,
        )
        return _new(HeldRecord, (partition, offset, record))
    if len(flat) == 3:  # a live entry (partition, tag, descriptor fields)
        partition, tag, fields = flat
        return _new(HeldLive, (partition, _new(DESCRIPTORS[tag], fields)))
    partition, series, inputs, outputs, seen, health = flat
    held = {key: _series(state) for key, state in series.items()}
    history = History(tuple(map(_fact, inputs)), tuple(map(_fact, outputs)))
    return _new(HeldSlice, (partition, Slice(held, history, seen, health)))


def _series(state: tuple) -> Series:
    series = Series.__new__(Series)
    series.__setstate__(state)
    return series


# -- facts messages (stage 1 → stage 2) ------------------------------------------------


def encode_facts(items: list[tuple[tuple, Fact]]) -> bytes:
    """One route's outputs of a batch, ``[(id, fact), ...]`` → a facts message value."""
    return _dumps([(ident, *_flat_fact(fact)) for ident, fact in items], protocol=5)


def decode_facts(raw: bytes) -> list[tuple[tuple, Fact]]:
    return [(ident, _fact(flat)) for ident, *flat in _loads(raw)]


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
