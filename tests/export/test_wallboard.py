"""What the built-in wallboard shows (/api/wallboard), worked out by hand: tiles with
sample sizes, thin samples, breaches by the configured targets, totals and tickets.
(tests/export/test_wallboard_browser.py renders the page in Chromium.)"""

from __future__ import annotations

from helpers import agent, call, ms, survey, ticket

from stream.core.replay import replay
from stream.export.wallboard import WALLBOARD_PAGE, merge_wallboards, wallboard_data

LINES = [
    # sales: one answered in 5 s (within 20 s), one waiting since 25 s.
    call("queued", 0, "c1", queue="sales"),
    call("answered", 5, "c1", agent_id="a1"),
    call("queued", 25, "c2", queue="sales"),
    # support: one answered after 60 s: a service level of 0 %.
    call("queued", 0, "c3", queue="support"),
    call("answered", 60, "c3", agent_id="a2"),
    # two CSAT answers for sales, both 5: 100 %, from two.
    survey("sent", 10, "s1", kind="csat", queue="sales", channel="voice"),
    survey("responded", 20, "s1", kind="csat", score=5),
    survey("sent", 10, "s2", kind="csat", queue="sales", channel="voice"),
    survey("responded", 30, "s2", kind="csat", score=5),
    agent(0, "a7", "available", queues=["sales"]),
    ticket("created", 0, "t1", queue="sales", priority="urgent"),
]


def shown(at: float = 120, min_sample: int = 10) -> dict:
    return wallboard_data(replay(LINES, at_ms=ms(at)).families(), ms(at), min_sample)


def tile(data: dict, queue: str) -> dict:
    return next(t for t in data["tiles"] if t["queue"] == queue)


def test_a_tile_per_queue_and_channel_busiest_first():
    data = shown()
    assert [(t["queue"], t["channel"]) for t in data["tiles"]] == [
        ("sales", "voice"),
        ("support", "voice"),
    ]
    sales = tile(data, "sales")
    assert sales["waiting"] == 1
    assert sales["longest_wait_s"] == 95
    assert (sales["offered_today"], sales["answered_today"]) == (2, 1)
    assert sales["agents"]["available"] == 1
    assert sales["targets"] == {"service_level": 0.8, "abandonment": 0.05, "threshold_s": 20}


def test_every_ratio_carries_its_sample_size_and_thin_ones_say_so():
    sales = tile(shown(), "sales")
    assert sales["service_level"]["15m"] == {"value": 1.0, "n": 1, "thin": True}
    assert sales["speed_of_answer"]["15m"] == {"value": 5.0, "n": 1, "thin": True}
    assert sales["csat"]["today"] == {"value": 1.0, "n": 2, "thin": True}  # not "100 %" alone
    assert tile(shown(min_sample=1), "sales")["csat"]["today"]["thin"] is False


def test_breaches_follow_the_configured_targets_on_thick_samples_only():
    data = shown()
    assert tile(data, "sales")["state"] == "breach"  # 95 s > 3 × 20 s
    assert tile(data, "sales")["reasons"] == ["longest wait past 3 × the threshold"]
    assert tile(data, "support")["state"] == "ok"  # 0 % service level, but from one contact
    support = tile(shown(min_sample=1), "support")
    assert support["state"] == "breach"
    assert support["reasons"] == ["service level 15m below target"]
    assert tile(shown(at=50), "sales")["state"] == "warn"  # 25 s: past 20 s, not 60 s


def test_totals_and_tickets():
    data = shown()
    totals = data["totals"]
    assert (totals["waiting"], totals["offered_today"], totals["answered_today"]) == (1, 3, 2)
    assert totals["service_level_today"] == {"value": 0.5, "n": 2, "thin": True}
    assert totals["breaches"] == 1
    assert data["tickets"]["open_by_status"]["new"] == 1
    assert data["tickets"]["first_reply_overdue_by_priority"]["urgent"] == 0
    assert data["titles"]["service_level"] == "Service level"


def test_an_empty_center_and_the_page_itself():
    empty = wallboard_data([], ms(0))
    assert empty["tiles"] == [] and empty["totals"]["waiting"] == 0
    assert b'fetch("api/wallboard"' in WALLBOARD_PAGE
    for outside in (b'src="http', b'href="http', b"url(http", b'fetch("http', b"@import"):
        assert outside not in WALLBOARD_PAGE  # nothing is fetched from the internet


def test_boards_of_workers_owning_other_queues_merge_into_the_centers():
    support = [line for line in LINES if b'"c3"' in line]  # the support queue's one call
    sales = [line for line in LINES if line not in support]
    at = ms(120)

    def board(lines: list[bytes]) -> dict:
        return wallboard_data(replay(lines, at_ms=at).families(), at)

    merged = merge_wallboards([board(sales), board(support)])
    whole = board(sales + support)
    assert {(t["queue"], t["channel"]) for t in board(sales)["tiles"]} == {("sales", "voice")}
    assert merged == whole


def test_the_sparkline_is_the_service_level_of_each_minute_of_the_last_hour():
    # 10:00 one answered in 5 s (met); 10:01 one answered after 60 s (missed); the
    # abandon at 10:02 after 5 s is short, so that minute counts nobody.
    lines = [
        call("queued", 0, "k1", queue="sales"),
        call("answered", 5, "k1", agent_id="a1"),
        call("queued", 20, "k2", queue="sales"),
        call("answered", 80, "k2", agent_id="a1"),
        call("queued", 120, "k3", queue="sales"),
        call("abandoned", 125, "k3"),
    ]
    engine = replay(lines, at_ms=ms(150)).engine
    line = engine.sparklines(ms(150))[("sales", "voice")]
    assert len(line) == 60
    assert line[-3:] == [1.0, 0.0, None] and line[:-3] == [None] * 57
    data = wallboard_data(engine.families(ms(150)), ms(150), sparklines=engine.sparklines(ms(150)))
    assert tile(data, "sales")["sparkline"] == line
