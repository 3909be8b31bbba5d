"""Contact KPIs of SPEC §4 (calls and chats), each value worked out by hand below.

Times are seconds after BASE = 2024-05-02T10:00:00Z. Unless a test says otherwise the
evaluation time is T = 300 s (10:05:00), so the 5m window holds minutes 10:01..10:05
(t ≥ 60 s) and every outcome at t ≥ 60 s is in all four windows.
"""

from __future__ import annotations

import pytest
from helpers import BASE_MS, WINDOWS, call, chat, kpis, ms

V = {"queue": "q", "channel": "voice"}


def everywhere(value):
    return dict.fromkeys(WINDOWS, value)


def mixed_queue(queue: str = "q") -> list[bytes]:
    """Seven calls, waits chosen around the 10 s short-abandon and 20 s SL thresholds.

    c1 answered after 20 s (exactly the threshold: within), c2 after 21 s (not within),
    c6 after 5 s (within); c3 abandoned after 9.999 s (short), c4 after exactly 10 s
    (not short, within 20 s), c5 after 60 s (not short, not within); c7 still waits.
    """
    return [
        call("queued", 60, f"{queue}-c1", queue=queue),
        call("queued", 60, f"{queue}-c2", queue=queue),
        call("queued", 70, f"{queue}-c3", queue=queue),
        call("queued", 70, f"{queue}-c4", queue=queue),
        call("queued", 70, f"{queue}-c5", queue=queue),
        call("answered", 80, f"{queue}-c1", agent_id="a1"),
        call("abandoned", 79.999, f"{queue}-c3"),
        call("abandoned", 80, f"{queue}-c4"),
        call("answered", 81, f"{queue}-c2", agent_id="a2"),
        call("queued", 100, f"{queue}-c6", queue=queue),
        call("queued", 100, f"{queue}-c7", queue=queue),
        call("answered", 105, f"{queue}-c6", agent_id="a3"),
        call("abandoned", 130, f"{queue}-c5"),
    ]


def test_outcome_counters_and_window_contacts():
    k = kpis(mixed_queue(), 300)
    assert k("cx_contacts_offered_total", **V) == 7
    assert k("cx_contacts_answered_total", **V) == 3
    assert k("cx_contacts_abandoned_total", **V) == 3
    assert k("cx_contacts_short_abandoned_total", **V) == 1
    assert k("cx_contacts_transferred_total", **V) == 0
    expected = {
        "offered": 7,
        "answered": 3,
        "abandoned": 3,
        "short_abandoned": 1,
        "answered_within_threshold": 2,
        "transferred": 0,
    }
    for window in WINDOWS:
        assert k.outcomes(window, **V) == expected, window


def test_abandonment_ratio_leaves_out_short_abandons():
    # (abandoned 3 − short 1) / (answered 3 + abandoned 3 − short 1) = 2/5
    k = kpis(mixed_queue(), 300)
    assert k.by_window("cx_abandonment_ratio", **V) == everywhere(2 / 5)


def test_average_speed_of_answer_is_mean_wait_of_answered():
    # (20 + 21 + 5) / 3; abandoned waits are not part of ASA
    k = kpis(mixed_queue(), 300)
    asa = k.by_window("cx_average_speed_of_answer_seconds", **V)
    assert asa == {w: pytest.approx(46 / 3) for w in WINDOWS}


def test_wait_histograms_by_outcome():
    k = kpis(mixed_queue(), 300)
    answered = k("cx_wait_seconds", **V, outcome="answered")
    assert answered.count == 3
    assert answered.sum == pytest.approx(46)
    buckets = dict(answered.buckets)
    assert (buckets[5], buckets[10], buckets[15], buckets[20], buckets[30]) == (1, 1, 1, 2, 3)
    abandoned = k("cx_wait_seconds", **V, outcome="abandoned")
    assert abandoned.count == 3
    assert abandoned.sum == pytest.approx(9.999 + 10 + 60)
    buckets = dict(abandoned.buckets)
    assert (buckets[5], buckets[10], buckets[45], buckets[60]) == (0, 2, 2, 3)
    assert buckets[float("inf")] == 3
    assert k("cx_wait_seconds", **V, outcome="transferred") is None


def test_live_waiting_gauges():
    k = kpis(mixed_queue(), 300)
    assert k("cx_contacts_waiting", **V) == 1  # c7, queued at 100 s
    assert k("cx_oldest_waiting_enqueued_timestamp_seconds", **V) == (BASE_MS + 100_000) / 1000
    assert k("cx_longest_wait_seconds", **V) == pytest.approx(200)


def test_longest_wait_is_zero_and_oldest_absent_when_nobody_waits():
    lines = [call("queued", 60, "c1", queue="q"), call("answered", 70, "c1", agent_id="a")]
    k = kpis(lines, 300)
    assert k("cx_contacts_waiting", **V) == 0
    assert k("cx_longest_wait_seconds", **V) == 0
    assert k("cx_oldest_waiting_enqueued_timestamp_seconds", **V) is None


def test_oldest_waiting_across_several_waiters():
    lines = [
        call("queued", 90, "c1", queue="q"),
        call("queued", 61.5, "c2", queue="q"),
        call("queued", 120, "c3", queue="q"),
        call("abandoned", 130, "c2"),  # the oldest leaves: c1 (90 s) is now the oldest
    ]
    k = kpis(lines, 300)
    assert k("cx_contacts_waiting", **V) == 2
    assert k("cx_oldest_waiting_enqueued_timestamp_seconds", **V) == (BASE_MS + 90_000) / 1000
    assert k("cx_longest_wait_seconds", **V) == pytest.approx(210)


# answered within 20 s: c1 (20), c6 (5); abandons not short: c4 (10, within 20 s), c5 (60)
@pytest.mark.parametrize(
    ("config", "within", "level"),
    [
        ({}, 2, 2 / 5),  # abandons_negative: 2 / (3 + 3 − 1)
        ({"service": {"service_level_mode": "abandons_negative"}}, 2, 2 / 5),
        ({"service": {"service_level_mode": "abandons_ignored"}}, 2, 2 / 3),  # 2 / answered
        ({"service": {"service_level_mode": "abandons_positive"}}, 2, 3 / 5),  # (2 + c4) / 5
        # per-queue threshold 21 s: c2 (21 s) is now within too
        ({"queues": {"q": {"service_level_threshold_seconds": 21}}}, 3, 3 / 5),
        # threshold 9 s: only c6; c4's 10 s abandon is no longer within either
        (
            {
                "queues": {
                    "q": {
                        "service_level_threshold_seconds": 9,
                        "service_level_mode": "abandons_positive",
                    }
                }
            },
            1,
            1 / 5,
        ),
        # per-queue mode, threshold from [service]
        (
            {
                "service": {"service_level_threshold_seconds": 21},
                "queues": {"q": {"service_level_mode": "abandons_ignored"}},
            },
            3,
            3 / 3,
        ),
        (
            {"queues": {"q": {"service_level_mode": "abandons_positive"}}},
            2,
            3 / 5,
        ),
        # an override for another queue changes nothing here
        (
            {
                "queues": {
                    "other": {
                        "service_level_threshold_seconds": 60,
                        "service_level_mode": "abandons_ignored",
                    }
                }
            },
            2,
            2 / 5,
        ),
    ],
)
def test_service_level_modes_and_per_queue_overrides(config, within, level):
    k = kpis(mixed_queue(), 300, config)
    assert k.by_window("cx_service_level_ratio", **V) == everywhere(level)
    for window in WINDOWS:
        assert k.outcomes(window, **V)["answered_within_threshold"] == within


def test_per_queue_short_abandon_threshold():
    # short abandon 11 s for q: c3 (9.999 s) and c4 (10 s) are short now, c5 (60 s) is not.
    config = {"queues": {"q": {"short_abandon_seconds": 11}}}
    k = kpis(mixed_queue(), 300, config)
    assert k("cx_contacts_short_abandoned_total", **V) == 2
    assert k.by_window("cx_abandonment_ratio", **V) == everywhere(1 / 4)  # (3−2)/(3+3−2)
    assert k.by_window("cx_service_level_ratio", **V) == everywhere(2 / 4)


def test_short_abandon_threshold_applies_per_queue_only():
    config = {"queues": {"other": {"short_abandon_seconds": 11}}}
    k = kpis(mixed_queue("q") + mixed_queue("other"), 300, config)
    assert k("cx_contacts_short_abandoned_total", **V) == 1
    assert k("cx_contacts_short_abandoned_total", queue="other", channel="voice") == 2


def test_abandons_positive_counts_only_non_short_abandons_within_threshold():
    # one short abandon (5 s) and one abandon after 15 s; nothing answered
    lines = [
        call("queued", 60, "c1", queue="q"),
        call("abandoned", 65, "c1"),
        call("queued", 60, "c2", queue="q"),
        call("abandoned", 75, "c2"),
    ]
    config = {"service": {"service_level_mode": "abandons_positive"}}
    k = kpis(lines, 300, config)
    # numerator 0 answered within + 1 abandon within; denominator 0 + 2 − 1
    assert k.by_window("cx_service_level_ratio", **V) == everywhere(1.0)
    # abandons_ignored: no answered contact, so no service level at all
    k = kpis(lines, 300, {"service": {"service_level_mode": "abandons_ignored"}})
    assert k.by_window("cx_service_level_ratio", **V) == {}
    assert k.by_window("cx_abandonment_ratio", **V) == everywhere(1.0)


def test_only_short_abandons_leave_ratios_out():
    lines = [call("queued", 60, "c1", queue="q"), call("abandoned", 62, "c1")]
    k = kpis(lines, 300)
    assert k("cx_contacts_short_abandoned_total", **V) == 1
    assert k.by_window("cx_abandonment_ratio", **V) == {}
    assert k.by_window("cx_service_level_ratio", **V) == {}
    assert k.by_window("cx_average_speed_of_answer_seconds", **V) == {}


def test_call_ended_while_waiting_counts_as_abandoned():
    lines = [call("queued", 60, "c1", queue="q"), call("ended", 90, "c1")]
    k = kpis(lines, 300)
    assert k("cx_contacts_abandoned_total", **V) == 1
    assert k("cx_contacts_waiting", **V) == 0
    assert k("cx_wait_seconds", **V, outcome="abandoned").sum == pytest.approx(30)


def test_nothing_but_a_waiting_contact_has_no_ratio_or_average_samples():
    k = kpis([call("queued", 60, "c1", queue="q")], 300)
    for name in (
        "cx_abandonment_ratio",
        "cx_service_level_ratio",
        "cx_average_speed_of_answer_seconds",
        "cx_average_handle_seconds",
        "cx_first_response_average_seconds",
        "cx_fcr_ratio",
    ):
        assert k.samples(name) == {}, name
    assert k.outcomes("5m", **V)["offered"] == 1
    assert k.outcomes("5m", **V)["answered"] == 0


# -- handle time ---------------------------------------------------------------------


def test_average_handle_runs_from_answer_to_wrapup_end_attributed_at_wrapup():
    # answered at 30 s (10:00:30), hold 100–150 s, ended 300 s, wrap-up ends 400 s (10:06:40)
    # T = 420 s (10:07): the 5m window holds minutes 10:03..10:07, so it sees the
    # handling (wrap-up 10:06) but not the answer (10:00): no ASA in 5m.
    lines = [
        call("queued", 0, "c1", queue="q"),
        call("answered", 30, "c1", agent_id="a1"),
        call("hold_started", 100, "c1"),
        call("hold_ended", 150, "c1"),
        call("ended", 300, "c1"),
        call("wrapup_ended", 400, "c1"),
        call("queued", 0, "c2", queue="q"),
        call("answered", 40, "c2", agent_id="a2"),
        call("ended", 100, "c2"),
        call("wrapup_ended", 130, "c2"),  # 10:02:10, handle 90 s: out of 5m
    ]
    k = kpis(lines, 420)
    handle = k.by_window("cx_average_handle_seconds", **V)
    assert handle == {
        "5m": pytest.approx(370),
        "15m": pytest.approx((370 + 90) / 2),
        "1h": pytest.approx((370 + 90) / 2),
        "today": pytest.approx((370 + 90) / 2),
    }
    asa = k.by_window("cx_average_speed_of_answer_seconds", **V)
    assert asa == {w: pytest.approx(35) for w in ("15m", "1h", "today")}
    hist = k("cx_handle_seconds", **V)
    assert (hist.count, hist.sum) == (2, pytest.approx(460))
    assert dict(hist.buckets)[90] == 1
    assert dict(hist.buckets)[300] == 1
    assert dict(hist.buckets)[600] == 2


def test_ended_without_wrapup_is_not_handled_yet():
    lines = [
        call("queued", 60, "c1", queue="q"),
        call("answered", 70, "c1", agent_id="a"),
        call("ended", 200, "c1"),
    ]
    k = kpis(lines, 300)
    assert k.by_window("cx_average_handle_seconds", **V) == {}
    assert k("cx_handle_seconds", **V) is None


# -- transfers -------------------------------------------------------------------------

A = {"queue": "A", "channel": "voice"}
B = {"queue": "B", "channel": "voice"}


def test_transfer_while_waiting_splits_the_wait_per_queue():
    # queued in A at 60 s, moved to B at 72 s (12 s in A), answered at 80 s (8 s in B)
    lines = [
        call("queued", 60, "c1", queue="A"),
        call("transferred", 72, "c1", to_queue="B"),
        call("answered", 80, "c1", agent_id="a"),
        call("ended", 200, "c1"),
        call("wrapup_ended", 230, "c1"),
    ]
    k = kpis(lines, 300)
    assert k("cx_contacts_offered_total", **A) == 1
    assert k("cx_contacts_offered_total", **B) == 1
    assert k("cx_contacts_transferred_total", **A) == 1
    assert k("cx_contacts_transferred_total", **B) == 0
    assert k("cx_contacts_answered_total", **A) == 0
    assert k("cx_contacts_answered_total", **B) == 1
    moved = k("cx_wait_seconds", **A, outcome="transferred")
    assert (moved.count, moved.sum) == (1, pytest.approx(12))
    assert k("cx_wait_seconds", **A, outcome="answered") is None
    answered = k("cx_wait_seconds", **B, outcome="answered")
    assert (answered.count, answered.sum) == (1, pytest.approx(8))
    assert k.by_window("cx_average_speed_of_answer_seconds", **B) == everywhere(pytest.approx(8))
    # A: no answered or abandoned contact, so no ratio or ASA
    assert k.by_window("cx_average_speed_of_answer_seconds", **A) == {}
    assert k.by_window("cx_service_level_ratio", **A) == {}
    assert k.by_window("cx_abandonment_ratio", **A) == {}
    assert k.outcomes("5m", **A)["transferred"] == 1
    assert k.outcomes("5m", **B)["offered"] == 1
    assert k.outcomes("5m", **B)["answered_within_threshold"] == 1
    # handling (80 → 230 s) belongs to the queue that answered
    assert k.by_window("cx_average_handle_seconds", **B) == everywhere(pytest.approx(150))
    assert k.by_window("cx_average_handle_seconds", **A) == {}


def test_transfer_by_the_agent_measures_a_new_wait_in_the_target_queue():
    # answered in A after 5 s; the agent transfers at 100 s; answered in B at 130 s (30 s)
    lines = [
        call("queued", 60, "c1", queue="A"),
        call("answered", 65, "c1", agent_id="a1"),
        call("transferred", 100, "c1", to_queue="B"),
        call("answered", 130, "c1", agent_id="a2"),
        call("ended", 200, "c1"),
        call("wrapup_ended", 260, "c1"),
    ]
    k = kpis(lines, 300)
    assert k("cx_contacts_offered_total", **A) == 1
    assert k("cx_contacts_offered_total", **B) == 1
    assert k("cx_contacts_answered_total", **A) == 1
    assert k("cx_contacts_answered_total", **B) == 1
    assert k("cx_contacts_transferred_total", **A) == 1
    # no wait ended at the transfer: it was not waiting
    assert k("cx_wait_seconds", **A, outcome="transferred") is None
    assert k.by_window("cx_average_speed_of_answer_seconds", **A) == everywhere(pytest.approx(5))
    assert k.by_window("cx_average_speed_of_answer_seconds", **B) == everywhere(pytest.approx(30))
    assert k.by_window("cx_service_level_ratio", **B) == everywhere(0.0)  # 30 s > 20 s
    assert k("cx_contacts_waiting", **B) == 0


def test_transferred_contact_waiting_in_target_queue_is_live_there():
    lines = [
        call("queued", 60, "c1", queue="A"),
        call("transferred", 72, "c1", to_queue="B"),
    ]
    k = kpis(lines, 300)
    assert k("cx_contacts_waiting", **A) == 0
    assert k("cx_contacts_waiting", **B) == 1
    assert k("cx_oldest_waiting_enqueued_timestamp_seconds", **B) == (BASE_MS + 72_000) / 1000
    assert k("cx_longest_wait_seconds", **B) == pytest.approx(228)


# -- chats -------------------------------------------------------------------------------

CH = {"queue": "web", "channel": "chat"}


def test_chat_first_response_and_responses():
    lines = [
        chat("queued", 60, "s1", queue="web"),
        chat("message", 62, "s1", author="customer"),  # before any agent/bot turn: no wait
        chat("answered", 80, "s1", agent_id="a1"),
        chat("message", 85, "s1", author="customer"),  # still no agent turn before it
        chat("message", 90, "s1", author="agent"),  # first response: 60 → 90 = 30 s
        chat("message", 100, "s1", author="customer"),  # waits from 100
        chat("message", 105, "s1", author="customer"),  # still waiting since 100
        chat("message", 112, "s1", author="agent"),  # response 12 s
        chat("message", 120, "s1", author="bot"),
        chat("message", 121, "s1", author="customer"),  # follows a bot turn: waits from 121
        chat("message", 130, "s1", author="agent"),  # response 9 s
        chat("message", 135, "s1", author="customer"),
        chat("message", 140, "s1", author="agent"),  # response 5 s
        chat("ended", 150, "s1"),
        chat("wrapup_ended", 170, "s1"),
    ]
    k = kpis(lines, 300)
    assert k.by_window("cx_first_response_average_seconds", **CH) == everywhere(pytest.approx(30))
    assert k.by_window("cx_response_average_seconds", **CH) == everywhere(pytest.approx(26 / 3))
    first = k("cx_first_response_seconds", **CH)
    assert (first.count, first.sum) == (1, pytest.approx(30))
    responses = k("cx_response_seconds", **CH)
    assert (responses.count, responses.sum) == (3, pytest.approx(26))
    assert dict(responses.buckets)[5] == 1
    assert dict(responses.buckets)[10] == 2
    assert dict(responses.buckets)[15] == 3
    assert k.by_window("cx_average_speed_of_answer_seconds", **CH) == everywhere(pytest.approx(20))
    assert k.by_window("cx_average_handle_seconds", **CH) == everywhere(pytest.approx(90))
    # the chat channel label never leaks into voice series
    assert k("cx_contacts_offered_total", queue="web", channel="voice") is None


def test_chat_first_response_attributed_when_sent():
    # queued 10:00:00, first agent message 10:04:30; T = 10:08:00: 5m holds 10:04..10:08
    lines = [
        chat("queued", 0, "s1", queue="web"),
        chat("answered", 200, "s1", agent_id="a1"),
        chat("message", 270, "s1", author="agent"),
    ]
    k = kpis(lines, 480)
    assert k.by_window("cx_first_response_average_seconds", **CH) == everywhere(pytest.approx(270))
    assert k.outcomes("5m", **CH)["offered"] == 0
    assert k.outcomes("15m", **CH)["offered"] == 1


def test_chat_without_agent_message_has_no_first_response():
    lines = [
        chat("queued", 60, "s1", queue="web"),
        chat("answered", 70, "s1", agent_id="a1"),
        chat("message", 80, "s1", author="bot"),
        chat("message", 90, "s1", author="customer"),
    ]
    k = kpis(lines, 300)
    assert k.by_window("cx_first_response_average_seconds", **CH) == {}
    assert k.by_window("cx_response_average_seconds", **CH) == {}


# -- first-contact resolution ---------------------------------------------------------------


def handled(cid: str, queued: float, *, customer: str | None = None, resolved=None, queue="q"):
    """A call queued, answered 10 s later, ended at +60 s, wrapped up at +90 s."""
    extra = {} if customer is None else {"customer_id": customer}
    flag = {} if resolved is None else {"resolved": resolved}
    return [
        call("queued", queued, cid, queue=queue, **extra),
        call("answered", queued + 10, cid, agent_id="a"),
        call("ended", queued + 60, cid),
        call("wrapup_ended", queued + 90, cid, **flag),
    ]


def test_fcr_first_contact_resolved_and_repeat_contact_not():
    # customer X: c1 at 0 s (resolved), c2 at 3000 s (resolved, but X called 50 min
    # before) → c1 counts 1, c2 counts 0. c3: no flag → not in the denominator.
    # c4: resolved false → 0. T = 3200 s (10:53:20): 5m = minutes 10:49..10:53 sees
    # only c2's wrap-up (3090 s = 10:51:30).
    lines = [
        *handled("c1", 0, customer="X", resolved=True),
        *handled("c3", 100, customer="Y"),
        *handled("c4", 200, customer="Z", resolved=False),
        *handled("c2", 3000, customer="X", resolved=True),
    ]
    k = kpis(lines, 3200)
    assert k.by_window("cx_fcr_ratio", **V) == {
        "5m": 0.0,
        "15m": 0.0,
        "1h": 1 / 3,
        "today": 1 / 3,
    }


def test_fcr_without_customer_id_counts_the_resolved_flag():
    lines = [
        *handled("c1", 60, resolved=True),
        *handled("c2", 70, resolved=True),
        *handled("c3", 80, resolved=False),
    ]
    k = kpis(lines, 300)
    assert k.by_window("cx_fcr_ratio", **V) == everywhere(2 / 3)


def test_fcr_denominator_only_counts_wrapups_with_a_flag():
    lines = [*handled("c1", 60, resolved=True), *handled("c2", 70), *handled("c3", 80)]
    k = kpis(lines, 300)
    assert k.by_window("cx_fcr_ratio", **V) == everywhere(1.0)
    k = kpis([*handled("c2", 70), *handled("c3", 80, customer="X")], 300)
    assert k.samples("cx_fcr_ratio") == {}


def test_fcr_wrapup_flag_overrides_the_ended_flag():
    lines = [
        call("queued", 60, "c1", queue="q"),
        call("answered", 70, "c1", agent_id="a"),
        call("ended", 80, "c1", resolved=True),
        call("wrapup_ended", 90, "c1", resolved=False),
        call("queued", 60, "c2", queue="q"),
        call("answered", 70, "c2", agent_id="a"),
        call("ended", 80, "c2", resolved=True),
        call("wrapup_ended", 90, "c2"),  # no flag here: the one from ended stands
    ]
    k = kpis(lines, 300)
    assert k.by_window("cx_fcr_ratio", **V) == everywhere(1 / 2)


def test_fcr_other_customers_do_not_count_as_repeats():
    lines = [
        *handled("c1", 0, customer="X", resolved=True),
        *handled("c2", 600, customer="Y", resolved=True),
    ]
    k = kpis(lines, 800)
    assert k.by_window("cx_fcr_ratio", **V)["1h"] == 1.0


def test_fcr_later_contact_does_not_undo_an_earlier_resolution():
    # SPEC §4 looks at contacts queued *before* this one: c1 stays resolved first time
    # even though X calls again at 600 s; c2 is the repeat.
    lines = [
        *handled("c1", 0, customer="X", resolved=True),
        *handled("c2", 600, customer="X", resolved=True),
    ]
    k = kpis(lines, 800)  # T = 10:13:20; 5m = 10:09..10:13: only c2's wrap-up (11:30)
    assert k.by_window("cx_fcr_ratio", **V) == {
        "5m": 0.0,
        "15m": 1 / 2,
        "1h": 1 / 2,
        "today": 1 / 2,
    }


def test_fcr_repeat_contact_arriving_after_the_wrapup_is_a_correction():
    # c2's whole life arrives first (counted resolved first time), then the earlier
    # c1 of the same customer shows up: c2 must be corrected to 0.
    lines = [
        *handled("c2", 3000, customer="X", resolved=True),
        *handled("c1", 0, customer="X", resolved=True),
    ]
    k = kpis(lines, 3200)
    assert k.by_window("cx_fcr_ratio", **V) == {
        "5m": 0.0,
        "15m": 0.0,
        "1h": 1 / 2,
        "today": 1 / 2,
    }


def test_fcr_late_arriving_abandoned_contact_is_also_a_repeat():
    lines = [
        *handled("c2", 3000, customer="X", resolved=True),
        call("queued", 2000, "c1", queue="other", customer_id="X"),
        call("abandoned", 2030, "c1"),
    ]
    k = kpis(lines, 3200)
    assert k.by_window("cx_fcr_ratio", **V) == dict.fromkeys(WINDOWS, 0.0)


NY_FALL_BACK = {"timezone": "America/New_York"}


@pytest.mark.parametrize(
    ("gap_s", "repeat"),
    [(24 * 3600 - 1, True), (24 * 3600 + 1, False)],
)
def test_fcr_repeat_window_is_24_hours(gap_s, repeat):
    # 2024-11-03 in New York has 25 hours (DST ends), so two contacts 24 h ± 1 s apart
    # are both on the same local day and neither is late for the replay.
    first = "2024-11-03T04:10:00Z"  # 00:10 EDT, just after local midnight (04:00Z)
    t0 = (ms(first) - BASE_MS) / 1000
    lines = [
        *handled("c1", t0, customer="X", resolved=True),
        *handled("c2", t0 + gap_s, customer="X", resolved=True),
    ]
    k = kpis(lines, t0 + gap_s + 120, NY_FALL_BACK)
    assert k.by_window("cx_fcr_ratio", **V)["5m"] == (0.0 if repeat else 1.0)
    assert k.by_window("cx_fcr_ratio", **V)["today"] == (0.5 if repeat else 1.0)
