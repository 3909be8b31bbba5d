"""Estimated wait and agents required: formulas against references, KPIs by hand."""

from __future__ import annotations

import heapq
import math
import random

import pytest
from helpers import agent, call, kpis
from pyworkforce.queuing import ErlangC

from stream.core.forecast import (
    ABANDONS_IGNORED,
    ABANDONS_NEGATIVE,
    ABANDONS_POSITIVE,
    agents_required,
    erlang_a_service_level,
    erlang_c_service_level,
    erlang_c_wait_probability,
    estimated_wait_seconds,
    significant,
    staffing_hint,
)

MODES = (ABANDONS_NEGATIVE, ABANDONS_IGNORED, ABANDONS_POSITIVE)

# -- Erlang C against pyworkforce (test-only reference) ------------------------------


@pytest.mark.parametrize("per_half_hour", [1, 10, 50, 100, 300, 1000])
@pytest.mark.parametrize("aht_min", [1, 3, 5, 8])
@pytest.mark.parametrize(("threshold_s", "target"), [(20, 0.8), (30, 0.9), (60, 0.5)])
def test_erlang_c_matches_pyworkforce(per_half_hour, aht_min, threshold_s, target):
    reference = ErlangC(transactions=per_half_hour, aht=aht_min, asa=threshold_s / 60, interval=30)
    rate, aht_s = per_half_hour / 1800, aht_min * 60
    wanted = reference.required_positions(service_level=target)["raw_positions"]
    assert agents_required(rate, aht_s, threshold_s, target) == wanted
    for n in (wanted - 1, wanted, wanted + 3):
        if n > rate * aht_s:
            assert erlang_c_service_level(n, rate, aht_s, threshold_s) == pytest.approx(
                reference.service_level(n), abs=1e-9
            )
            assert erlang_c_wait_probability(n, rate * aht_s) == pytest.approx(
                reference.waiting_probability(n), abs=1e-9
            )


def test_erlang_c_edges():
    assert agents_required(0.0, 300, 20, 0.8) == 0  # zero load needs nobody
    assert erlang_c_wait_probability(5, 0.0) == 0.0
    # Overload: the load (10 Erlangs) exceeds the 8 agents there are; the answer exceeds it.
    assert erlang_c_service_level(8, 10 / 300, 300, 20) == 0.0
    assert agents_required(10 / 300, 300, 20, 0.8) > 10
    # A 20 s threshold with an 8-minute AHT: 60 calls an hour is 8 Erlangs.
    reference = ErlangC(transactions=30, aht=8, asa=20 / 60, interval=30)
    wanted = reference.required_positions(service_level=0.8)["raw_positions"]
    assert agents_required(60 / 3600, 480, 20, 0.8) == wanted == 12


# -- Erlang A: against a simulation of M/M/n+M, and its limits ----------------------


def simulate_mmn_m(n, rate, aht_s, patience_s, threshold_s, short_s, mode, arrivals, seed):
    """First come, first served, exponential everything: the service level by mode.

    A contact is answered at the earliest moment an agent is free after it arrives,
    if its patience lasts that long; one that abandons takes no agent time.
    """
    rng = random.Random(seed)
    free_at = [0.0] * n
    t = 0.0
    met = eligible = answered = 0
    for _ in range(arrivals):
        t += rng.expovariate(rate)
        patience = rng.expovariate(1 / patience_s)
        start = max(t, free_at[0])
        wait = start - t
        if wait <= patience:
            heapq.heapreplace(free_at, start + rng.expovariate(1 / aht_s))
            answered += 1
            eligible += 1
            met += wait <= threshold_s
        elif patience >= short_s:
            eligible += 1
            met += mode == ABANDONS_POSITIVE and patience <= threshold_s
    return met / (answered if mode == ABANDONS_IGNORED else eligible)


@pytest.mark.parametrize(
    "case",
    [
        (12, 100 / 1800, 180, 120, 20, 10),  # a small queue near its target
        (5, 1 / 30, 180, 60, 20, 10),  # understaffed: many abandon
        (40, 0.25, 160, 90, 30, 5),  # a large queue
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_erlang_a_matches_a_simulation(case, mode):
    simulated = simulate_mmn_m(*case, mode, arrivals=120_000, seed=7)
    assert erlang_a_service_level(*case, mode) == pytest.approx(simulated, abs=0.01)


def test_erlang_a_tends_to_erlang_c_without_abandons():
    for n in (11, 12, 14, 16):
        c = erlang_c_service_level(n, 100 / 1800, 180, 20)
        assert erlang_a_service_level(n, 100 / 1800, 180, 1e7, 20) == pytest.approx(c, abs=1e-3)


def test_erlang_a_required_agents():
    rate, aht = 100 / 1800, 180
    assert agents_required(rate, aht, 20, 0.8, None) == 14  # Erlang C
    # Impatient callers leave the queue shorter: fewer agents meet the same target.
    assert agents_required(rate, aht, 20, 0.8, 120.0, 10.0) == 12
    # Overload is fine for Erlang A (abandons keep it stable); more load, more agents.
    assert agents_required(2.0, 300, 20, 0.8, 60.0, 10.0) > 600 * 0.75
    assert agents_required(0.0, 300, 20, 0.8, 60.0) == 0
    # The answer meets the target and one fewer does not.
    n = agents_required(rate, aht, 20, 0.8, 90.0, 10.0)
    assert erlang_a_service_level(n, rate, aht, 90.0, 20, 10.0) >= 0.8
    assert erlang_a_service_level(n - 1, rate, aht, 90.0, 20, 10.0) < 0.8


def test_erlang_a_is_monotone_in_agents():
    levels = [erlang_a_service_level(n, 0.1, 240, 60.0, 20, 5.0) for n in range(1, 40)]
    assert levels == sorted(levels)
    assert levels[0] < 0.1 and levels[-1] > 0.99


# -- estimated wait: every case by hand ---------------------------------------------


def test_significant_digits():
    assert significant(25 / 900) == 0.0278
    assert significant(16.6666) == 16.7
    assert significant(123456.0) == 123000.0
    assert significant(180.0) == 180.0


def test_estimated_wait_cases():
    # An idle agent and nobody ahead of it: answered at once.
    assert estimated_wait_seconds(0, None, 3.0, 1, 300.0, 0.1) == 0.0
    assert estimated_wait_seconds(1, 30.0, 3.0, 2, 300.0, 0.1) == 0.0
    # Queue length: (4 × (1 − 0.25) + 1) × 300 s / 5 agents = 240 s.
    assert estimated_wait_seconds(4, 50.0, 5.0, 0, 300.0, 0.25) == pytest.approx(240.0)
    # Nobody ahead, all busy: one handle time spread over the agents.
    assert estimated_wait_seconds(0, None, 4.0, 0, 200.0, 0.0) == pytest.approx(50.0)
    # No handle time yet: the longest wait; no agents serving: the longest wait too.
    assert estimated_wait_seconds(3, 42.0, 5.0, 0, None, 0.0) == 42.0
    assert estimated_wait_seconds(3, 42.0, 0.0, 0, 300.0, 0.0) == 42.0
    # Nothing to go by: no sample, never 0.
    assert estimated_wait_seconds(0, None, 5.0, 0, None, 0.0) is None
    assert estimated_wait_seconds(0, None, 0.0, 0, 300.0, 0.0) is None


# -- the KPIs, evaluated ------------------------------------------------------------


def handled(queue: str, n: int, start: float, wait: float, handle: float, prefix: str = "h"):
    """``n`` calls queued at ``start + 10 i``, answered after ``wait``, handled for ``handle`` s."""
    lines = []
    for i in range(n):
        t, c = start + 10 * i, f"{prefix}{queue}{i}"
        lines.append(call("queued", t, c, queue=queue))
        lines.append(call("answered", t + wait, c, agent_id="x"))
        lines.append(call("wrapup_ended", t + wait + handle, c))
    return lines


def test_estimated_wait_and_agents_required_by_hand():
    # In the 15 min before T = 1,000 s: 10 calls, waits 5 s, AHT 120 s, none abandoned.
    lines = handled("billing", 10, 200, 5, 120)
    # Agents now: a1 billing only, a2 billing + sales, both on a contact; a3 available
    # for sales only. Two callers wait in billing, one in sales.
    lines += [
        agent(200, "a1", "on_contact", queues=["billing"]),
        agent(200, "a2", "on_contact", queues=["billing", "sales"]),
        agent(200, "a3", "available", queues=["sales"]),
        call("queued", 900, "w1", queue="billing"),
        call("queued", 950, "w2", queue="billing"),
        call("queued", 960, "w3", queue="sales"),
    ]
    k = kpis(lines, 1000)
    # billing: sales has a caller waiting, so a2 counts 1/2 for billing: 1.5 agents.
    # (2 ahead × (1 − 0) + 1) × 120 s / 1.5 = 240 s.
    assert k("cx_estimated_wait_seconds", queue="billing", channel="voice") == pytest.approx(240)
    # sales: an idle agent (a3) and one caller ahead of it: a3 takes that one; 1 idle is
    # not more than 1 ahead, and sales has no handle time yet: the longest wait, 40 s.
    assert k("cx_estimated_wait_seconds", queue="sales", channel="voice") == pytest.approx(40)
    # Agents required: 12 offered in 15 min (10 + 2 waiting), AHT 120 s, no abandons →
    # Erlang C at 12/900 per second; the gap subtracts 1.5 agents (a2 is half in sales).
    required = agents_required(significant(12 / 900), 120.0, 20, 0.8)
    assert k("cx_agents_required", queue="billing", channel="voice") == required == 4
    assert k("cx_agents_required_gap", queue="billing", channel="voice") == pytest.approx(2.5)
    # sales: 1 offered, no handle time: no requirement can be computed.
    assert k("cx_agents_required", queue="sales", channel="voice") is None
    assert k("cx_agents_required_gap", queue="sales", channel="voice") is None


def test_agents_required_uses_the_patience_of_abandons():
    lines = handled("billing", 20, 0, 30, 200)
    for i in range(5):  # five abandons after 60 s each
        lines += [
            call("queued", 300 + i, f"ab{i}", queue="billing"),
            call("abandoned", 360 + i, f"ab{i}"),
        ]
    k = kpis(lines, 899)
    # Offered 25; waits 20 × 30 s + 5 × 60 s = 900 s over 5 abandons: patience 180 s.
    rate = significant(25 / 900)  # 0.0278/s: the evaluator's inputs, to 3 digits
    expected = agents_required(rate, 200.0, 20, 0.8, 180.0, 10.0, ABANDONS_NEGATIVE)
    assert k("cx_agents_required", queue="billing", channel="voice") == expected
    assert expected != agents_required(rate, 200.0, 20, 0.8)  # not Erlang C


def test_no_load_needs_no_agents_and_no_data_gives_no_estimate():
    lines = handled("billing", 3, 0, 5, 55)
    k = kpis(lines, 3600)  # an hour later the 15-minute window is empty
    assert k("cx_agents_required", queue="billing", channel="voice") == 0
    assert k("cx_estimated_wait_seconds", queue="billing", channel="voice") is None
    assert math.isclose(k("cx_agents_required_gap", queue="billing", channel="voice"), 0.0)


@pytest.mark.parametrize(
    "inputs",
    [
        (0.05, 300, 20, 0.8, 120.0, 10.0, ABANDONS_NEGATIVE),
        (0.5, 240, 30, 0.9, 60.0, 5.0, ABANDONS_IGNORED),
        (2.0, 300, 20, 0.8, 45.0, 10.0, ABANDONS_POSITIVE),
        (0.002, 480, 20, 0.8, 30.0, 10.0, ABANDONS_NEGATIVE),
    ],
)
def test_where_the_search_starts_changes_nothing(inputs):
    """The evaluator starts from the last scrape's answer: any start gives the same."""
    answer = agents_required(*inputs)
    for hint in {1, 2, answer - 7, answer - 1, answer, answer + 1, answer + 40, 10 * answer}:
        assert agents_required(*inputs, hint=max(1, hint)) == answer, hint


# -- Erlang A's closed form against the Markov chain itself -------------------------


def erlang_a_by_the_chain(n, rate, aht_s, patience_s, threshold_s, short_s, mode, room=400):
    """The service level straight from the definitions, no closed form: the stationary
    distribution of the birth-death chain (``room`` waiting places, far more than these
    queues reach), and for a contact arriving with i ahead P(answered by t) and
    P(abandoned by t) by uniformisation of its own chain (i ahead: the one in front
    moves at nμ + iθ, its patience ends at θ)."""
    mu, theta = 1 / aht_s, 1 / patience_s
    weights = [1.0]
    for j in range(1, n + room):
        weights.append(weights[-1] * rate / (min(j, n) * mu + max(0, j - n) * theta))
    total = sum(weights)
    free, ahead = sum(weights[:n]) / total, [w / total for w in weights[n:]]
    fast = n * mu + room * theta + theta  # the uniformisation rate

    def by(t):  # (P(answered by t), P(abandoned by t)) for an arrival, answered at once aside
        served, gone = [0.0] * room, [0.0] * room  # within k jumps, from i ahead
        out_served = out_gone = 0.0
        poisson, k = math.exp(-fast * t), 0
        while k < fast * t + 12 * math.sqrt(fast * t) + 30:
            out_served += poisson * sum(p * s for p, s in zip(ahead, served, strict=True))
            out_gone += poisson * sum(p * g for p, g in zip(ahead, gone, strict=True))
            served = [
                (
                    (n * mu + i * theta) * (served[i - 1] if i else 1.0)
                    + (fast - n * mu - (i + 1) * theta) * served[i]
                )
                / fast
                for i in range(room)
            ]
            gone = [
                (
                    (n * mu + i * theta) * (gone[i - 1] if i else 0.0)
                    + theta
                    + (fast - n * mu - (i + 1) * theta) * gone[i]
                )
                / fast
                for i in range(room)
            ]
            k += 1
            poisson *= fast * t / k
        return out_served, out_gone

    answered_t, abandoned_t = by(threshold_s) if threshold_s > 0 else (0.0, 0.0)
    abandoned_s = by(short_s)[1] if short_s > 0 else 0.0
    if mode == ABANDONS_IGNORED:
        answered = free + sum(p * n * mu / (n * mu + (q + 1) * theta) for q, p in enumerate(ahead))
        return (free + answered_t) / answered
    met = free + answered_t + (abandoned_t - abandoned_s if mode == ABANDONS_POSITIVE else 0.0)
    return met / (1.0 - abandoned_s)


@pytest.mark.parametrize(
    "case",
    [
        (12, 100 / 1800, 180, 120, 20, 10),  # near its target
        (5, 1 / 30, 180, 60, 20, 10),  # understaffed: a queue of about 25
        (40, 0.25, 160, 90, 30, 5),  # a larger queue
        (3, 0.05, 300, 400, 60, 0),  # patient callers, no short abandons
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_erlang_a_closed_form_equals_the_chain(case, mode):
    assert erlang_a_service_level(*case, mode) == pytest.approx(
        erlang_a_by_the_chain(*case, mode), abs=1e-9
    )


def test_the_next_search_starts_where_square_root_staffing_moves_the_last_answer():
    # 110 agents for 100 Erlangs: β = 10 / √100 = 1. At 121 Erlangs: 121 + 1 × 11.
    assert staffing_hint(121.0, 100.0, 110) == 132
    assert staffing_hint(81.0, 100.0, 110) == 90  # 81 + 9
    assert staffing_hint(100.0, 100.0, 95) == 95  # abandons: below the load, kept
    assert staffing_hint(4.0, 0.0, 0) == 0  # nothing to scale: the last answer
    assert staffing_hint(0.01, 100.0, 80) == 1  # never below one agent
