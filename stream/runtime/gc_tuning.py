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
"""

from __future__ import annotations

import gc

__all__ = ["THRESHOLDS", "tune_gc"]

#: Young collections every 50,000 net allocations; the middle generation every 20 of
#: those; a full collection every 100 of these (and, as always in CPython, only once
#: the objects promoted since the last one reach a quarter of the long-lived ones).
THRESHOLDS = (50_000, 20, 100)


def tune_gc() -> None:
    """Apply ``THRESHOLDS`` to this process."""
    gc.set_threshold(*THRESHOLDS)
