"""Ticket clocks in business hours, worked out by hand: a Friday-evening ticket does not
go overdue over the weekend, a pause across a closed night, a ticket moved from a
Berlin queue to a New York queue, and no calendar = calendar time as before."""

from __future__ import annotations

import pytest
from helpers import kpis, ticket

H = 3600
WEEKDAYS_9_TO_5 = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
CONFIG = {
    "calendars": {
        "berlin": {"timezone": "Europe/Berlin", "hours": WEEKDAYS_9_TO_5},
        "newyork": {"timezone": "America/New_York", "hours": WEEKDAYS_9_TO_5},
    },
    "queues": {"billing": {"calendar": "berlin"}, "us": {"calendar": "newyork"}},
}
BU = {"queue": "billing", "priority": "urgent"}  # urgent: first reply within 1 h
US = {"queue": "us", "priority": "urgent"}

# Friday 27 and Monday 30 November 2026; Berlin is UTC+1, New York UTC−5.
FRIDAY_EVENING = [
    ticket("created", "2026-11-27T16:30:00+01:00", "t1", queue="billing", priority="urgent")
]


def overdue(lines, at: str, config=CONFIG, **labels) -> float:
    return kpis(lines, at, config)("cx_tickets_first_reply_overdue", **(labels or BU))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-11-27T16:59:00+01:00", 0),  # 29 of its 60 minutes used
        ("2026-11-27T18:00:00+01:00", 0),  # closed: the clock stands at 30 min
        ("2026-11-28T12:00:00+01:00", 0),  # Saturday
        ("2026-11-30T09:00:00+01:00", 0),  # Monday's opening: nothing pages at 09:00
        ("2026-11-30T09:29:00+01:00", 0),
        ("2026-11-30T09:31:00+01:00", 1),  # 30 + 31 minutes of business time
    ],
)
def test_a_friday_evening_ticket_is_overdue_on_monday_morning_only(at, expected):
    assert overdue(FRIDAY_EVENING, at) == expected


def test_without_a_calendar_the_clock_runs_round_the_clock():
    assert overdue(FRIDAY_EVENING, "2026-11-27T18:00:00+01:00", config={}) == 1


PAUSED_OVER_THE_WEEKEND = [
    ticket("created", "2026-11-27T16:00:00+01:00", "t2", queue="billing", priority="urgent"),
    ticket("status_changed", "2026-11-27T16:30:00+01:00", "t2", status="pending"),
    ticket("status_changed", "2026-11-30T08:00:00+01:00", "t2", status="open"),  # before 09:00
    ticket("commented", "2026-11-30T10:00:00+01:00", "t2", author="agent"),
]


def test_a_pause_and_a_closed_weekend_both_stop_the_clock():
    # Clock: Fri 16:00–16:30 (30 min), paused, running again from Mon 08:00 but closed
    # until 09:00, so the hour is used up at 09:30.
    assert overdue(PAUSED_OVER_THE_WEEKEND[:3], "2026-11-30T09:29:00+01:00") == 0
    assert overdue(PAUSED_OVER_THE_WEEKEND[:3], "2026-11-30T09:31:00+01:00") == 1


def test_first_reply_in_business_and_in_calendar_time():
    k = kpis(PAUSED_OVER_THE_WEEKEND, "2026-11-30T10:05:00+01:00", CONFIG)
    # Business: Fri 16–17 and Mon 09–10 (pauses count for the clock, not the duration).
    business = k("cx_ticket_first_reply_business_seconds", **BU)
    assert (business.count, business.sum) == (1, pytest.approx(2 * H))
    calendar = k("cx_ticket_first_reply_seconds", **BU)
    assert calendar.sum == pytest.approx(66 * H)
    average = k.by_window("cx_ticket_first_reply_business_average_seconds", **BU)
    assert average["today"] == pytest.approx(2 * H)
    assert k("cx_tickets_first_reply_overdue", **BU) == 0  # replied


MOVED_TO_NEW_YORK = [
    # Mon 16:00 Berlin (15:00Z) in billing; moved at 16:30 Berlin = 10:30 New York.
    ticket("created", "2026-11-30T15:00:00Z", "t3", queue="billing", priority="urgent"),
    ticket("assigned", "2026-11-30T15:30:00Z", "t3", queue="us"),
    ticket("commented", "2026-11-30T17:30:00Z", "t3", author="agent"),  # 12:30 New York
    ticket("status_changed", "2026-11-30T18:00:00Z", "t3", status="solved"),  # 13:00
]


def test_a_moved_ticket_is_timed_on_each_queues_calendar_for_its_part():
    # The clock: 30 min in Berlin, then New York's hours from 10:30: due at 11:00 NY.
    assert overdue(MOVED_TO_NEW_YORK[:2], "2026-11-30T15:59:00Z", **US) == 0
    assert overdue(MOVED_TO_NEW_YORK[:2], "2026-11-30T16:01:00Z", **US) == 1
    # Had it stayed in billing, Berlin closed at 17:00 (16:00Z) with 60 min used.
    stayed = MOVED_TO_NEW_YORK[:1]
    assert overdue(stayed, "2026-11-30T16:01:00Z") == 0
    k = kpis(MOVED_TO_NEW_YORK, "2026-11-30T18:05:00Z", CONFIG)
    first_reply = k("cx_ticket_first_reply_business_seconds", **US)
    assert first_reply.sum == pytest.approx(0.5 * H + 2 * H)  # 30 min Berlin, 2 h NY
    resolution = k("cx_ticket_resolution_business_seconds", **US)
    assert resolution.sum == pytest.approx(0.5 * H + 2.5 * H)


def test_a_resolve_replaces_the_business_resolution_too():
    lines = [
        *MOVED_TO_NEW_YORK,
        ticket("status_changed", "2026-11-30T18:10:00Z", "t3", status="open"),
        ticket("status_changed", "2026-11-30T19:00:00Z", "t3", status="solved"),  # 14:00 NY
    ]
    k = kpis(lines, "2026-11-30T19:05:00Z", CONFIG)
    resolution = k("cx_ticket_resolution_business_seconds", **US)
    assert (resolution.count, resolution.sum) == (1, pytest.approx(0.5 * H + 3.5 * H))


def test_without_a_calendar_business_time_is_calendar_time():
    k = kpis(MOVED_TO_NEW_YORK, "2026-11-30T18:05:00Z", {})
    for kind in ("first_reply", "resolution"):
        business = k(f"cx_ticket_{kind}_business_seconds", **US)
        calendar = k(f"cx_ticket_{kind}_seconds", **US)
        assert (business.count, business.sum) == (calendar.count, calendar.sum)


def first_reply_business_hours(calendar: dict, created: str, replied: str) -> float:
    config = {"calendars": {"default": calendar}}
    lines = [
        ticket("created", created, "t9", queue="billing", priority="normal"),
        ticket("commented", replied, "t9", author="agent"),
    ]
    k = kpis(lines, replied, config)
    return k("cx_ticket_first_reply_business_seconds", queue="billing", priority="normal").sum / H


def test_a_ticket_across_a_public_holiday():
    # Labour Day, Friday 1 May 2026 in Berlin; then the weekend: Thu 16–17 and Mon 9–10.
    berlin = {"timezone": "Europe/Berlin", "hours": WEEKDAYS_9_TO_5, "country": "DE"}
    hours = first_reply_business_hours(
        {**berlin, "subdivision": "BE"}, "2026-04-30T16:00:00+02:00", "2026-05-04T10:00:00+02:00"
    )
    assert hours == pytest.approx(2)


@pytest.mark.parametrize(
    ("timezone", "saturday", "monday", "expected"),
    [
        # Night shifts 01:00–04:00: Saturday's 3 h, then Sunday's, which is 2 h when the
        # clocks spring forward and 4 h when they fall back.
        ("Europe/Berlin", "2026-03-28T00:00:00+01:00", "2026-03-30T00:00:00+02:00", 5),
        ("Europe/Berlin", "2026-10-24T00:00:00+02:00", "2026-10-26T00:00:00+01:00", 7),
        ("America/New_York", "2026-03-07T00:00:00-05:00", "2026-03-09T00:00:00-04:00", 5),
        ("America/New_York", "2026-10-31T00:00:00-04:00", "2026-11-02T00:00:00-05:00", 7),
    ],
)
def test_a_ticket_across_a_dst_night(timezone, saturday, monday, expected):
    nights = {day: ["01:00-04:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    calendar = {"timezone": timezone, "hours": nights}
    assert first_reply_business_hours(calendar, saturday, monday) == pytest.approx(expected)
