"""Route caps: a flood of queue and team names cannot make stage 2 hold a slice per name.

Each source admits the first names its events bring (stages.RouteCaps); facts of other
names are summed in the route ``q:__other__`` (``t:__other__``) and shown as
``__other__``, as the label caps show a folded name. So totals over all queues never
change, and the queues admitted keep every number of their own.
"""

from __future__ import annotations

import random

from helpers import Kpis, agent, call, cfg, ms, survey, ticket
from hypothesis import given
from hypothesis import strategies as st
from test_properties import FAST, at_ms, merge, scenarios

from stream.core import stages
from stream.core.engine import Engine
from stream.core.replay import Replayed, replay
from stream.core.stages import OTHER_QUEUE, OTHER_TEAM, RouteCaps

TIGHT = {"limits": {"max_queues": 1, "max_teams": 1}}  # route caps and label caps


def flood(names: int) -> list[bytes]:
    """Answered, wrapped-up calls (with customers: FCR), tickets, surveys and agents,
    each in a queue and team of its own name."""
    lines = []
    for i in range(names):
        q, team, t = f"q{i}", f"team{i}", i * 2
        lines += [
            call("queued", t, f"c{i}", queue=q, customer_id=f"u{i % 7}"),
            call("answered", t + 5, f"c{i}", agent_id=f"a{i}"),
            call("wrapup_ended", t + 60, f"c{i}", resolved=True),
            ticket("created", t, f"k{i}", queue=q),
            survey("sent", t, f"s{i}", kind="csat", queue=q, channel="voice", team=team),
            survey("responded", t + 30, f"s{i}", kind="csat", score=4),
            agent(t, f"a{i}", "available", queues=[q], team=team),
            agent(t + 10, f"a{i}", "on_contact", queues=[q], team=team),  # time in a state
        ]
    return lines


def test_a_flood_of_names_keeps_the_routes_within_the_caps():
    lines = flood(300)
    engine = replay(lines, ms(700), cfg({"limits": {"max_queues": 20, "max_teams": 10}})).engine
    summed = {route for route, held in engine.slices.items() if held.series}
    queues = {route for route in summed if route.startswith(stages.QUEUE)}
    teams = {route for route in summed if route.startswith(stages.TEAM)}
    assert OTHER_QUEUE in queues and len(queues) == 21
    assert OTHER_TEAM in teams and len(teams) == 11
    assert len(engine.caps.queues) == 20 and len(engine.caps.teams) == 10


def replay_with_caps(lines: list[bytes], at: int, queues: int, teams: int) -> Replayed:
    """Replay whose sources admit ``queues`` and ``teams`` names, under the default
    label caps (which fold nothing here): what the route caps alone do."""
    original = stages.EntityStage.caps
    stages.EntityStage.caps = lambda self: RouteCaps(queues, teams)  # type: ignore[method-assign]
    try:
        return replay(lines, at)
    finally:
        stages.EntityStage.caps = original  # type: ignore[method-assign]


def over_all_names(values: dict) -> dict:
    """Counters and counts summed over their queue and team labels."""
    summed: dict = {}
    for (name, labels), value in values.items():
        if name == "cx_label_overflow_total" or not (
            name.endswith("_total") or name in ("cx_contacts_waiting", "cx_tickets_open")
        ):
            continue
        key = (name, frozenset((k, v) for k, v in labels if k not in ("queue", "team")))
        summed[key] = summed.get(key, 0) + value
    return summed


def of(values: dict, queue: str) -> dict:
    return {key: v for key, v in values.items() if ("queue", queue) in key[1]}


def test_a_flood_past_the_route_caps_is_shown_as_other_and_counted():
    lines = flood(60)
    capped = Kpis(replay_with_caps(lines, ms(200), 20, 10).families())
    free = Kpis(replay(lines, ms(200)).families())
    assert over_all_names(capped.values) == over_all_names(free.values)
    assert of(capped.values, "q0") == of(free.values, "q0")  # admitted: all its own
    # past the route cap: no counter of its own (its live gauges go by the label caps)
    assert [key for key in of(capped.values, "q30") if key[0].endswith("_total")] == []
    other = {"queue": "__other__", "channel": "voice"}
    assert capped("cx_contacts_offered_total", **other) == 40
    assert capped("cx_contacts_answered_total", **other) == 40
    assert capped("cx_label_overflow_total") > 0 == free("cx_label_overflow_total")


@FAST
@given(scenarios(), st.randoms(use_true_random=False))
def test_any_arrival_order_with_caps_of_one_keeps_every_total(entities, rnd):
    """Caps of one queue and one team reroute most facts of a random scenario, in any
    arrival order (refolds retract facts in whichever route they went to)."""
    lines = merge(entities, rnd)
    lines = random.Random(rnd.random()).sample(lines, len(lines))  # any order at all
    at = at_ms(entities)
    capped = Kpis(replay_with_caps(lines, at, 1, 1).families()).values
    free = Kpis(replay(lines, at).families()).values
    assert over_all_names(capped) == over_all_names(free)


def test_a_name_is_admitted_by_an_event_or_never():
    caps = RouteCaps(2, 1)
    stage = Engine().entities
    decode = Engine().decoder.decode
    for line in (
        call("queued", 0, "c1", queue="a"),
        call("queued", 1, "c2", queue="b"),
        call("queued", 2, "c3", queue="c"),  # the cap is full: not admitted
        call("queued", 3, "c4", queue="a"),  # known
    ):
        caps.admit(decode(line))
    assert caps.queues == {"a", "b"} and caps.full
    assert caps.route("q:a") == "q:a" and caps.route("q:c") == OTHER_QUEUE
    assert caps.route("q:unknown") == "q:unknown"  # the surveys' name for none
    assert caps.route("u:0123") == "u:0123"  # customers are not capped
    assert stage.caps().max_queues == 500  # sized by the configuration


def test_a_wrap_up_of_a_queue_past_the_cap_derives_its_fcr_in_the_overflow_route():
    lines = [
        call("queued", 0, "c1", queue="a", customer_id="u1"),
        call("queued", 1, "c2", queue="b", customer_id="u2"),  # past a cap of one
        call("answered", 5, "c2", agent_id="x"),
        call("wrapup_ended", 60, "c2", resolved=True),
    ]
    engine = replay(lines, ms(120), cfg(TIGHT)).engine
    assert "q:b" not in engine.slices
    fcr = [key for key in engine.slices[OTHER_QUEUE].series if key[1] == "__other__"]
    assert fcr  # b's outcomes, FCR included, summed (and labelled) as __other__
