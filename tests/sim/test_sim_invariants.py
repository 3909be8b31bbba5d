"""Per-entity lifecycles make sense, and the day looks like a contact centre's day."""

from __future__ import annotations

from collections import Counter, defaultdict
from statistics import median
from typing import Any

import pytest

from stream.core.timeutil import HOUR_MS, parse_time
from stream.sim import Record

Timed = list[tuple[int, Record]]


def by_entity(day: Timed, prefixes: tuple[str, ...]) -> dict[str, list[tuple[int, str, Any]]]:
    """Entity key → [(time_ms, action, data)] in stream order."""
    found: dict[str, list[tuple[int, str, Any]]] = defaultdict(list)
    for _, record in day:
        prefix, _, action = record.value["type"].partition(".")
        if prefix in prefixes:
            found[record.key].append(
                (parse_time(record.value["time"]), action, record.value["data"])
            )
    return found


def first(events: list[tuple[int, str, Any]], action: str) -> int | None:
    return next((t for t, a, _ in events if a == action), None)


def test_contacts_queue_then_answer_then_end_then_wrap_up(any_day: Timed) -> None:
    contacts = by_entity(any_day, ("call", "chat"))
    assert len(contacts) > 1000
    for key, events in contacts.items():
        actions = [a for _, a, _ in events]
        assert actions[0] == "queued", key
        assert actions.count("queued") == 1, key
        queued, answered = first(events, "queued"), first(events, "answered")
        ended, wrapped = first(events, "ended"), first(events, "wrapup_ended")
        if answered is not None:
            assert queued <= answered, key
        if wrapped is not None:
            assert answered is not None and answered <= ended <= wrapped, key
            assert actions[-1] == "wrapup_ended", key
        flags = {d["resolved"] for _, a, d in events if "resolved" in d}
        assert len(flags) <= 1, key  # ended and wrapup_ended never disagree
        if "abandoned" in actions:
            assert actions[-1] == "abandoned" or actions[-1] == "message", key
            assert "ended" not in actions, key


def test_holds_pair_up_inside_the_call(clean_day: Timed) -> None:
    for key, events in by_entity(clean_day, ("call",)).items():
        holds = [a for _, a, _ in events if a.startswith("hold_")]
        if len(holds) % 2:  # on hold when the day ended
            assert events[-1][1] == "hold_started", key
            assert events[-1][0] > clean_day[-1][0] - 600_000, key
            holds.append("hold_ended")
        assert holds == ["hold_started", "hold_ended"] * (len(holds) // 2), key
        if holds:
            assert first(events, "answered") <= first(events, "hold_started"), key


def test_tickets_are_created_before_anything_else(clean_day: Timed) -> None:
    tickets = by_entity(clean_day, ("ticket",))
    assert len(tickets) > 300
    for key, events in tickets.items():
        assert events[0][1] == "created", key
        solved = [t for t, a, d in events if a == "status_changed" and d["status"] == "solved"]
        assert all(events[0][0] <= t for t in solved), key


def test_surveys_are_sent_before_they_are_answered(clean_day: Timed) -> None:
    for key, events in by_entity(clean_day, ("survey",)).items():
        assert events[0][1] == "sent", key
        assert [a for _, a, _ in events] in (["sent"], ["sent", "responded"]), key


def test_agents_only_take_contacts_when_available(any_day: Timed) -> None:
    state: dict[str, str] = {}
    allowed = {
        "available": {"on_contact", "away", "offline"},
        "on_contact": {"after_contact_work"},
        "after_contact_work": {"available", "away", "offline"},
        "away": {"available", "offline"},
        "offline": {"available"},
    }
    for _, record in any_day:
        data = record.value["data"]
        if record.value["type"] == "agent.state_changed":
            before = state.get(data["agent_id"])
            assert before is None or data["state"] in allowed[before], (before, data)
            state[data["agent_id"]] = data["state"]
        elif record.value["type"].endswith(".answered"):
            assert state[data["agent_id"]] == "available", data


def test_agent_states_carry_queues_and_team(clean_day: Timed) -> None:
    multi = set()
    for _, record in clean_day:
        if record.value["type"] == "agent.state_changed":
            data = record.value["data"]
            assert data["queues"] and data["team"]
            if len(data["queues"]) > 1:
                multi.add(data["agent_id"])
    assert len(multi) >= 10  # many agents serve several queues


def test_the_day_has_a_quiet_night_and_busy_peaks(clean_day: Timed) -> None:
    per_hour = Counter(
        (parse_time(r.value["time"]) - clean_day[0][0]) // HOUR_MS
        for _, r in clean_day
        if r.value["type"].endswith(".queued")
    )
    night = per_hour[2] + per_hour[3]
    peak = per_hour[10] + per_hour[14]
    assert peak > 8 * night


def test_outcomes_have_realistic_shares(clean_day: Timed) -> None:
    contacts = by_entity(clean_day, ("call", "chat"))
    outcomes = Counter()
    waits, short = [], 0
    for events in contacts.values():
        actions = {a for _, a, _ in events}
        queued = events[0][0]
        if "answered" in actions:
            outcomes["answered"] += 1
            waits.append(first(events, "answered") - queued)
        elif "abandoned" in actions:
            outcomes["abandoned"] += 1
            short += first(events, "abandoned") - queued < 10_000
        outcomes["transferred"] += "transferred" in actions
    offered = outcomes["answered"] + outcomes["abandoned"]
    assert 0.03 < outcomes["abandoned"] / offered < 0.25
    assert 0 < short < outcomes["abandoned"]
    assert 0.02 < outcomes["transferred"] / offered < 0.15
    assert 2_000 < median(waits) < 60_000  # ringing included


def test_customers_come_back_within_a_day_at_a_realistic_share(clean_day: Timed) -> None:
    seen: dict[str, int] = {}
    repeats = total = 0
    for _, record in clean_day:
        if record.value["type"].endswith(".queued"):
            customer = record.value["data"].get("customer_id")
            if customer is None:
                continue
            t = parse_time(record.value["time"])
            total += 1
            repeats += customer in seen and t - seen[customer] < 24 * HOUR_MS
            seen[customer] = t
    assert 0.05 < repeats / total < 0.3


@pytest.mark.parametrize(
    ("kind", "good", "low", "high"),
    [
        ("csat", lambda s: s >= 4, 0.55, 0.95),
        ("ces", lambda s: s >= 5, 0.55, 0.95),
        ("nps", lambda s: s >= 9, 0.3, 0.8),
    ],
)
def test_survey_scores_lean_positive(
    clean_day: Timed, kind: str, good: Any, low: float, high: float
) -> None:
    scores = [
        r.value["data"]["score"]
        for _, r in clean_day
        if r.value["type"] == "survey.responded" and r.value["data"]["kind"] == kind
    ]
    assert len(scores) >= 20
    assert low < sum(map(good, scores)) / len(scores) < high


def test_every_queue_is_busy(clean_day: Timed) -> None:
    queues = Counter(
        r.value["data"]["queue"] for _, r in clean_day if r.value["type"].endswith(".queued")
    )
    assert set(queues) == {"billing", "tech-support", "sales", "vip", "retention"}
    assert queues["billing"] > queues["vip"]
