"""Window sums with memory: what a scrape adds up is the open minutes, not sixty buckets.

Window W at minute n holds the buckets m > n − W (SPEC §5). Split at n, that is the
*closed* minutes n − W < m < n, which no on-time fact changes any more, and the *open*
minutes m ≥ n (the current one, and any ahead of it within the skew tolerance). A
``Windows`` keeps each window's closed sum for one series at one minute:

- next scrape, same minute: only the open buckets are added again;
- the minute moved on: each closed sum takes the minutes that closed and gives back
  the ones that left the window, two bucket additions per minute moved;
- a late fact changed a closed minute, or housekeeping dropped buckets (the series'
  stamps and cut say so), or time went backwards: the closed sums are summed afresh.

Summed afresh (a first scrape: every series), the longest window is the series' sum
of all its buckets less the few outside the window, not its fifty-nine closed minutes.

Integer sums make the three paths give exactly the same vectors, which
``tests/core/test_incremental.py`` checks against summing from scratch.
"""

from __future__ import annotations

from operator import add, sub

from .aggregates import Series
from .timeutil import MINUTE_WINDOWS

WINDOW_LENGTHS = tuple(length for _, length in MINUTE_WINDOWS)
#: Beyond this many open minutes (an evaluation far behind the stream) the open part
#: is found by scanning the buckets instead of stepping minute by minute.
OPEN_STEPS = 16


class Windows:
    """One series' closed-minute sums at one minute, for every window of MINUTE_WINDOWS."""

    __slots__ = ("closed", "minute", "series", "version")

    def __init__(self, series: Series, minute: int) -> None:
        self.series = series  # held, so that its id is never reused while cached
        self.minute = minute
        self.version = series.version
        self.closed = _closed_sums(series, minute)

    def at(self, minute: int) -> list[list[int]]:
        """The summed vector of each minute window at ``minute`` (MINUTE_WINDOWS order)."""
        self._follow(minute)
        series = self.series
        open_sum = _open_sum(series, minute)
        return [list(map(add, closed, open_sum)) for closed in self.closed]

    def valid_for(self, series: Series) -> bool:
        """True if the closed sums still hold for ``series`` as it is now."""
        if series is not self.series:
            return False
        if series.version == self.version:
            return True
        if series.cut > self.version:
            return False
        minute, version = self.minute, self.version
        return not any(m < minute and v > version for m, v in series.stamps.items())

    def _follow(self, minute: int) -> None:
        """Bring the closed sums to ``minute`` (the caller checked ``valid_for``)."""
        series = self.series
        self.version = series.version
        before = self.minute
        self.minute = minute
        if minute == before:
            return
        if minute < before or minute - before >= WINDOW_LENGTHS[0]:
            self.closed = _closed_sums(series, minute)
            return
        buckets = series.minutes
        closing = [v for m in range(before, minute) if (v := buckets.get(m)) is not None]
        for index, length in enumerate(WINDOW_LENGTHS):
            closed = self.closed[index]
            for vector in closing:  # closed now, and inside the window (length > moved)
                closed = list(map(add, closed, vector))
            for m in range(before - length + 1, minute - length + 1):  # left the window
                vector = buckets.get(m)
                if vector is not None:
                    closed = list(map(sub, closed, vector))
            self.closed[index] = closed


def _closed_sums(series: Series, minute: int) -> list[list[int]]:
    """Each window's sum of the closed minutes. The shorter windows: each band (the
    minutes a window has and the next shorter one lacks) summed column by column, then
    accumulated. The longest: what every minute bucket holds (``Series.retained``) less
    the buckets outside it, the open minutes and the few older ones housekeeping has
    not dropped yet, which are far fewer than the buckets inside it."""
    buckets = series.minutes
    sums = []
    total = [0] * len(series.totals)
    newer = minute
    for length in WINDOW_LENGTHS[:-1]:
        band = [v for m in range(minute - length + 1, newer) if (v := buckets.get(m)) is not None]
        if band:
            total = list(map(add, total, map(sum, zip(*band, strict=True))))
        sums.append(total)
        newer = minute - length + 1
    oldest = minute - WINDOW_LENGTHS[-1]  # the newest minute before the longest window
    outside = [v for m, v in buckets.items() if m >= minute or m <= oldest]
    longest = series.retained
    if outside:
        longest = list(map(sub, longest, map(sum, zip(*outside, strict=True))))
    sums.append(list(longest))
    return sums


def _open_sum(series: Series, minute: int) -> list[int]:
    total = [0] * len(series.totals)
    newest = series.newest
    if newest is None or newest < minute:
        return total
    buckets = series.minutes
    if newest - minute < OPEN_STEPS:
        opened = (buckets.get(m) for m in range(minute, newest + 1))
    else:
        opened = (vector for m, vector in buckets.items() if m >= minute)
    for vector in opened:
        if vector is not None:
            total = list(map(add, total, vector))
    return total
