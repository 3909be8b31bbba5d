"""The small parts on their own: curve, arrivals, shifts, scheduler, settings, builder."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from sim_fixtures import DAY_START_MS

from stream.core.errors import ConfigError
from stream.core.timeutil import HOUR_MS, parse_time
from stream.sim import SimSettings, Surge, busiest_queue, iter_timed
from stream.sim.builder import EventBuilder
from stream.sim.curve import SHAPES, DailyCurve, arrival_times
from stream.sim.scheduler import Scheduler
from stream.sim.settings import queue_names, team_names
from stream.sim.workforce import SHIFT_HOURS, night_crew, plan_shift_hours, quarter_starts


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shapes_have_mean_one(name: str) -> None:
    assert sum(SHAPES[name]) / 24 == pytest.approx(1.0)


def test_day_curve_is_quiet_at_night_and_peaks_late_morning() -> None:
    curve = DailyCurve(SHAPES["day"])
    level = {h: curve.level(DAY_START_MS + h * HOUR_MS) for h in range(24)}
    assert level[3] < 0.15 < 1.5 < level[10]
    assert level[12] < level[14]  # lunch dip, then the afternoon peak
    assert curve.level(DAY_START_MS + 10 * HOUR_MS + HOUR_MS // 2) == pytest.approx(curve.shape[10])


def test_curve_follows_the_local_timezone() -> None:
    utc = DailyCurve(SHAPES["day"], "UTC")
    berlin = DailyCurve(SHAPES["day"], "Europe/Berlin")  # UTC+1 in November
    at = parse_time("2026-11-23T09:30:00Z")
    assert berlin.level(at) == pytest.approx(utc.level(at + HOUR_MS))


def test_arrivals_keep_the_mean_rate_over_days() -> None:
    times = arrival_times(random.Random(1), DailyCurve(SHAPES["day"]), 120.0, DAY_START_MS)
    end = DAY_START_MS + 5 * 24 * HOUR_MS
    count = 0
    for t in times:
        if t >= end:
            break
        count += 1
    assert count == pytest.approx(120 * 24 * 5, rel=0.05)


def test_no_arrivals_at_rate_zero() -> None:
    assert list(arrival_times(random.Random(1), DailyCurve(SHAPES["flat"]), 0, 0)) == []


@pytest.mark.parametrize(
    ("agents", "shape"), [(4, "day"), (10, "day"), (40, "day"), (40, "flat"), (150, "day")]
)
def test_shifts_cover_every_hour_and_follow_demand(agents: int, shape: str) -> None:
    starts = plan_shift_hours(SHAPES[shape], agents)
    assert len(starts) == agents and starts == sorted(starts)
    staffed = [sum((h - s) % 24 < SHIFT_HOURS for s in starts) for h in range(24)]
    assert min(staffed) >= night_crew(agents) >= 1
    if shape == "day" and agents >= 10:
        assert staffed[10] > 3 * staffed[3]


def test_scheduler_runs_in_time_order_ties_first_come_and_stops_at_the_end() -> None:
    sched = Scheduler(0, 100)
    ran: list[str] = []
    sched.at(50, lambda: ran.append("b"))
    sched.at(10, lambda: ran.append("a"))
    sched.at(50, lambda: ran.append("c"))
    sched.at(100, lambda: ran.append("never"))

    def process():
        ran.append("p0")
        yield 30
        ran.append(f"p1@{sched.now}")
        return "done"

    sched.spawn(process(), done=ran.append, delay_ms=20)
    while sched.step():
        pass
    assert ran == ["a", "p0", "b", "c", "p1@50", "done"]


def test_settings_refuse_nonsense() -> None:
    base = SimSettings()
    for change in (
        {"queues": 0},
        {"agents": 0},
        {"contacts_per_hour": -1.0},
        {"duration_s": -5},
        {"channels": ("fax",)},
        {"curve": "weekly"},
        {"invalid": 1.5},
        {"chat_share": -0.1},
    ):
        with pytest.raises(ConfigError):
            replace(base, **change)


def test_names_for_any_count() -> None:
    assert queue_names(4) == ("billing", "tech-support", "sales", "vip")
    many = queue_names(30)
    assert len(set(many)) == 30 and many[-1] == "queue-30"
    assert team_names(40) == ("aurora", "borealis", "cascade", "delta")
    assert len(set(team_names(1000))) == 100


def test_builder_makes_a_cloudevent_keyed_by_its_entity() -> None:
    record = EventBuilder(random.Random(3)).build(
        "ticket.created", DAY_START_MS, {"ticket_id": "t-1", "queue": "billing"}
    )
    assert record.topic == "cx.tickets" and record.key == "t-1"
    event = record.value
    assert event["time"] == "2026-11-23T00:00:00.000Z"
    assert event["source"] == "/sim/helpdesk" and len(event["id"]) == 36


def test_flat_demand_gets_staggered_starts_not_three_cohorts() -> None:
    # Three cohorts of 100 would take their lunch together and empty the floor.
    starts = plan_shift_hours(SHAPES["flat"], 300)
    per_hour = [starts.count(h) for h in range(24)]
    assert max(per_hour) - min(per_hour) <= 1
    staffed = [sum((h - s) % 24 < SHIFT_HOURS for s in starts) for h in range(24)]
    assert max(staffed) - min(staffed) <= 1


@pytest.mark.parametrize("agents", [300, 40, 5])
def test_a_flat_days_shift_starts_spread_over_each_hours_quarters(agents: int) -> None:
    # A whole hour's cohort starting together leaves a gap every hour between the
    # previous cohort's end (its last contacts wrapped up) and the next one's start.
    starts = plan_shift_hours(SHAPES["flat"], agents)
    spread = quarter_starts(starts)
    for hour in set(starts):
        minutes = [spread[i] for i, s in enumerate(starts) if s == hour]
        assert set(minutes) <= {0, 15, 30, 45} and minutes == sorted(minutes)
        per_quarter = [minutes.count(m) for m in (0, 15, 30, 45)]
        assert max(per_quarter) - min(per_quarter) <= 1 or len(minutes) < 4


def test_a_surge_adds_calls_to_the_busiest_queue_in_its_window_only() -> None:
    start = 1_764_000_000_000 - 1_764_000_000_000 % 3_600_000
    base = SimSettings(queues=4, agents=120, contacts_per_hour=400, duration_s=3600, curve="flat")
    surged = replace(base, surge=Surge(after_s=1200, duration_s=600, times=3.0))
    queue = busiest_queue(base)

    def queued(settings: SimSettings, begin_s: int, end_s: int) -> int:
        return sum(
            1
            for at, record in iter_timed(settings, start)
            if begin_s * 1000 <= at - start < end_s * 1000
            and isinstance(record.value, dict)
            and record.value["type"].endswith(".queued")
            and record.value["data"]["queue"] == queue
        )

    before, during = queued(base, 1200, 1800), queued(surged, 1200, 1800)
    assert during > 2.5 * before  # 3x its own rate on top of it: about 4x in all
    assert queued(base, 0, 1200) == queued(surged, 0, 1200)  # nothing changes before it
