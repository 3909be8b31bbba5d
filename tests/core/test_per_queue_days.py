"""Per-queue days (issue 12, item 3): a queue on a calendar with ``local_today`` resets
``today`` at that calendar's midnight; every other queue at the top-level timezone's.
Worked out by hand with a New York queue in a UTC centre (New York is UTC−5 in
November): nothing of a queue's today is late, housekeeping keeps each queue's own
day, and the top-level queues are unchanged."""

from __future__ import annotations

from helpers import Kpis, call, cfg, ms

from stream.core.engine import Engine

CONFIG = cfg(
    {
        "timezone": "UTC",
        "calendars": {
            "newyork": {
                "timezone": "America/New_York",
                "hours": {"mon": ["09:00-17:00"]},
                "local_today": True,
            }
        },
        "queues": {"us": {"calendar": "newyork"}},
    }
)

# Sunday 29 Nov 20:00Z (15:00 NY), Mon 30 Nov 03:00Z (Sun 22:00 NY), 06:00Z (01:00 NY).
TIMES = ("2026-11-29T20:00:00Z", "2026-11-30T03:00:00Z", "2026-11-30T06:00:00Z")


def calls(queue: str) -> list[tuple[bytes, str]]:
    lines = []
    for n, t in enumerate(TIMES):
        lines.append((call("queued", t, f"{queue}{n}", queue=queue), t))
    return lines


def engine_at(clock: str, config=CONFIG, late: bool = False) -> Engine:
    """The calls made by ``clock``, each ingested as it happened or (``late``) all of
    them only at ``clock``."""
    engine = Engine(config)
    for queue in ("us", "billing"):
        for line, t in calls(queue):
            if ms(t) <= ms(clock):
                engine.ingest(line, ms(clock if late else t))
    engine.prune(ms(clock))
    return engine


def offered_today(engine: Engine, at: str, queue: str) -> float:
    k = Kpis(engine.families(ms(at)))
    return k("cx_window_contacts", queue=queue, channel="voice", outcome="offered", window="today")


def test_each_queue_counts_today_from_its_own_midnight():
    engine = engine_at("2026-11-30T07:00:00Z")
    assert offered_today(engine, "2026-11-30T07:00:00Z", "billing") == 2  # since 00:00Z
    assert offered_today(engine, "2026-11-30T07:00:00Z", "us") == 1  # since 05:00Z


def test_before_new_yorks_midnight_its_today_is_still_sunday():
    # 04:00Z Monday is 23:00 Sunday in New York; housekeeping ran at that clock.
    engine = engine_at("2026-11-30T04:00:00Z")
    assert offered_today(engine, "2026-11-30T04:00:00Z", "us") == 2  # 20:00Z and 03:00Z
    assert offered_today(engine, "2026-11-30T04:00:00Z", "billing") == 1  # 03:00Z


def test_nothing_of_a_queues_today_is_late():
    # All three arrive at 04:00Z: the Sunday 20:00Z one is 8 h old but in New York's
    # today, so it is not late (the horizon is the earliest midnight of any queue).
    engine = engine_at("2026-11-30T04:00:00Z", late=True)
    assert offered_today(engine, "2026-11-30T04:00:00Z", "us") == 2
    k = Kpis(engine.families(ms("2026-11-30T04:00:00Z")))
    assert k("cx_events_late_total", topic="cx.calls") in (None, 0)


def test_without_local_today_every_queue_follows_the_top_level_timezone():
    plain = cfg({"timezone": "UTC"})
    engine = engine_at("2026-11-30T07:00:00Z", plain)
    assert offered_today(engine, "2026-11-30T07:00:00Z", "us") == 2
    late = engine_at("2026-11-30T04:00:00Z", plain, late=True)
    k = Kpis(late.families(ms("2026-11-30T04:00:00Z")))
    assert k("cx_events_late_total", topic="cx.calls") == 2  # Sunday's, of both queues
