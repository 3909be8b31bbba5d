"""Business-hours calendars: hand-computed business time and deadlines (weekends,
holidays, split shifts, both DST nights in Berlin and New York), the properties that
must hold for any calendar, and start-up errors that name the bad key."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stream.core.calendars import ALWAYS, MAX_YEARS_AHEAD, Calendar, calendar_from_table
from stream.core.config import config_from_dict
from stream.core.errors import ConfigError
from stream.core.timeutil import format_time, parse_time

H = 3_600_000
MINUTE = 60_000


def at(text: str) -> int:
    return parse_time(text)


def office(timezone: str = "Europe/Berlin", **table) -> Calendar:
    """Mon–Fri 09:00–17:00 unless ``hours`` says otherwise."""
    hours = table.pop(
        "hours", {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    )
    return calendar_from_table("office", {"timezone": timezone, "hours": hours, **table})


# -- hand-computed business time ---------------------------------------------------------


def test_a_weekend_does_not_count():
    # Friday 2026-11-27 16:00 → Monday 10:00 (Berlin, UTC+1): Fri 16–17 and Mon 9–10.
    cal = office()
    assert (
        cal.business_ms(at("2026-11-27T16:00:00+01:00"), at("2026-11-30T10:00:00+01:00")) == 2 * H
    )


def test_explicit_holidays_and_ranges_do_not_count():
    cal = office(holidays=["2026-12-25", "2026-12-28..2026-12-31"])
    # Thu 24th 16:00 → Mon 4 Jan 10:00: Thu 1 h; Fri 25 holiday; 28–31 a closed range;
    # Fri 1 Jan 2027 is an ordinary working day here (no country holidays): 8 h; Mon 1 h.
    start, end = at("2026-12-24T16:00:00+01:00"), at("2027-01-04T10:00:00+01:00")
    assert cal.business_ms(start, end) == (1 + 8 + 1) * H


def test_country_and_region_holidays_come_from_the_holidays_package():
    cal = office(country="DE", subdivision="BE")
    # Friday 1 May 2026 is Labour Day: Thu 30 Apr 16:00 → Mon 4 May 10:00 is 2 h.
    assert (
        cal.business_ms(at("2026-04-30T16:00:00+02:00"), at("2026-05-04T10:00:00+02:00")) == 2 * H
    )
    # 8 March (International Women's Day) is a holiday in Berlin only.
    berlin, bavaria = cal, office(country="DE", subdivision="BY")
    day = (at("2027-03-08T00:00:00+01:00"), at("2027-03-09T00:00:00+01:00"))  # a Monday
    assert berlin.business_ms(*day) == 0
    assert bavaria.business_ms(*day) == 8 * H


def test_split_shifts_and_a_lunch_break():
    cal = office(hours={"mon": ["13:00-17:00", "08:00-12:00"]})  # any order
    assert (
        cal.business_ms(at("2026-11-30T11:00:00+01:00"), at("2026-11-30T14:00:00+01:00")) == 2 * H
    )
    assert not cal.is_open(at("2026-11-30T12:30:00+01:00"))
    assert cal.is_open(at("2026-11-30T13:00:00+01:00"))


def test_time_before_opening_does_not_count():
    cal = office()
    assert cal.business_ms(at("2026-11-30T07:00:00+01:00"), at("2026-11-30T10:00:00+01:00")) == H


@pytest.mark.parametrize(
    ("timezone", "spring", "autumn"),
    [
        ("Europe/Berlin", "2026-03-29", "2026-10-25"),  # clocks change at 02:00/03:00 local
        ("America/New_York", "2026-03-08", "2026-11-01"),  # at 02:00 local
    ],
)
def test_an_interval_across_a_dst_change_is_as_long_as_it_really_is(timezone, spring, autumn):
    cal = office(timezone, hours={"sun": ["01:00-04:00"]})

    def sunday(day: str) -> int:
        start = parse_time(f"{day}T00:00:00Z") - 12 * H
        return cal.business_ms(start, start + 48 * H)

    assert sunday(spring) == 2 * H  # an hour of the night never happens
    assert sunday(autumn) == 4 * H  # an hour of the night happens twice
    assert sunday("2026-06-07") == 3 * H


@pytest.mark.parametrize(
    ("timezone", "friday", "monday"),
    [
        ("Europe/Berlin", "2026-03-27T16:00:00+01:00", "2026-03-30T10:00:00+02:00"),
        ("Europe/Berlin", "2026-10-23T16:00:00+02:00", "2026-10-26T10:00:00+01:00"),
        ("America/New_York", "2026-03-06T16:00:00-05:00", "2026-03-09T10:00:00-04:00"),
        ("America/New_York", "2026-10-30T16:00:00-04:00", "2026-11-02T10:00:00-05:00"),
    ],
)
def test_a_weekend_with_a_dst_change_is_still_two_working_hours(timezone, friday, monday):
    cal = office(timezone)
    start, end = at(friday), at(monday)
    assert end - start != 66 * H  # the weekend is 65 or 67 hours long
    assert cal.business_ms(start, end) == 2 * H


def test_a_year_boundary_and_a_span_of_years():
    cal = office()
    # Thu 31 Dec 2026 16:00 → Fri 1 Jan 2027 10:00: 1 h + 1 h.
    assert (
        cal.business_ms(at("2026-12-31T16:00:00+01:00"), at("2027-01-01T10:00:00+01:00")) == 2 * H
    )
    two_years = cal.business_ms(at("2026-01-01T00:00:00+01:00"), at("2028-01-01T00:00:00+01:00"))
    assert two_years == (261 + 261) * 8 * H  # working days in 2026 and 2027


# -- deadlines ---------------------------------------------------------------------------


def test_a_deadline_is_inside_working_hours():
    cal = office()
    due = cal.deadline(at("2026-11-27T16:00:00+01:00"), 3 * H)  # Fri 16:00 + 3 h
    assert format_time(due) == "2026-11-30T10:00:00.000Z"  # Fri 16–17, then Mon 09–11 Berlin


def test_a_clock_that_reaches_its_target_at_closing_exceeds_it_at_the_next_opening():
    cal = office()
    due = cal.deadline(at("2026-11-30T09:00:00+01:00"), 8 * H)  # exactly Monday's hours
    assert due == at("2026-12-01T09:00:00+01:00")  # Tuesday's opening, not Monday 17:00


def test_a_deadline_from_closed_time_starts_at_the_opening():
    cal = office()
    assert cal.deadline(at("2026-11-28T12:00:00+01:00"), 0) == at("2026-11-30T09:00:00+01:00")
    assert cal.deadline(at("2026-11-28T12:00:00+01:00"), 30 * MINUTE) == at(
        "2026-11-30T09:30:00+01:00"
    )


def test_the_always_open_calendar_is_calendar_time():
    assert ALWAYS.business_ms(1_000, 5_000) == 4_000
    assert ALWAYS.business_ms(5_000, 1_000) == 0
    assert ALWAYS.deadline(1_000, 500) == 1_500
    assert ALWAYS.is_open(0)


# -- properties --------------------------------------------------------------------------

SPAN_START = at("2025-06-01T00:00:00Z")
SPAN_MS = 3 * 365 * 24 * H
SPAN_START_DATE, SPAN_END_DATE = date(2025, 6, 1), date(2028, 5, 31)


@st.composite
def calendars(draw) -> Calendar:
    timezone = draw(st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"]))
    hours = {}
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        cuts = sorted(draw(st.sets(st.integers(0, 96), max_size=6)))
        cuts = cuts[: len(cuts) // 2 * 2]
        spans = [
            f"{a * 15 // 60:02d}:{a * 15 % 60:02d}-{b * 15 // 60:02d}:{b * 15 % 60:02d}"
            for a, b in zip(cuts[::2], cuts[1::2], strict=True)
        ]
        if spans:
            hours[day] = spans
    if not hours:
        hours["wed"] = ["10:00-11:00"]
    holidays = draw(
        st.lists(st.dates(min_value=SPAN_START_DATE, max_value=SPAN_END_DATE), max_size=5)
    )
    return calendar_from_table(
        "random",
        {"timezone": timezone, "hours": hours, "holidays": [d.isoformat() for d in holidays]},
    )


instants = st.integers(SPAN_START, SPAN_START + SPAN_MS)


@settings(max_examples=150, deadline=None)
@given(calendars(), st.lists(instants, min_size=3, max_size=3))
def test_business_time_never_exceeds_calendar_time_and_adds_up(cal, times):
    a, b, c = sorted(times)
    assert 0 <= cal.business_ms(a, c) <= c - a
    assert cal.business_ms(a, c) == cal.business_ms(a, b) + cal.business_ms(b, c)


@settings(max_examples=100, deadline=None)
@given(calendars(), instants, st.integers(0, 10**7))
def test_business_time_is_zero_over_a_closed_interval(cal, start, offset):
    year = cal.year(int(format_time(start)[:4]))
    if len(year.starts) < 2:
        return
    i = offset % (len(year.starts) - 1)
    gap_start, gap_end = year.ends[i], year.starts[i + 1]
    assert cal.business_ms(gap_start, gap_end) == 0
    assert not cal.is_open(gap_start) or gap_start == gap_end


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, st.integers(0, 400 * H))
def test_a_deadline_is_where_the_clock_passes_its_amount(cal, start, amount):
    due = cal.deadline(start, amount)
    if due is None:  # a calendar of a few hours a week: not within the years searched
        first = datetime.fromtimestamp(start / 1000, cal.zone).year
        searched = datetime(first + MAX_YEARS_AHEAD + 1, 1, 1, tzinfo=cal.zone)
        assert cal.business_ms(start, int(searched.timestamp() * 1000)) <= amount
        return
    assert due >= start
    assert cal.business_ms(start, due) == amount
    assert cal.business_ms(start, due + 1) == amount + 1  # it runs on at once: open


# -- configuration -----------------------------------------------------------------------


def config(calendar: dict, queues: dict | None = None):
    table = {"timezone": "Europe/Berlin", "hours": {"mon": ["09:00-17:00"]}, **calendar}
    return config_from_dict({"calendars": {"berlin": table}, "queues": queues or {}})


def test_queues_get_their_calendar_then_the_default_then_24_7():
    two = config_from_dict(
        {
            "calendars": {
                "default": {"timezone": "UTC", "hours": {"mon": ["09:00-17:00"]}},
                "berlin": {"timezone": "Europe/Berlin", "hours": {"tue": ["09:00-17:00"]}},
            },
            "queues": {"billing": {"calendar": "berlin", "service_level_target": 0.9}},
        }
    )
    assert two.calendar_of("billing").name == "berlin"
    assert two.policy("billing").service_level_target == 0.9
    assert two.calendar_of("sales").name == "default"
    assert config({}).calendar_of("sales") is ALWAYS
    assert config_from_dict({}).calendar_of("sales") is ALWAYS


@pytest.mark.parametrize(
    ("calendar", "queues", "message"),
    [
        (
            {"hours": {"mon": ["09:00-12:00", "11:00-13:00"]}},
            None,
            "calendars.berlin.hours.mon: '09:00-12:00' and '11:00-13:00' overlap",
        ),
        (
            {"hours": {"mon": ["17:00-09:00"]}},
            None,
            "calendars.berlin.hours.mon: '17:00-09:00' ends before it starts",
        ),
        (
            {"hours": {"mon": ["9-17"]}},
            None,
            "calendars.berlin.hours.mon: '9-17' is not an interval",
        ),
        (
            {"hours": {"mon": ["09:00-24:30"]}},
            None,
            "calendars.berlin.hours.mon: '09:00-24:30' is not a time of day",
        ),
        (
            {"hours": {"monday": ["09:00-17:00"]}},
            None,
            "calendars.berlin.hours.monday: unknown weekday",
        ),
        ({"hours": {}}, None, "calendars.berlin.hours: no working hours on any day"),
        (
            {"timezone": "Mars/Olympus"},
            None,
            "calendars.berlin.timezone: unknown timezone 'Mars/Olympus'",
        ),
        ({"country": "XX"}, None, "calendars.berlin.country:"),
        ({"country": "DE", "subdivision": "ZZ"}, None, "calendars.berlin.subdivision:"),
        ({"subdivision": "BE"}, None, "calendars.berlin.subdivision: needs a country"),
        (
            {"holidays": ["2026-12-31..2026-12-24"]},
            None,
            "calendars.berlin.holidays: '2026-12-31..2026-12-24' ends before it starts",
        ),
        (
            {"holidays": ["24.12.2026"]},
            None,
            "calendars.berlin.holidays: '24.12.2026' is not a date",
        ),
        ({"weekends": "off"}, None, "calendars.berlin.weekends: unknown key"),
        ({"local_today": "yes"}, None, "calendars.berlin.local_today: must be true or false"),
        (
            {},
            {"billing": {"calendar": "paris"}},
            "queues.billing.calendar: unknown calendar 'paris'; the calendars: berlin",
        ),
    ],
)
def test_a_bad_calendar_fails_at_start_naming_the_key(calendar, queues, message):
    with pytest.raises(ConfigError) as caught:
        config(calendar, queues)
    assert str(caught.value).startswith(message), str(caught.value)
