"""Event-time arithmetic: RFC 3339 parsing, minute buckets, local days, the retention horizon.

All times inside the core are integer milliseconds since the epoch (UTC): integer sums
stay exact however many waits are added and subtracted, which the retraction of
corrected facts relies on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
#: Events newer than the evaluation time plus this are clock skew (SPEC §5).
FUTURE_TOLERANCE_MS = 5 * MINUTE_MS
#: The minute windows of SPEC §5 and their length in minutes.
MINUTE_WINDOWS: tuple[tuple[str, int], ...] = (("5m", 5), ("15m", 15), ("1h", 60))
WINDOW_NAMES = ("5m", "15m", "1h", "today")
#: Event times outside these years are refused as bad_time: no contact center runs
#: there, and local-day arithmetic near datetime's limits would overflow.
EARLIEST_YEAR, LATEST_YEAR = 1970, 2200


def parse_time(text: str) -> int:
    """RFC 3339 timestamp with an offset → epoch milliseconds; ValueError otherwise."""
    if len(text) < 20 or text[10] not in "Tt ":
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time has no UTC offset: {text!r}")
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise ValueError(f"time is outside {EARLIEST_YEAR}..{LATEST_YEAR}: {text!r}")
    return int(moment.timestamp() * 1000)


def format_time(ms: int) -> str:
    """Epoch milliseconds → RFC 3339 in UTC with millisecond precision."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def minute_of(ms: int) -> int:
    """The minute bucket of a time: floor(t / 60 s)."""
    return ms // MINUTE_MS


class LocalDays:
    """Maps instants to local calendar days of one timezone, for the ``today`` window.

    Converting through zoneinfo costs about a microsecond, so the day containing the
    last instant asked about is cached: nearly every lookup on a stream hits it.
    """

    __slots__ = ("_cache", "tz")

    def __init__(self, timezone: str = "UTC") -> None:
        self.tz = ZoneInfo(timezone)
        self._cache = (0, 0, 0)  # (start_ms, end_ms, ordinal)

    def day_of(self, ms: int) -> int:
        """The local date (proleptic ordinal) an instant falls on."""
        start, end, ordinal = self._cache
        if start <= ms < end:
            return ordinal
        local = datetime.fromtimestamp(ms / 1000, self.tz)
        midnight = datetime(local.year, local.month, local.day, tzinfo=self.tz)
        next_midnight = datetime.combine(
            midnight.date() + timedelta(days=1), midnight.time(), tzinfo=self.tz
        )
        start = int(midnight.timestamp() * 1000)
        end = int(next_midnight.timestamp() * 1000)
        ordinal = midnight.date().toordinal()
        self._cache = (start, end, ordinal)
        return ordinal

    def midnight_ms(self, ms: int) -> int:
        """The instant of local midnight starting the day of ``ms``."""
        self.day_of(ms)
        return self._cache[0]


def horizon_minute(days: LocalDays, at_ms: int) -> int:
    """The oldest minute bucket retained at evaluation time ``at_ms`` (SPEC §5).

    That is today's local midnight or T − 1 h, whichever is earlier. Outcomes in older
    minutes cannot reach any window any more: their events are counted late.
    """
    return minute_of(min(days.midnight_ms(at_ms), at_ms - HOUR_MS))


class Retention(NamedTuple):
    """Where buckets stop being kept, for one clock."""

    first_minute: int  # oldest minute bucket still kept (clock minute − 60)
    first_day: int  # oldest local day still kept (the horizon's day)


class Marks(NamedTuple):
    keep: Retention
    horizon_ms: int  # events older than this are late


def retention_at(days: LocalDays, clock_ms: int) -> Retention:
    first_day = days.day_of(horizon_minute(days, clock_ms) * MINUTE_MS)
    return Retention(minute_of(clock_ms) - 60, first_day)


class Horizons:
    """Retention and the late horizon for a clock, computed once per clock minute."""

    __slots__ = ("_cache", "days")

    def __init__(self, timezone: str = "UTC") -> None:
        self.days = LocalDays(timezone)
        self._cache: tuple[int, Marks | None] = (-1, None)

    def at(self, clock_ms: int) -> Marks:
        minute = clock_ms // MINUTE_MS
        cached_minute, marks = self._cache
        if minute != cached_minute or marks is None:
            horizon = horizon_minute(self.days, clock_ms) * MINUTE_MS
            marks = Marks(retention_at(self.days, clock_ms), horizon)
            self._cache = (minute, marks)
        return marks
