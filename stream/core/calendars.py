"""Business-hours calendars: when a queue's team works, so that ticket clocks count that.

A calendar is a time zone, weekly working intervals in local wall time (several a day:
split shifts, lunch breaks) and holidays: explicit dates and date ranges, and the
public holidays of a country or region from the ``holidays`` package. Its working time
is laid out as UTC intervals, one local year at a time, with running sums, so both
questions a ticket clock asks are bisections:

- ``business_ms(start, end)``: how much working time lies between two instants;
- ``deadline(start, amount)``: the instant past which more than that much working
  time has passed since ``start`` (a first-reply deadline): inside working hours or
  at an opening, so a clock never runs out while the queue is closed.

Wall times become instants through the zone, so an interval is as long as it really
is: 09:00–17:00 is 8 h on any day, 01:00–04:00 is 2 h on a spring-forward night and
4 h on a fall-back night. A wall time that does not exist (inside the spring-forward
gap) counts as the moment the clocks jump to. ``ALWAYS`` is the 24/7 calendar of a
queue without one: its business time is calendar time.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: How far ``deadline`` looks ahead for working time before it says "never".
MAX_YEARS_AHEAD = 5

Interval = tuple[int, int]  # minutes after local midnight: [start, end), end ≤ 1440


class Year(NamedTuple):
    """One local year's working intervals as UTC milliseconds, with running sums."""

    starts: list[int]
    ends: list[int]
    before: list[int]  # working ms of this year before interval i
    through: list[int]  # working ms of this year up to the end of interval i
    total: int

    def within(self, at_ms: int) -> int:
        """Working ms of this year before ``at_ms``."""
        i = bisect_right(self.starts, at_ms) - 1
        if i < 0:
            return 0
        return self.before[i] + min(at_ms, self.ends[i]) - self.starts[i]


class Calendar:
    """A named business-hours calendar (see the module docstring)."""

    def __init__(
        self,
        name: str,
        timezone: str,
        week: tuple[tuple[Interval, ...], ...],
        holidays: Iterable[date] = (),
        country: str | None = None,
        subdivision: str | None = None,
        local_today: bool = False,
    ) -> None:
        self.name, self.timezone = name, timezone
        #: The queues on this calendar reset ``today`` at its local midnight.
        self.local_today = local_today
        self.zone = ZoneInfo(timezone)
        self.week = week
        self.holidays = frozenset(holidays)
        self.country, self.subdivision = country, subdivision
        self._years: dict[int, Year] = {}

    def __repr__(self) -> str:
        return f"Calendar({self.name!r}, {self.timezone!r})"

    # -- the two questions --------------------------------------------------------

    def business_ms(self, start_ms: int, end_ms: int) -> int:
        """Working time between two instants (0 when ``end_ms`` is not after ``start_ms``)."""
        if end_ms <= start_ms:
            return 0
        first, last = self._year_of(start_ms), self._year_of(end_ms)
        if first == last:
            year = self.year(first)
            return year.within(end_ms) - year.within(start_ms)
        total = self.year(first).total - self.year(first).within(start_ms)
        total += sum(self.year(y).total for y in range(first + 1, last))
        return total + self.year(last).within(end_ms)

    def deadline(self, start_ms: int, amount_ms: int) -> int | None:
        """The instant past which more than ``amount_ms`` of working time has passed
        since ``start_ms``: always inside working hours or at an opening, never at a
        closing (a clock that reaches its amount at 17:00 exceeds it at the next
        opening). None when that is more than ``MAX_YEARS_AHEAD`` years away."""
        year_number = self._year_of(start_ms)
        year = self.year(year_number)
        need = year.within(start_ms) + max(0, amount_ms)
        for _ in range(MAX_YEARS_AHEAD + 1):
            if need < year.total:
                i = bisect_right(year.through, need)
                return year.starts[i] + need - year.before[i]
            need -= year.total
            year_number += 1
            year = self.year(year_number)
        return None

    def is_open(self, at_ms: int) -> bool:
        year = self.year(self._year_of(at_ms))
        i = bisect_right(year.starts, at_ms) - 1
        return i >= 0 and at_ms < year.ends[i]

    # -- the layout, one local year at a time -------------------------------------

    def _year_of(self, at_ms: int) -> int:
        return datetime.fromtimestamp(at_ms / 1000, self.zone).year

    def year(self, number: int) -> Year:
        year = self._years.get(number)
        if year is None:
            year = self._years[number] = self._lay_out(number)
        return year

    def _lay_out(self, number: int) -> Year:
        closed = self.holidays | self._public_holidays(number)
        starts: list[int] = []
        ends: list[int] = []
        day = date(number, 1, 1)
        while day.year == number:
            if day not in closed:
                midnight = datetime.combine(day, time(), self.zone)
                for start, end in self.week[day.weekday()]:
                    starts.append(_instant(midnight, start))
                    ends.append(_instant(midnight, end))
            day += timedelta(days=1)
        before, through, total = [], [], 0
        for start, end in zip(starts, ends, strict=True):
            before.append(total)
            total += end - start
            through.append(total)
        return Year(starts, ends, before, through, total)

    def _public_holidays(self, number: int) -> frozenset[date]:
        if self.country is None:
            return frozenset()
        return frozenset(_country_holidays(self.country, self.subdivision, number))


class AlwaysOpen:
    """The 24/7 calendar: business time is calendar time."""

    name = "24/7"

    def business_ms(self, start_ms: int, end_ms: int) -> int:
        return max(0, end_ms - start_ms)

    def deadline(self, start_ms: int, amount_ms: int) -> int | None:
        return start_ms + max(0, amount_ms)

    def is_open(self, at_ms: int) -> bool:
        return True

    def __repr__(self) -> str:
        return "ALWAYS"


ALWAYS = AlwaysOpen()
AnyCalendar = Calendar | AlwaysOpen


def _instant(midnight: datetime, minutes: int) -> int:
    """Local midnight plus ``minutes`` of wall time, as UTC milliseconds (the zone
    decides the offset of that wall time: fold 0, the earlier one, when it is
    ambiguous; the offset before the jump when it falls in a gap)."""
    wall = midnight.replace(tzinfo=None) + timedelta(minutes=minutes)
    local = wall.replace(tzinfo=midnight.tzinfo)
    offset = local.utcoffset()
    assert offset is not None
    return round((wall - offset).replace(tzinfo=UTC).timestamp() * 1000)


def _country_holidays(country: str, subdivision: str | None, year: int) -> Iterable[date]:
    import holidays

    return holidays.country_holidays(country, subdiv=subdivision, years=year).keys()


# -- from the configuration ------------------------------------------------------------

_INTERVAL = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_DATE_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.\.(\d{4}-\d{2}-\d{2}))?$")
CALENDAR_KEYS = {"timezone", "hours", "holidays", "country", "subdivision", "local_today"}


def calendar_from_table(name: str, table: Any) -> Calendar:
    """A calendar from its TOML table ``[calendars.NAME]``, naming the first bad key."""
    where = f"calendars.{name}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table ([{where}])")
    for key in table:
        if key not in CALENDAR_KEYS:
            allowed = ", ".join(sorted(CALENDAR_KEYS))
            raise ConfigError(f"{where}.{key}: unknown key; allowed here: {allowed}")
    timezone = table.get("timezone")
    if not isinstance(timezone, str):
        raise ConfigError(f"{where}.timezone: required, an IANA name such as 'Europe/Berlin'")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{where}.timezone: unknown timezone {timezone!r}; use an IANA name such as "
            "'Europe/Berlin' or 'America/New_York'"
        ) from None
    week = _week(table.get("hours"), f"{where}.hours")
    holidays = _holidays(table.get("holidays", []), f"{where}.holidays")
    country, subdivision = table.get("country"), table.get("subdivision")
    for key, value in (("country", country), ("subdivision", subdivision)):
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{where}.{key}: must be a string such as 'DE' or 'BE'")
    if subdivision is not None and country is None:
        raise ConfigError(f"{where}.subdivision: needs a country")
    if country is not None:
        try:
            list(_country_holidays(country, subdivision, 2026))
        except NotImplementedError as exc:
            key = "subdivision" if subdivision is not None and "ubdiv" in str(exc) else "country"
            raise ConfigError(f"{where}.{key}: {exc}") from None
    local_today = table.get("local_today", False)
    if not isinstance(local_today, bool):
        raise ConfigError(f"{where}.local_today: must be true or false")
    return Calendar(name, timezone, week, holidays, country, subdivision, local_today)


def _week(raw: Any, where: str) -> tuple[tuple[Interval, ...], ...]:
    if not isinstance(raw, dict):
        raise ConfigError(
            f'{where}: required, a table of weekdays such as mon = ["09:00-12:30", "13:30-17:00"]'
        )
    for key in raw:
        if key not in WEEKDAYS:
            raise ConfigError(f"{where}.{key}: unknown weekday; use {', '.join(WEEKDAYS)}")
    week = tuple(_day(raw.get(day, []), f"{where}.{day}") for day in WEEKDAYS)
    if not any(week):
        raise ConfigError(f"{where}: no working hours on any day")
    return week


def _day(raw: Any, where: str) -> tuple[Interval, ...]:
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise ConfigError(f'{where}: must be a list of "HH:MM-HH:MM" intervals')
    intervals: list[tuple[int, int, str]] = []
    for text in raw:
        match = _INTERVAL.match(text)
        if not match:
            raise ConfigError(f'{where}: {text!r} is not an interval "HH:MM-HH:MM"')
        h1, m1, h2, m2 = map(int, match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 > 23 or m1 > 59 or m2 > 59 or end > 24 * 60:
            raise ConfigError(f"{where}: {text!r} is not a time of day (00:00 to 24:00)")
        if end <= start:
            raise ConfigError(f"{where}: {text!r} ends before it starts")
        intervals.append((start, end, text))
    intervals.sort()
    for (_, end, text), (start, _, other) in pairwise(intervals):
        if start < end:
            raise ConfigError(f"{where}: {text!r} and {other!r} overlap")
    return tuple((start, end) for start, end, _ in intervals)


def _holidays(raw: Any, where: str) -> set[date]:
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise ConfigError(f'{where}: must be a list of dates "YYYY-MM-DD" or "FROM..TO"')
    days: set[date] = set()
    for text in raw:
        match = _DATE_RANGE.match(text)
        try:
            first = date.fromisoformat(match.group(1)) if match else None
            last = date.fromisoformat(match.group(2)) if match and match.group(2) else first
        except ValueError:
            first = last = None
        if first is None or last is None:
            raise ConfigError(f'{where}: {text!r} is not a date "YYYY-MM-DD" or "FROM..TO"')
        if last < first:
            raise ConfigError(f"{where}: {text!r} ends before it starts")
        while first <= last:
            days.add(first)
            first += timedelta(days=1)
    return days
