"""Window membership of SPEC §5: aligned minute buckets and the local ``today``.

Window W at T holds outcomes whose minute floor(t/60 s) > floor(T/60 s) − W: the
current partial minute and the W − 1 minutes before it. ``today`` starts at local
midnight of the configured timezone.
"""

from __future__ import annotations

import pytest
from helpers import BASE_MS, WINDOWS, call, kpis, ms

V = {"queue": "q", "channel": "voice"}


def offers(times: list[str]) -> list[bytes]:
    return [call("queued", t, f"c{i}", queue="q") for i, t in enumerate(sorted(times))]


# T = 10:10:30 → floor(T/60) is minute 10:10.
# 5m holds 10:06..10:10, 15m 09:56..10:10, 1h 09:11..10:10.
EDGE_TIMES = {
    "2024-05-02T09:10:59.999Z": "out of 1h",
    "2024-05-02T09:11:00.000Z": "first minute of 1h",
    "2024-05-02T09:55:59.999Z": "last minute before 15m",
    "2024-05-02T09:56:00.000Z": "first minute of 15m",
    "2024-05-02T10:05:59.999Z": "last minute before 5m",
    "2024-05-02T10:06:00.000Z": "first minute of 5m",
    "2024-05-02T10:10:29.000Z": "current partial minute, before T",
}


def test_minute_window_edges():
    k = kpis(offers(list(EDGE_TIMES)), "2024-05-02T10:10:30Z")
    offered = {w: k.outcomes(w, **V)["offered"] for w in WINDOWS}
    assert offered == {"5m": 2, "15m": 4, "1h": 6, "today": 7}
    assert k("cx_contacts_offered_total", **V) == 7


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        ("2024-05-02T10:05:59.999Z", {"5m": 0, "15m": 1, "1h": 1, "today": 1}),
        ("2024-05-02T10:06:00Z", {"5m": 1, "15m": 1, "1h": 1, "today": 1}),
        ("2024-05-02T09:55:59.999Z", {"5m": 0, "15m": 0, "1h": 1, "today": 1}),
        ("2024-05-02T09:56:00Z", {"5m": 0, "15m": 1, "1h": 1, "today": 1}),
        ("2024-05-02T09:10:59.999Z", {"5m": 0, "15m": 0, "1h": 0, "today": 1}),
        ("2024-05-02T09:11:00Z", {"5m": 0, "15m": 0, "1h": 1, "today": 1}),
        ("2024-05-02T10:10:00Z", {"5m": 1, "15m": 1, "1h": 1, "today": 1}),
        ("2024-05-02T10:10:30Z", {"5m": 1, "15m": 1, "1h": 1, "today": 1}),
    ],
)
def test_single_outcome_window_membership(t, expected):
    # an answered contact: the answer (the outcome) is at t; it waited 1 s
    prior = ms(t) - 1000
    lines = [
        call("queued", (prior - BASE_MS) / 1000, "c1", queue="q"),
        call("answered", t, "c1", agent_id="a"),
    ]
    k = kpis(lines, "2024-05-02T10:10:30Z")
    assert {w: k.outcomes(w, **V)["answered"] for w in WINDOWS} == expected
    asa = k.by_window("cx_average_speed_of_answer_seconds", **V)
    assert asa == {w: pytest.approx(1) for w, n in expected.items() if n}


def test_evaluation_time_on_a_minute_boundary():
    # T = 10:10:00.000 exactly: 5m holds 10:06:00..10:10:59
    times = ["2024-05-02T10:05:59.999Z", "2024-05-02T10:06:00Z", "2024-05-02T10:10:00Z"]
    k = kpis(offers(times), "2024-05-02T10:10:00Z")
    assert k.outcomes("5m", **V)["offered"] == 2
    assert k.outcomes("15m", **V)["offered"] == 3


def test_outcome_is_attributed_to_when_it_happened_not_when_queued():
    # queued at 10:00:00 (outside 5m at T = 10:10:30), abandoned at 10:08:00 (inside)
    lines = [
        call("queued", "2024-05-02T10:00:00Z", "c1", queue="q"),
        call("abandoned", "2024-05-02T10:08:00Z", "c1"),
    ]
    k = kpis(lines, "2024-05-02T10:10:30Z")
    assert k.outcomes("5m", **V) == {
        "offered": 0,
        "answered": 0,
        "abandoned": 1,
        "short_abandoned": 0,
        "answered_within_threshold": 0,
        "transferred": 0,
    }
    assert k.outcomes("15m", **V)["offered"] == 1
    assert k.by_window("cx_abandonment_ratio", **V) == dict.fromkeys(WINDOWS, 1.0)


def test_outcomes_slightly_after_t_count_in_every_window():
    # within the 5-minute clock-skew tolerance: the minute is ahead of T, kept
    times = ["2024-05-02T10:10:20Z", "2024-05-02T10:12:00Z"]
    k = kpis(offers(times), "2024-05-02T10:10:30Z")
    assert {w: k.outcomes(w, **V)["offered"] for w in WINDOWS} == dict.fromkeys(WINDOWS, 2)


# -- today -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "midnight_utc"),
    [
        ("Asia/Kolkata", "2024-05-01T18:30:00Z"),  # 2024-05-02 00:00 IST (+05:30)
        ("America/New_York", "2024-05-02T04:00:00Z"),  # 2024-05-02 00:00 EDT (−04:00)
        ("UTC", "2024-05-02T00:00:00Z"),
    ],
)
def test_today_starts_at_local_midnight(timezone, midnight_utc):
    m = ms(midnight_utc)

    def at(offset_s: float) -> float:  # seconds after BASE for an offset from midnight
        return (m + round(offset_s * 1000) - BASE_MS) / 1000

    lines = [
        call("queued", at(-120), "before", queue="q"),  # 23:58 the day before
        call("abandoned", at(-0.001), "before"),  # 23:59:59.999: not today
        call("queued", at(-30), "after", queue="q"),  # queued yesterday...
        call("abandoned", at(0), "after"),  # ...abandoned at 00:00:00.000: today
        call("queued", at(60), "new", queue="q"),  # 00:01: queued today
    ]
    k = kpis(lines, at(600), {"timezone": timezone})  # T = 00:10 local
    today = k.outcomes("today", **V)
    assert (today["offered"], today["abandoned"]) == (1, 1)
    hour = k.outcomes("1h", **V)
    assert (hour["offered"], hour["abandoned"]) == (3, 2)
    assert k("cx_events_late_total", topic="cx.calls") is None


def test_today_with_a_non_utc_timezone_differs_from_the_utc_day():
    # 2024-05-02 03:00Z is 23:00 EDT on May 1: part of "today" in UTC, not in New York
    lines = [
        call("queued", "2024-05-02T03:00:00Z", "c1", queue="q"),
        call("queued", "2024-05-02T04:00:00Z", "c2", queue="q"),
        call("queued", "2024-05-02T04:50:00Z", "c3", queue="q"),
    ]
    at = "2024-05-02T04:55:00Z"
    assert kpis(lines, at).outcomes("today", **V)["offered"] == 3
    ny = kpis(lines, at, {"timezone": "America/New_York"})
    assert ny.outcomes("today", **V)["offered"] == 2


def test_today_on_a_25_hour_day():
    # New York, 2024-11-03: local midnight 04:00Z, the day ends at 05:00Z on Nov 4
    lines = [
        call("queued", "2024-11-03T04:05:00Z", "c1", queue="q"),
        call("queued", "2024-11-04T04:20:00Z", "c2", queue="q"),
    ]
    k = kpis(lines, "2024-11-04T04:30:00Z", {"timezone": "America/New_York"})
    assert k.outcomes("today", **V)["offered"] == 2
    assert k.outcomes("1h", **V)["offered"] == 1
