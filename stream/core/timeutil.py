"""Event-time arithmetic: RFC 3339 parsing, minute buckets, local days, the retention horizon.

All times inside the core are integer milliseconds since the epoch (UTC): integer sums
stay exact however many waits are added and subtracted, which the retraction of
corrected facts relies on.
"""

from __future__ import annotations

import re
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


#: RFC 3339 §5.6 ``date-time``, exactly: ASCII digits only (``\\d`` would take any Unicode
#: digit), "T" or "t" (ABNF strings are case-insensitive; a space is not in the
#: grammar), seconds required, any number of fraction digits after a ".", and "Z",
#: "z" or a ``±hh:mm`` offset.
_DATE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]+))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))"
)
#: What follows the minute in ``_DATE_TIME`` (from index 16).
_AFTER_MINUTE = re.compile(r":([0-9]{2})(?:\.([0-9]+))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))")
#: The same without its offset: says "no UTC offset" instead of "not RFC 3339".
_LOCAL_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?")
_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def parse_time(text: str) -> int:
    """A strict RFC 3339 ``date-time`` (§5.6) → epoch milliseconds; ValueError otherwise.

    Written out rather than delegated: ``datetime.fromisoformat`` takes ISO 8601 forms
    the RFC does not (week dates, ``+0100``, ``,5``) and trailing junk, and refuses
    ``t``/``z``; ciso8601's ``parse_rfc3339`` takes a space for the "T" and refuses the
    leap second the grammar allows. The arithmetic is exact integers (no float
    timestamp); ``TimeParser`` makes repeated reading cheap.

    ``-00:00`` ("offset unknown", §4.3) is read as UTC. A leap second (``:60``) is read
    as the last millisecond of its minute, so the event stays in the minute and the
    local day its producer wrote. Fraction digits beyond milliseconds are truncated.
    """
    minute_ms, rest_ms = _parse(text)
    return minute_ms + rest_ms


def _parse(text: str) -> tuple[int, int]:
    """(the local minute in epoch ms, ms into it less the UTC offset), or ValueError."""
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        if _LOCAL_TIME.fullmatch(text):
            raise ValueError(f"time has no UTC offset: {text!r}")
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    year, month, day, hour, minute = map(int, match.group(1, 2, 3, 4, 5))
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} is out of range: {text!r}")
    if not 1 <= day <= _DAYS_IN_MONTH[month] or (month == 2 and day == 29 and not _leap(year)):
        raise ValueError(f"day {day} is out of range for the month: {text!r}")
    if hour > 23 or minute > 59:
        raise ValueError(f"time of day is out of range: {text!r}")
    rest_ms = _seconds_and_offset_ms(text, *match.group(6, 7, 8, 9, 10, 11))
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValueError(f"time is outside {EARLIEST_YEAR}..{LATEST_YEAR}: {text!r}")
    day_ms = _days_from_civil(year, month, day) * DAY_MS
    return day_ms + hour * HOUR_MS + minute * MINUTE_MS, rest_ms


def _seconds_and_offset_ms(
    text: str,
    second: str,
    fraction: str | None,
    zulu: str | None,
    sign: str | None,
    off_hour: str | None,
    off_minute: str | None,
) -> int:
    """Milliseconds into the local minute, less the UTC offset: the part of a
    ``date-time`` after its minute."""
    seconds = int(second)
    if seconds > 60:
        raise ValueError(f"time of day is out of range: {text!r}")
    if zulu is None and (int(off_hour or 0) > 23 or int(off_minute or 0) > 59):
        raise ValueError(f"UTC offset is out of range: {text!r}")
    millis = int((fraction or "0")[:3].ljust(3, "0"))
    if seconds == 60:
        seconds, millis = 59, 999
    offset_ms = 0
    if zulu is None:
        offset_ms = (int(off_hour or 0) * 60 + int(off_minute or 0)) * MINUTE_MS
        if sign == "-":
            offset_ms = -offset_ms
    return seconds * 1000 + millis - offset_ms


#: ".sssZ" (or "z"), the end of a UTC time with milliseconds → its milliseconds.
_UTC_MILLIS = {f".{millis:03}{zulu}": millis for millis in range(1000) for zulu in "Zz"}


class TimeParser:
    """``parse_time`` that remembers what it read: the same results and errors, faster.

    A timestamp read lately is one lookup, and events of one instant share one int.
    Nearly every producer writes UTC with milliseconds (``2026-11-24T10:15:07.394Z``),
    and those of one second share their first 19 characters: once a second has been
    read whole, a new timestamp of it costs two lookups. Other shapes: those of one
    minute share their first 16 characters (``2026-11-24T10:15``) and every minute
    reuses the same tails (``:07.394+01:00``): with the minute's date and the tail each
    checked and converted once, a new timestamp costs two lookups too. Each cache
    starts over when full, so memory stays bounded whatever arrives.
    """

    __slots__ = ("_minutes", "_seconds", "_tails", "_times")

    #: Distinct timestamps (about 150 kB) and minutes remembered.
    SIZE = 1024
    #: Distinct tails remembered: every millisecond of a minute in one offset (6 MB full).
    TAILS = 65_536
    #: Distinct seconds remembered (about 400 kB): the seconds of over an hour, so that
    #: a stream whose events of one entity come together, minutes apart, still hits.
    SECONDS = 4_096

    def __init__(self) -> None:
        self._times: dict[str, int] = {}
        self._minutes: dict[str, int] = {}  # "YYYY-MM-DDTHH:MM" → its local ms
        self._tails: dict[str, int] = {}  # ":SS.sssZ" → ms into the minute less the offset
        self._seconds: dict[str, int] = {}  # "YYYY-MM-DDTHH:MM:SS" (UTC) → its epoch ms

    def __call__(self, text: str) -> int:
        time_ms = self._times.get(text)  # one int for a burst of events of one instant
        if time_ms is not None:
            return time_ms
        utc_millis = len(text) == 24 and text[19:] in _UTC_MILLIS  # "…:SS.sssZ"
        if utc_millis:
            second_ms = self._seconds.get(text[:19])
            if second_ms is not None:
                if len(self._times) >= self.SIZE:
                    self._times.clear()
                time_ms = self._times[text] = second_ms + _UTC_MILLIS[text[19:]]
                return time_ms
        minute_ms = self._minutes.get(text[:16])
        rest_ms = None if minute_ms is None else self._tails.get(text[16:])
        if rest_ms is None:
            if minute_ms is None:
                minute_ms, rest_ms = _parse(text)
                if len(self._minutes) >= self.SIZE:
                    self._minutes.clear()
                self._minutes[text[:16]] = minute_ms
            else:
                rest_ms = _utc_millis_tail(text)
                if rest_ms is None:
                    tail = _AFTER_MINUTE.fullmatch(text, 16)
                    if tail is None:
                        return parse_time(text)  # raises with parse_time's own message
                    try:
                        rest_ms = _seconds_and_offset_ms(text, *tail.groups())
                    except ValueError:
                        return parse_time(text)
            if len(self._tails) >= self.TAILS:
                self._tails.clear()
            self._tails[text[16:]] = rest_ms
        time_ms = minute_ms + rest_ms
        if utc_millis and text[17:19] != "60":  # a leap second is read as :59.999
            if len(self._seconds) >= self.SECONDS:
                self._seconds.clear()
            self._seconds[text[:19]] = time_ms - _UTC_MILLIS[text[19:]]
        if len(self._times) >= self.SIZE:
            self._times.clear()
        self._times[text] = time_ms
        return time_ms


def _utc_millis_tail(text: str) -> int | None:
    """``_seconds_and_offset_ms`` of a ``date-time`` ending ``:SS.sssZ``, the tail
    nearly every producer writes, read without the regular expression (a worker
    catching up meets a new tail in most events until its cache is full); None for
    any other tail, a leap second included."""
    if len(text) != 24 or text[16] != ":" or text[19] != "." or text[23] not in "Zz":
        return None
    seconds, millis = text[17:19], text[20:23]
    digits = seconds + millis
    if not (digits.isascii() and digits.isdecimal()) or seconds > "59":
        return None
    return int(seconds) * 1000 + int(millis)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


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
    clock_ms: int = 0  # the clock it is for (other zones' days are found from it)


class Marks(NamedTuple):
    keep: Retention
    horizon_ms: int  # events older than this are late


def retention_at(days: LocalDays, clock_ms: int) -> Retention:
    first_day = days.day_of(horizon_minute(days, clock_ms) * MINUTE_MS)
    return Retention(minute_of(clock_ms) - 60, first_day, clock_ms)


class Horizons:
    """Retention and the late horizon for a clock, computed once per clock minute.

    Retention is the first zone's. With queues whose ``today`` follows other zones
    (calendars with ``local_today``), the late horizon is the earliest of all: an event
    of any queue's today is never late."""

    __slots__ = ("_cache", "days", "zones")

    def __init__(self, timezone: str = "UTC", *others: str) -> None:
        self.days = LocalDays(timezone)
        self.zones = (self.days, *(LocalDays(zone) for zone in others if zone != timezone))
        self._cache: tuple[int, Marks | None] = (-1, None)

    def at(self, clock_ms: int) -> Marks:
        minute = clock_ms // MINUTE_MS
        cached_minute, marks = self._cache
        if minute != cached_minute or marks is None:
            horizon = min(horizon_minute(days, clock_ms) for days in self.zones) * MINUTE_MS
            marks = Marks(retention_at(self.days, clock_ms), horizon)
            self._cache = (minute, marks)
        return marks
