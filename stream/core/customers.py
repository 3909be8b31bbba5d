"""Customer history for first-contact resolution (FCR).

SPEC §4: a wrapped-up contact counts as resolved first time when its wrap-up says
resolved and its customer had no *other* contact queued in the 24 h before this one
was first queued. Whether an earlier contact exists depends on events of other
contacts, which may arrive in any order. So the history keeps its inputs (each
contact's first-queued time, each wrap-up) and derives the FCR facts from all of them
on every change, emitting the signed difference: a repeat contact that shows up late
retracts a success counted too early. Customers are keyed by a hash, never in clear.
"""

from __future__ import annotations

from typing import NamedTuple

from .facts import CUSTOMER_QUEUED, CUSTOMER_WRAPPED, FCR, Fact, net
from .timeutil import DAY_MS

REPEAT_WINDOW_MS = DAY_MS
_new = tuple.__new__


class History(NamedTuple):
    inputs: tuple[Fact, ...]  # CUSTOMER_QUEUED / CUSTOMER_WRAPPED facts, weight +1
    outputs: tuple[Fact, ...]  # the FCR facts derived from them


EMPTY = History((), ())


def update(history: History, changes: list[Fact]) -> tuple[History, list[Fact]]:
    """Add or retract inputs, then re-derive the FCR facts and emit what changed."""
    inputs = list(history.inputs)
    for change in changes:
        weight = change.weight
        plain = change if weight == 1 else _new(Fact, (*change[:4], 1))  # inputs weigh 1
        if weight > 0:
            inputs.append(plain)
        elif plain in inputs:
            inputs.remove(plain)
    outputs = derive(inputs)
    return _new(History, (tuple(inputs), outputs)), net(outputs, history.outputs)


def derive(inputs: list[Fact]) -> tuple[Fact, ...]:
    queued = []
    for fact in inputs:
        if fact.kind == CUSTOMER_QUEUED:
            _, contact = fact.labels  # (customer, contact_id)
            queued.append((contact, fact.time_ms))
    outputs = []
    for fact in inputs:
        if fact.kind != CUSTOMER_WRAPPED:
            continue
        _, contact, first_queued, resolved, queue, channel = fact.labels
        repeat = any(
            other != contact and first_queued - REPEAT_WINDOW_MS <= at < first_queued
            for other, at in queued
        )
        fcr = int(resolved and not repeat)
        outputs.append(_new(Fact, (FCR, (queue, channel), fact.time_ms, fcr, 1)))
    return tuple(outputs)


def prune(history: History, horizon_ms: int) -> History | None:
    """Forget wrap-ups older than the horizon and queues no retained wrap-up can see.

    Their FCR facts are in buckets that are gone, so nothing is retracted.
    """
    keep_queued_from = horizon_ms - 2 * REPEAT_WINDOW_MS
    inputs = tuple(
        f
        for f in history.inputs
        if f.time_ms >= (horizon_ms if f.kind == CUSTOMER_WRAPPED else keep_queued_from)
    )
    if not inputs:
        return None
    outputs = tuple(f for f in history.outputs if f.time_ms >= horizon_ms)
    return History(inputs, outputs)
