"""Ticket KPIs of SPEC §4, values worked out by hand (times in seconds after 10:00:00Z)."""

from __future__ import annotations

import pytest
from helpers import WINDOWS, kpis, ticket

BN = {"queue": "billing", "priority": "normal"}


def reopened_ticket() -> list[bytes]:
    return [
        ticket("created", 0, "t1", queue="billing"),
        ticket("commented", 300, "t1", author="agent", public=False),  # internal note
        ticket("commented", 600, "t1", author="agent"),  # first reply: 600 s
        ticket("commented", 700, "t1", author="customer"),
        ticket("commented", 760, "t1", author="agent"),  # reply: 60 s
        ticket("status_changed", 900, "t1", status="solved"),  # resolution 900 s...
        ticket("status_changed", 1000, "t1", status="open"),  # reopen (10:16:40)
        ticket("commented", 1100, "t1", author="agent"),
        ticket("status_changed", 1200, "t1", status="solved"),  # ...replaced by 1200 s
    ]


def test_ticket_counters():
    k = kpis(reopened_ticket(), 1260)
    assert k("cx_tickets_created_total", **BN) == 1
    assert k("cx_tickets_solved_total", **BN) == 2
    assert k("cx_tickets_reopened_total", **BN) == 1


def test_latest_solve_counts_for_resolution():
    k = kpis(reopened_ticket(), 1260)
    hist = k("cx_ticket_resolution_seconds", **BN)
    assert (hist.count, hist.sum) == (1, pytest.approx(1200))
    assert dict(hist.buckets)[600] == 0
    assert dict(hist.buckets)[1200] == 1
    # T = 10:21 → 5m holds 10:17..10:21 (the second solve); 15m 10:07..10:21 (both)
    average = k.by_window("cx_ticket_resolution_average_seconds", **BN)
    assert average == {w: pytest.approx(1200) for w in WINDOWS}


def test_first_reply_and_reply_times():
    k = kpis(reopened_ticket(), 1260)
    first = k("cx_ticket_first_reply_seconds", **BN)
    assert (first.count, first.sum) == (1, pytest.approx(600))
    reply = k("cx_ticket_reply_seconds", **BN)
    assert (reply.count, reply.sum) == (1, pytest.approx(60))
    # the first reply (10:10) is outside 5m (10:17..10:21), inside 15m
    average = k.by_window("cx_ticket_first_reply_average_seconds", **BN)
    assert average == {w: pytest.approx(600) for w in ("15m", "1h", "today")}


def test_reopen_ratio_by_window():
    # 5m: the second solve only, the reopen (10:16:40) is out → 0/1; 15m: 1 reopen / 2 solves
    k = kpis(reopened_ticket(), 1260)
    assert k.by_window("cx_reopen_ratio", **BN) == {
        "5m": 0.0,
        "15m": 0.5,
        "1h": 0.5,
        "today": 0.5,
    }


@pytest.mark.parametrize("to", ["open", "pending", "on_hold", "new"])
def test_any_open_status_after_solved_or_closed_is_a_reopen(to):
    lines = [
        ticket("created", 0, "t1", queue="billing"),
        ticket("status_changed", 60, "t1", status="solved"),
        ticket("status_changed", 90, "t1", status="closed"),
        ticket("status_changed", 120, "t1", status=to),
        ticket("created", 0, "t2", queue="billing"),
        ticket("status_changed", 60, "t2", status="solved"),
        ticket("status_changed", 120, "t2", status=to),
        ticket("created", 0, "t3", queue="billing"),  # open → pending is no reopen
        ticket("status_changed", 60, "t3", status="open"),
        ticket("status_changed", 120, "t3", status="pending"),
    ]
    k = kpis(lines, 300)
    assert k("cx_tickets_reopened_total", **BN) == 2
    assert k("cx_tickets_solved_total", **BN) == 2
    assert k.by_window("cx_reopen_ratio", **BN) == dict.fromkeys(WINDOWS, 1.0)


HS = {"queue": "support", "priority": "high"}


def solved_tickets() -> list[bytes]:
    return [
        # t1: one public agent comment → one touch
        ticket("created", 0, "t1", queue="support", priority="high"),
        ticket("commented", 60, "t1", author="agent"),
        ticket("status_changed", 120, "t1", status="solved"),
        # t2: solved without any agent comment → one touch (0 ≤ 1)
        ticket("created", 0, "t2", queue="support", priority="high"),
        ticket("status_changed", 100, "t2", status="solved"),
        # t3: three public agent comments (one internal note ignored) → not one touch
        ticket("created", 0, "t3", queue="support", priority="high"),
        ticket("commented", 30, "t3", author="agent"),
        ticket("commented", 40, "t3", author="agent", public=False),
        ticket("commented", 50, "t3", author="customer"),
        ticket("commented", 70, "t3", author="agent"),
        ticket("commented", 90, "t3", author="agent"),
        ticket("status_changed", 130, "t3", status="solved"),
        # t4: still open, its comments do not count for solved tickets
        ticket("created", 0, "t4", queue="support", priority="high"),
        ticket("commented", 20, "t4", author="agent"),
    ]


def test_one_touch_and_replies_per_resolution():
    k = kpis(solved_tickets(), 300)
    assert k.by_window("cx_one_touch_ratio", **HS) == dict.fromkeys(WINDOWS, 2 / 3)
    # (1 + 0 + 3) public agent comments / 3 solved tickets
    assert k.by_window("cx_replies_per_resolution", **HS) == dict.fromkeys(WINDOWS, 4 / 3)
    # first replies: t1 60 s (sent 10:01:00), t3 30 s and t4 20 s (sent in minute 10:00,
    # outside 5m at T = 10:05, which holds 10:01..10:05)
    first = k.by_window("cx_ticket_first_reply_average_seconds", **HS)
    assert first == {
        "5m": pytest.approx(60),
        "15m": pytest.approx(110 / 3),
        "1h": pytest.approx(110 / 3),
        "today": pytest.approx(110 / 3),
    }
    resolution = k.by_window("cx_ticket_resolution_average_seconds", **HS)
    assert resolution == {w: pytest.approx((120 + 100 + 130) / 3) for w in WINDOWS}
    assert k.by_window("cx_reopen_ratio", **HS) == dict.fromkeys(WINDOWS, 0.0)
    # t3: customer comment at 50 s, next public agent comment at 70 s
    reply = k("cx_ticket_reply_seconds", **HS)
    assert (reply.count, reply.sum) == (1, pytest.approx(20))


def test_ticket_ratios_left_out_without_solves():
    lines = [
        ticket("created", 0, "t1", queue="support", priority="high"),
        ticket("status_changed", 10, "t1", status="open"),
    ]
    k = kpis(lines, 300)
    for name in (
        "cx_reopen_ratio",
        "cx_one_touch_ratio",
        "cx_replies_per_resolution",
        "cx_ticket_resolution_average_seconds",
        "cx_ticket_first_reply_average_seconds",
    ):
        assert k.samples(name) == {}, name
    assert k("cx_tickets_created_total", **HS) == 1
    assert k("cx_tickets_solved_total", **HS) == 0


def test_open_tickets_by_status():
    lines = [
        ticket("created", 0, "new1", queue="billing"),  # stays new
        ticket("created", 0, "open1", queue="billing"),
        ticket("status_changed", 10, "open1", status="open"),
        ticket("created", 0, "pend1", queue="billing"),
        ticket("status_changed", 10, "pend1", status="pending"),
        ticket("created", 0, "hold1", queue="billing"),
        ticket("status_changed", 10, "hold1", status="on_hold"),
        ticket("created", 0, "solved1", queue="billing"),
        ticket("status_changed", 10, "solved1", status="solved"),
        ticket("created", 0, "closed1", queue="billing"),
        ticket("status_changed", 10, "closed1", status="solved"),
        ticket("status_changed", 20, "closed1", status="closed"),
        ticket("created", 0, "back1", queue="billing"),  # closed, then reopened
        ticket("status_changed", 10, "back1", status="closed"),
        ticket("status_changed", 20, "back1", status="open"),
        ticket("created", 0, "urgent1", queue="billing", priority="urgent"),
        ticket("commented", 5, "urgent1", author="agent"),  # comments don't change status
    ]
    k = kpis(lines, 300)
    assert {
        s: k("cx_tickets_open", **BN, status=s) for s in ("new", "open", "pending", "on_hold")
    } == {
        "new": 1,
        "open": 2,
        "pending": 1,
        "on_hold": 1,
    }
    urgent = {"queue": "billing", "priority": "urgent"}
    assert {s: k("cx_tickets_open", **urgent, status=s) for s in ("new", "open")} == {
        "new": 1,
        "open": 0,
    }
    assert k("cx_tickets_open", **BN, status="solved") is None
    assert k("cx_tickets_open", **BN, status="closed") is None
    assert k("cx_tickets_created_total", **BN) == 7
    assert k("cx_tickets_reopened_total", **BN) == 1


def test_assignment_to_another_queue_moves_the_backlog():
    lines = [
        ticket("created", 0, "t1", queue="billing"),
        ticket("assigned", 30, "t1", queue="returns", agent_id="a1"),
        ticket("assigned", 40, "t1", agent_id="a2"),  # no queue: stays in returns
        ticket("status_changed", 60, "t1", status="open"),
    ]
    k = kpis(lines, 300)
    assert k("cx_tickets_open", queue="returns", priority="normal", status="open") == 1
    assert k("cx_tickets_open", **BN, status="open") == 0
    assert k("cx_tickets_open", **BN, status="new") == 0


UQ = {"queue": "q", "priority": "urgent"}


def overdue_tickets() -> list[bytes]:
    """Urgent tickets (first-reply target 1 h = 3600 s), evaluated at T = 4000 s."""

    def u(kind, t, key, **data):
        if kind == "created":
            data.update(queue="q", priority="urgent")
        return ticket(kind, t, key, **data)

    return [
        # age 4000 s > 3600 s, but pending 600–2400 s: the clock ran 600 + 1600 = 2200 s
        u("created", 0, "paused"),
        u("status_changed", 600, "paused", status="pending"),
        u("status_changed", 2400, "paused", status="open"),
        # paused 1000–1200 s only: 1000 + 2800 = 3800 s > 3600 s → overdue
        u("created", 0, "resumed"),
        u("status_changed", 1000, "resumed", status="on_hold"),
        u("status_changed", 1200, "resumed", status="open"),
        # on hold since 3000 s: the clock stopped at 3000 s
        u("created", 0, "held"),
        u("status_changed", 3000, "held", status="on_hold"),
        # a public agent reply: never overdue
        u("created", 0, "replied"),
        u("commented", 100, "replied", author="agent"),
        # an internal note or a customer comment is no reply → overdue
        u("created", 0, "noted"),
        u("commented", 100, "noted", author="agent", public=False),
        u("created", 0, "asked"),
        u("commented", 100, "asked", author="customer"),
        # age exactly 3600 s: not past the target
        u("created", 400, "exact"),
        # solved: not open, not overdue
        u("created", 0, "done"),
        u("status_changed", 50, "done", status="solved"),
    ]


def test_first_reply_overdue_pauses_while_pending_or_on_hold():
    k = kpis(overdue_tickets(), 4000)
    assert k("cx_tickets_first_reply_overdue", **UQ) == 3  # resumed, noted, asked


def test_first_reply_overdue_single_cases():
    lines = overdue_tickets()
    by_key = {}
    for line in lines:
        key = line.split(b'"ticket_id":"')[1].split(b'"')[0].decode()
        by_key.setdefault(key, []).append(line)
    expected = {
        "paused": 0,
        "resumed": 1,
        "held": 0,
        "replied": 0,
        "noted": 1,
        "asked": 1,
        "exact": 0,
        "done": 0,
    }
    got = {
        key: kpis(evs, 4000)("cx_tickets_first_reply_overdue", **UQ) for key, evs in by_key.items()
    }
    assert got == expected


def test_first_reply_target_is_configurable():
    k = kpis(overdue_tickets(), 4000, {"tickets": {"first_reply_target_seconds": {"urgent": 3700}}})
    # resumed 3800 s, noted and asked 4000 s; not paused 2200, held 3000, exact 3600
    assert k("cx_tickets_first_reply_overdue", **UQ) == 3
    k = kpis(overdue_tickets(), 4000, {"tickets": {"first_reply_target_seconds": {"urgent": 3900}}})
    assert k("cx_tickets_first_reply_overdue", **UQ) == 2  # noted and asked only
    k = kpis(overdue_tickets(), 4000, {"tickets": {"first_reply_target_seconds": {"urgent": 2000}}})
    # paused 2200, resumed 3800, held 3000, noted/asked 4000, exact 3600 all > 2000
    assert k("cx_tickets_first_reply_overdue", **UQ) == 6


def test_default_targets_per_priority():
    # created 4 h 1 s before T: only urgent (1 h) and high (4 h) are overdue
    lines = [
        ticket("created", 0, f"t-{p}", queue="q", priority=p)
        for p in ("urgent", "high", "normal", "low")
    ]
    k = kpis(lines, 4 * 3600 + 1)
    got = {
        p: k("cx_tickets_first_reply_overdue", queue="q", priority=p)
        for p in ("urgent", "high", "normal", "low")
    }
    assert got == {"urgent": 1, "high": 1, "normal": 0, "low": 0}
