"""Housekeeping in small steps: a sweep of a table spread over the batches that follow.

Dropping finished entities and expired buckets never changes a result, but visiting
every key of a big table at once stops ingestion for as long as the visit takes (and
the wallboard with it). A ``Walk`` takes a snapshot of the table's keys when a sweep
is due, then hands out a slice of them per batch, large enough that a walk ends
within about ``STEPS`` batches. Keys deleted meanwhile are skipped by whoever visits
them (their value is gone); keys added meanwhile wait for the next walk. A walk
starts at most every ``every_s`` seconds, counted from the start of the last one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

#: A walk ends within about this many steps...
STEPS = 20
#: ...each of at least this many keys (a small table goes in one step).
MIN_STEP = 2_000


class Walk:
    """One table's sweep, a step at a time."""

    def __init__(self, every_s: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.every_s, self._monotonic = every_s, monotonic
        self._started = monotonic()
        self._keys: list[bytes] = []
        self._next = 0
        self._step = MIN_STEP
        self._totals: dict[str, int] = {}  # what the walk in progress did, for its log line
        self._ended = False

    @property
    def walking(self) -> bool:
        return self._next < len(self._keys)

    def step(self, snapshot: Callable[[], list[bytes]]) -> list[bytes]:
        """The keys to visit after this batch (often none); starts a walk when due."""
        if not self.walking:
            if self._monotonic() - self._started < self.every_s:
                return []
            self._started = self._monotonic()
            self._keys, self._next = snapshot(), 0
            self._step = max(MIN_STEP, math.ceil(len(self._keys) / STEPS))
            self._totals = {}
        keys = self._keys[self._next : self._next + self._step]
        self._next += len(keys)
        if not self.walking:
            self._keys, self._next, self._ended = [], 0, True
        return keys

    def count(self, what: str) -> None:
        """Count one thing the walk in progress did."""
        self._totals[what] = self._totals.get(what, 0) + 1

    def ended(self) -> dict[str, int] | None:
        """What the walk did, once, after the step that ended it; otherwise None."""
        if not self._ended:
            return None
        self._ended = False
        return self._totals
