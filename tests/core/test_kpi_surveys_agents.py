"""Survey (CSAT, NPS, CES, ESAT, response ratio) and agent (states, occupancy) KPIs."""

from __future__ import annotations

import pytest
from helpers import WINDOWS, agent, call, kpis, survey
from hypothesis import given
from hypothesis import strategies as st

from stream.core.evaluate import _SinceSpans

SV = {"queue": "sales", "channel": "voice"}


def answered(kind: str, scores: list[int], *, queue="sales", channel="voice", team=None):
    """One survey per score: sent at 60 s (with its labels), answered at 120 s (without)."""
    lines = []
    for i, score in enumerate(scores):
        key = f"{kind}-{queue}-{team}-{i}"
        labels = {"queue": queue, "channel": channel}
        if team:
            labels = {"team": team}
        lines.append(survey("sent", 60, key, kind=kind, **labels))
        lines.append(survey("responded", 120, key, kind=kind, score=score))
    return lines


@pytest.mark.parametrize(
    ("scores", "ratio"),
    [([4], 1.0), ([5], 1.0), ([3], 0.0), ([1], 0.0), ([1, 2, 3, 4, 5], 2 / 5), ([3, 4], 0.5)],
)
def test_csat_ratio(scores, ratio):
    k = kpis(answered("csat", scores), 300)
    assert k.by_window("cx_csat_ratio", **SV) == dict.fromkeys(WINDOWS, ratio)


@pytest.mark.parametrize(
    ("scores", "nps"),
    [
        ([9, 10, 9], 100.0),  # all promoters
        ([0, 6, 3], -100.0),  # all detractors
        ([6], -100.0),  # 6 is a detractor
        ([7, 8], 0.0),  # passives only
        ([6, 7, 8, 9], 0.0),
        ([6, 9, 9, 10, 0], 20.0),  # (3 − 2) / 5
        ([10, 7, 7, 7], 25.0),
    ],
)
def test_nps_score(scores, nps):
    k = kpis(answered("nps", scores), 300)
    assert k.by_window("cx_nps_score", **SV) == {w: pytest.approx(nps) for w in WINDOWS}


@pytest.mark.parametrize(("scores", "mean"), [([1, 7, 4], 4.0), ([7, 7, 6], 20 / 3), ([1], 1.0)])
def test_ces_average(scores, mean):
    k = kpis(answered("ces", scores), 300)
    assert k.by_window("cx_ces_average", **SV) == {w: pytest.approx(mean) for w in WINDOWS}


def test_esat_ratio_by_team():
    lines = answered("esat", [4, 5, 3], team="blue") + answered("esat", [1], team="red")
    k = kpis(lines, 300)
    assert k.by_window("cx_esat_ratio", team="blue") == dict.fromkeys(WINDOWS, 2 / 3)
    assert k.by_window("cx_esat_ratio", team="red") == dict.fromkeys(WINDOWS, 0.0)
    # ESAT is not a customer survey: no CSAT, NPS or CES from it
    assert k.samples("cx_csat_ratio") == {}


def test_each_kind_only_feeds_its_own_kpi():
    lines = answered("csat", [5, 1]) + answered("nps", [10]) + answered("ces", [2])
    k = kpis(lines, 300)
    assert k("cx_csat_ratio", **SV, window="5m") == 0.5
    assert k("cx_nps_score", **SV, window="5m") == pytest.approx(100)
    assert k("cx_ces_average", **SV, window="5m") == pytest.approx(2)


def test_response_ratio_and_counters():
    lines = answered("csat", [5, 4])
    lines += [survey("sent", 60, f"unanswered{i}", kind="csat", **SV) for i in range(2)]
    k = kpis(lines, 300)
    assert k("cx_surveys_sent_total", survey="csat", **SV) == 4
    assert k("cx_survey_responses_total", survey="csat", **SV) == 2
    assert k.by_window("cx_survey_response_ratio", survey="csat", **SV) == dict.fromkeys(
        WINDOWS, 0.5
    )


def test_survey_attributed_when_sent_and_when_answered():
    # sent 10:00:00, answered 10:06:40; T = 10:07 → 5m holds 10:03..10:07
    lines = [
        survey("sent", 0, "s1", kind="csat", **SV),
        survey("responded", 400, "s1", kind="csat", score=5),
    ]
    k = kpis(lines, 420)
    # 5m: one response, nothing sent → no response ratio, but a CSAT
    assert k.by_window("cx_survey_response_ratio", survey="csat", **SV) == {
        "15m": 1.0,
        "1h": 1.0,
        "today": 1.0,
    }
    assert k.by_window("cx_csat_ratio", **SV) == dict.fromkeys(WINDOWS, 1.0)


def test_response_labels_of_its_own_event_and_of_the_sent_survey():
    lines = [
        survey("sent", 60, "s1", kind="csat", queue="sales", channel="chat"),
        survey("responded", 120, "s1", kind="csat", score=2),  # labels from the sent survey
        survey("responded", 120, "s2", kind="csat", score=5, queue="sales", channel="chat"),
    ]
    k = kpis(lines, 300)
    assert k("cx_survey_responses_total", survey="csat", queue="sales", channel="chat") == 2
    assert k("cx_csat_ratio", queue="sales", channel="chat", window="5m") == 0.5


def test_survey_score_histogram_has_integer_buckets():
    k = kpis(answered("csat", [1, 2, 3, 4, 5, 5]), 300)
    hist = k("cx_survey_score", survey="csat", **SV)
    buckets = dict(hist.buckets)
    assert [buckets[float(i)] for i in range(11)] == [0, 1, 2, 3, 4, 6, 6, 6, 6, 6, 6]
    assert buckets[float("inf")] == 6
    assert (hist.count, hist.sum) == (6, 20)


@pytest.mark.parametrize(
    ("kind", "score"),
    [
        ("csat", 0),
        ("csat", 6),
        ("nps", -1),
        ("nps", 11),
        ("ces", 0),
        ("ces", 8),
        ("esat", 0),
        ("esat", 6),
    ],
)
def test_out_of_range_scores_are_invalid_with_bad_value(kind, score):
    lines = [
        *answered(kind, [5]),
        survey("responded", 130, "bad", kind=kind, score=score, **SV),
    ]
    k = kpis(lines, 300)
    assert k("cx_events_invalid_total", topic="cx.surveys", reason="bad_value") == 1
    assert k("cx_events_total", topic="cx.surveys", type="survey.responded") == 1
    if kind != "esat":
        assert k("cx_survey_responses_total", survey=kind, **SV) == 1


def test_scale_edges_are_valid():
    lines = answered("csat", [1, 5]) + answered("nps", [0, 10]) + answered("ces", [1, 7])
    k = kpis(lines, 300)
    assert k.samples("cx_events_invalid_total") == {}
    assert k("cx_nps_score", **SV, window="today") == pytest.approx(0)
    assert k("cx_ces_average", **SV, window="today") == pytest.approx(4)
    assert k("cx_csat_ratio", **SV, window="today") == 0.5


def test_no_surveys_no_survey_samples():
    lines = [call("queued", 60, "c1", queue="sales"), call("answered", 70, "c1", agent_id="a")]
    k = kpis(lines, 300)
    for name in (
        "cx_csat_ratio",
        "cx_nps_score",
        "cx_ces_average",
        "cx_esat_ratio",
        "cx_survey_response_ratio",
        "cx_survey_score",
        "cx_surveys_sent_total",
    ):
        assert k.samples(name) == {}, name


def test_sent_but_unanswered_has_no_score_samples():
    lines = [survey("sent", 60, "s1", kind="nps", **SV)]
    k = kpis(lines, 300)
    assert k.samples("cx_nps_score") == {}
    assert k.by_window("cx_survey_response_ratio", survey="nps", **SV) == dict.fromkeys(
        WINDOWS, 0.0
    )


# -- agents -------------------------------------------------------------------------------


def test_agents_by_queue_and_state():
    lines = [
        agent(0, "a1", "available", queues=["sales", "support"], team="blue"),
        agent(10, "a2", "on_contact", queues=["sales"], team="blue"),
        agent(20, "a2", "offline"),  # offline agents are not counted
        agent(30, "a3", "on_contact", queues=["sales"], team="red"),
        agent(40, "a4", "away", queues=["support"], team="green"),
        agent(50, "a5", "after_contact_work", queues=["sales", "sales"], team="red"),
        agent(0, "a6", "available", queues=["old"], team="red"),
        agent(60, "a6", "available", queues=["billing"]),  # moved to billing only
    ]
    k = kpis(lines, 300)
    got = {
        (q, s): k("cx_agents", queue=q, state=s)
        for q in ("sales", "support", "billing", "old")
        for s in ("available", "on_contact", "after_contact_work", "away")
    }
    assert got == {
        ("sales", "available"): 1,
        ("sales", "on_contact"): 1,
        ("sales", "after_contact_work"): 1,
        ("sales", "away"): 0,
        ("support", "available"): 1,
        ("support", "on_contact"): 0,
        ("support", "after_contact_work"): 0,
        ("support", "away"): 1,
        ("billing", "available"): 1,
        ("billing", "on_contact"): 0,
        ("billing", "after_contact_work"): 0,
        ("billing", "away"): 0,
        ("old", "available"): None,
        ("old", "on_contact"): None,
        ("old", "after_contact_work"): None,
        ("old", "away"): None,
    }


def occupancy_day() -> list[bytes]:
    return [
        # a1 (blue): available 0–210 s, on contact 210–360 s, available since 360 s
        agent(0, "a1", "available", queues=["sales"], team="blue"),
        agent(210, "a1", "on_contact"),
        agent(360, "a1", "available"),
        # a2 (blue): away 0–240 s (not counted), after-contact work 240–330 s, offline
        agent(0, "a2", "away", queues=["sales"], team="blue"),
        agent(240, "a2", "after_contact_work"),
        agent(330, "a2", "offline"),
        # a3 (red): on contact since 0 s, still now
        agent(0, "a3", "on_contact", queues=["sales"], team="red"),
        # a4 (green): only away
        agent(0, "a4", "away", queues=["sales"], team="green"),
    ]


def test_occupancy_clipped_to_the_window_with_the_ongoing_state():
    # T = 570 s (10:09:30): 5m starts at 10:05:00 (300 s).
    # blue 5m: busy a1 300–360 (60) + a2 300–330 (30) = 90; available a1 360–570 = 210
    # blue 15m: busy 150 + 90 = 240; available 210 + 210 = 420
    k = kpis(occupancy_day(), 570)
    assert k.by_window("cx_occupancy_ratio", team="blue") == {
        "5m": pytest.approx(90 / 300),
        "15m": pytest.approx(240 / 660),
        "1h": pytest.approx(240 / 660),
        "today": pytest.approx(240 / 660),
    }
    assert k.by_window("cx_occupancy_ratio", team="red") == dict.fromkeys(WINDOWS, 1.0)
    # green: only away time, denominator 0
    assert k.by_window("cx_occupancy_ratio", team="green") == {}


def test_occupancy_of_an_ongoing_state_started_before_the_window():
    # available since 10:00:00, on contact since 10:02:00; T = 10:20:30.
    # 5m starts 10:16:00 → all on contact → 1.0; 1h: 120 available, 1110 on contact
    lines = [
        agent(0, "a1", "available", queues=["q"], team="t"),
        agent(120, "a1", "on_contact"),
    ]
    k = kpis(lines, 1230)
    assert k.by_window("cx_occupancy_ratio", team="t") == {
        "5m": 1.0,
        "15m": 1.0,
        "1h": pytest.approx(1110 / 1230),
        "today": pytest.approx(1110 / 1230),
    }


def test_occupancy_today_starts_at_local_midnight():
    # Asia/Kolkata: 2024-05-02 00:00 IST = 2024-05-01T18:30Z; T = 18:40Z (00:10 IST).
    # available 18:20–18:25, on contact 18:25–18:33, available since 18:33.
    lines = [
        agent("2024-05-01T18:20:00Z", "a1", "available", queues=["q"], team="t"),
        agent("2024-05-01T18:25:00Z", "a1", "on_contact"),
        agent("2024-05-01T18:33:00Z", "a1", "available"),
    ]
    k = kpis(lines, "2024-05-01T18:40:00Z", {"timezone": "Asia/Kolkata"})
    assert k.by_window("cx_occupancy_ratio", team="t") == {
        "5m": 0.0,  # from 18:36: available only
        "15m": pytest.approx(420 / 840),  # from 18:26: 420 busy, 420 available
        "1h": pytest.approx(480 / 1200),  # all: 480 busy, 300 + 420 available
        "today": pytest.approx(180 / 600),  # from 18:30: 180 busy, 420 available
    }


@given(
    since=st.lists(st.integers(0, 10_000), max_size=30),
    start=st.integers(-100, 10_100),
    at=st.integers(-100, 10_100),
)
def test_occupancy_time_in_a_state_by_bisection_equals_the_sum_over_agents(since, start, at):
    """Occupancy's ongoing part per window: sorted entry times and two bisections give
    exactly Σ max(0, at − max(since, start)), the pass over every agent."""
    assert _SinceSpans(since).time_in(start, at) == sum(max(0, at - max(s, start)) for s in since)
