"""Arrivals: a daily intensity curve and non-homogeneous Poisson arrival times.

Inbound contact centres see a quiet night, a steep climb from 07:00, a late-morning peak,
a lunch dip and a second, lower afternoon peak. The curve below is that shape, one value
per local hour and normalised to a mean of 1, so ``rate × level(t)`` keeps the configured
mean rate over a day. Between hour midpoints it is interpolated linearly so the rate has
no steps for the KPIs to show as artefacts.

Arrival times come from thinning (Lewis & Shedler): draw candidates from a homogeneous
process at the peak rate and keep each with probability level(t) / peak. The sum of
Poisson processes is Poisson, so one overall stream split by queue weight is the same
as one independent stream per queue — and cheaper.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from ..core.timeutil import HOUR_MS, LocalDays

_DAY_SHAPE = (
    0.18,
    0.12,
    0.09,
    0.08,
    0.10,
    0.18,
    0.40,
    0.85,
    1.45,
    1.85,
    1.95,
    1.80,
    1.50,
    1.55,
    1.75,
    1.70,
    1.45,
    1.15,
    0.85,
    0.62,
    0.46,
    0.36,
    0.28,
    0.22,
)
#: Hourly shapes, mean 1.
SHAPES: dict[str, tuple[float, ...]] = {
    "day": tuple(v * 24 / sum(_DAY_SHAPE) for v in _DAY_SHAPE),
    "flat": (1.0,) * 24,
}


class DailyCurve:
    """Relative arrival intensity (mean 1 over a local day) at any instant."""

    __slots__ = ("_days", "peak", "shape")

    def __init__(self, shape: tuple[float, ...], timezone: str = "UTC") -> None:
        if len(shape) != 24 or min(shape) < 0:
            raise ValueError("a daily shape needs 24 non-negative hourly values")
        self.shape = shape
        self.peak = max(shape)
        self._days = LocalDays(timezone)

    def local_hour(self, ms: int) -> float:
        """Hours since local midnight (0 ≤ h < 24, up to 25 on a DST fall-back day)."""
        return (ms - self._days.midnight_ms(ms)) / HOUR_MS

    def midnight_ms(self, ms: int) -> int:
        """Local midnight starting the day of ``ms``."""
        return self._days.midnight_ms(ms)

    def level(self, ms: int) -> float:
        """Intensity at ``ms``, linear between the midpoints of the local hours."""
        x = self.local_hour(ms) - 0.5
        low = int(x // 1)
        frac = x - low
        return self.shape[low % 24] * (1 - frac) + self.shape[(low + 1) % 24] * frac


def arrival_times(
    rng: random.Random, curve: DailyCurve, per_hour: float, start_ms: int
) -> Iterator[int]:
    """Endless arrival instants (ms) of a Poisson process with rate per_hour × level(t)."""
    if per_hour <= 0 or curve.peak <= 0:
        return
    peak_per_ms = per_hour * curve.peak / HOUR_MS
    t = float(start_ms)
    while True:
        t += rng.expovariate(peak_per_ms)
        ms = int(t)
        if rng.random() * curve.peak < curve.level(ms):
            yield ms


def surge_times(rng: random.Random, per_hour: float, start_ms: int, end_ms: int) -> Iterator[int]:
    """Arrival instants of a homogeneous Poisson process between two instants."""
    if per_hour <= 0:
        return
    t = float(start_ms)
    while True:
        t += rng.expovariate(per_hour / HOUR_MS)
        if t >= end_ms:
            return
        yield int(t)
