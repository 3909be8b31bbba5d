"""The cyclic garbage collector, tuned for a process that holds a stream's state.

cxkpi's state is hundreds of thousands of small tuples and dicts (records, events,
series) that live for hours, and every event allocates a dozen more that die at once.
CPython's default thresholds (700, 10, 10) start a young collection every 700 net
allocations and promote the survivors, so a worker spends more time walking live
state for cycles it does not have than applying events: the core benchmark ingests
2–3× faster with the thresholds below (bench/README.md has the figures). The state
holds no reference cycles, so it loses nothing by being visited less often; the
occasional cycle elsewhere (an exception and its traceback, a future and its
callback) is still collected, a few seconds later.

Every collection stops the event loop for as long as it takes to walk what it
visits, and the older ones walk the state itself: in the worker benchmark a middle
collection held it 275 ms and a full one 0.4–0.5 s, several times a minute while the
state grew (probe latency p99 1.2–2.2 s at 2,000 events/s). So a worker also freezes
what survived at every checkpoint (``Survivors``): the state leaves the generations
the collector walks, which then hold at most a checkpoint interval's objects, and the
collections left are young ones (every evaluation and render then held the loop
under 50 ms, young collections included; a young threshold of 10,000 instead of
50,000 gave the same holds and a slower core). What the frozen
objects could hide, cycles that became garbage after they were frozen (a few hundred
objects a minute from asyncio and aiohttp), one full collection every
``--gc-full-every`` (default 10 minutes) frees.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable

__all__ = ["THRESHOLDS", "Survivors", "tune_gc"]

log = logging.getLogger("cxkpi.gc")

#: Young collections every 50,000 net allocations; the middle generation every 20 of
#: those; a full collection every 100 of these (and, as always in CPython, only once
#: the objects promoted since the last one reach a quarter of the long-lived ones).
THRESHOLDS = (50_000, 20, 100)


def tune_gc() -> None:
    """Apply ``THRESHOLDS`` to this process."""
    gc.set_threshold(*THRESHOLDS)


class Survivors:
    """Freezes what survived at each checkpoint; collects everything now and then."""

    def __init__(self, full_every_s: float, clock: Callable[[], float] = time.monotonic):
        self.full_every_s, self._clock = full_every_s, clock
        self._last_full = clock()

    def settle(self) -> None:
        """At a checkpoint: a full collection when one is due (0: never), then freeze."""
        began = self._clock()
        if self.full_every_s and began - self._last_full >= self.full_every_s:
            frozen = gc.get_freeze_count()
            gc.unfreeze()
            found = gc.collect()
            self._last_full = self._clock()
            log.debug(
                "full garbage collection: %d of %d frozen objects unreachable, %.0f ms",
                found,
                frozen,
                (self._last_full - began) * 1000,
            )
        gc.freeze()
