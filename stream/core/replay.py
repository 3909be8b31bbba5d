"""Offline replay: the same engine over recorded lines, as of an evaluation time.

Line order is taken as arrival order, and each event is judged by the clock a live
worker would have had when it arrived: the newest event time seen so far (never past
the evaluation time). So an event recorded long after its neighbours is late here
exactly as it would have been live, and a ticket created days before T still counts
in the backlog instead of being "late" relative to T.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

from .config import Config
from .engine import Engine
from .evaluate import Family
from .events import Event, Invalid

#: Events applied together (stage 2 visits each route once per batch), and how
#: often the engine prunes (a multiple of it).
BATCH = 1_000
PRUNE_EVERY = 10_000


class Replayed(NamedTuple):
    engine: Engine
    at_ms: int | None  # None: the input held no valid event and no --at was given

    def families(self) -> list[Family]:
        return self.engine.families(self.at_ms if self.at_ms is not None else 0)


def replay(
    lines: Iterable[bytes],
    at_ms: int | None = None,
    config: Config | None = None,
    on_invalid: Callable[[int, Invalid], None] | None = None,
) -> Replayed:
    """Apply every line (numbered from 1) and return the engine as of ``at_ms``.

    ``at_ms`` defaults to the newest event time in the input. Invalid lines are
    counted in the engine's health and passed to ``on_invalid`` with their number.
    """
    engine = Engine(config)
    decode = engine.decoder.decode
    events: list[Event] = []
    for number, raw in enumerate(lines, start=1):
        decoded = decode(raw)
        if isinstance(decoded, Invalid):
            engine.count_invalid(decoded)
            if on_invalid is not None:
                on_invalid(number, decoded)
        else:
            events.append(decoded)
    if at_ms is None and events:
        at_ms = max(event.time_ms for event in events)
    if at_ms is None:
        return Replayed(engine, None)
    watermark = events[0].time_ms if events else 0
    for start in range(0, len(events), BATCH):
        batch = []
        for event in events[start : start + BATCH]:
            watermark = max(watermark, event.time_ms)
            batch.append((event, min(watermark, at_ms)))
        engine.apply_batch(batch)
        if (start + BATCH) % PRUNE_EVERY == 0:
            engine.prune(min(watermark, at_ms))
    engine.prune(at_ms)
    return Replayed(engine, at_ms)
