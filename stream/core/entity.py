"""One entity's history folded into state: the shared mechanism of every lifecycle.

Each contact, ticket, survey and agent is a *record*: its recent events sorted by
event time, the state folded from them, and a *base* state that stands for events too
old to matter any more (compacted away, see ``compact``). Until something is
compacted the base is None, which stands for the lifecycle's start state: a record
that held its own copy of it would hold a second state, unused but for refolds. A
lifecycle only supplies a pure ``step(state, event) -> (state, facts) | None`` (None =
refused move, state unchanged), like h11's transition tables.

Arrival order is tolerated the simple way: an event that sorts after everything seen
takes one ``step`` (the hot path); one that sorts earlier is inserted where it belongs,
the record is re-folded, and the signed difference between the new and the old facts
is emitted (``facts.net``). So "answered" arriving before "queued" ends up exactly as if
they had arrived in order. The recent events double as the dedup memory: an event
with the same (source, id) as one held is a duplicate.

Records are immutable tuples, so a shell that keeps them in a Faust table stores a new
value on every change, which is what reaches the changelog.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from .facts import Fact, net

S = TypeVar("S")
E = TypeVar("E", bound=tuple)


class Lifecycle(Protocol[S, E]):
    """What a lifecycle module provides to the shared record mechanism."""

    #: Same-instant tie-break: lower ranks fold first (queued before answered...).
    rank: dict[str, int]

    def start(self, key: str) -> S: ...

    def step(self, state: S, event: E) -> tuple[S, Sequence[Fact]] | None: ...

    def live(self, state: S) -> Any: ...

    def expires_ms(self, state: S, last_ms: int) -> int | None:
        """Event time after which the record may be dropped (None: keep while open).

        Horizon-relative: a record whose expiry is older than the retention horizon
        can no longer change any window, so it goes."""
        ...


class Record(NamedTuple, Generic[S, E]):
    base: Any  # state folded from compacted (old) events; None: the start state
    events: tuple  # recent events, sorted by order key
    state: Any  # base folded with events
    last_ms: int  # newest event time ever applied (drives expiry)


class Applied(NamedTuple):
    """What applying one event did."""

    record: Record | None  # the new record (None: unchanged)
    facts: Sequence[Fact]
    refused: bool
    duplicate: bool


NOTHING = Applied(None, (), False, True)
_new = tuple.__new__


def _record(base: Any, events: tuple, state: Any, last_ms: int) -> Record:
    """``Record(...)`` without the named tuple constructor's keyword handling: this
    runs once per event."""
    return _new(Record, (base, events, state, last_ms))


def order_key(rank: dict[str, int]) -> Callable[[tuple], tuple]:
    """Events sort by event time, then lifecycle rank, then (source, id) for stability."""

    def key(event: Any) -> tuple:
        return (event.time_ms, rank.get(event.action, 50), event.source, event.id)

    return key


def apply(lifecycle: Lifecycle, record: Record | None, event: Any, key: str) -> Applied:
    """Apply one event (any family: they share the header fields) to an entity's record
    (None for an entity not seen yet)."""
    t = event.time_ms
    if record is None:
        base, events, state, last_ms = None, (), lifecycle.start(key), t
    else:
        base, events, state, last_ms = record
        source, ident = event.source, event.id
        for held in events:
            if held.id == ident and held.source == source:
                return NOTHING
        if t > last_ms:
            last_ms = t
    if events:
        newest = events[-1].time_ms
        in_order = t > newest  # the hot path decides on times alone
        if t == newest:
            sort_key = order_key(lifecycle.rank)
            in_order = sort_key(event) >= sort_key(events[-1])
    if not events or in_order:
        moved = lifecycle.step(state, event)
        held = (*events, event)
        if moved is None:
            return _new(Applied, (_record(base, held, state, last_ms), (), True, False))
        new_state, facts = moved
        return _new(Applied, (_record(base, held, new_state, last_ms), facts, False, False))
    sort_key = order_key(lifecycle.rank)
    keys = [sort_key(e) for e in events]
    at = bisect_right(keys, sort_key(event))
    new_events = (*events[:at], event, *events[at:])
    start = _start(lifecycle, base, key)
    _, old_facts, _ = fold(lifecycle, start, events)
    new_state, new_facts, refused = fold(lifecycle, start, new_events)
    return Applied(
        Record(base, new_events, new_state, last_ms),
        net(new_facts, old_facts),
        event in refused,
        False,
    )


def fold(
    lifecycle: Lifecycle, state: Any, events: Sequence[tuple]
) -> tuple[Any, list[Fact], list[tuple]]:
    """Fold events over a state: the final state, all facts, and the refused events."""
    facts: list[Fact] = []
    refused: list[tuple] = []
    for event in events:
        moved = lifecycle.step(state, event)
        if moved is None:
            refused.append(event)
            continue
        state, produced = moved
        facts.extend(produced)
    return state, facts, refused


def _start(lifecycle: Lifecycle, base: Any, key: str) -> Any:
    """The state a record's events fold from: its base, or the lifecycle's start."""
    return lifecycle.start(key) if base is None else base


def compact(lifecycle: Lifecycle, record: Record, horizon_ms: int, key: str) -> Record:
    """Fold events older than the horizon into the base state.

    Any event that could still arrive and sort before them would itself be older than
    the horizon, hence late and ignored, so these events never need re-sorting again.
    Their facts were emitted long ago and are not emitted again.
    """
    events = record.events
    cut = 0
    while cut < len(events) and events[cut].time_ms < horizon_ms:
        cut += 1
    if not cut:
        return record
    base, _, _ = fold(lifecycle, _start(lifecycle, record.base, key), events[:cut])
    return Record(base, events[cut:], record.state, record.last_ms)
