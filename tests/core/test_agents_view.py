"""The opt-in agents view, worked out by hand: state and time in it, contacts handled
and AHT today per agent, by team; joined across workers; and never a metric label."""

from __future__ import annotations

import pytest
from helpers import agent, call, ms

from stream.core.agents_view import merge_agents
from stream.core.config import Config
from stream.core.replay import replay

ON = Config(agents_view=True)  # cxkpi worker --agents-view

LINES = [
    agent(0, "ana", "available", queues=["billing"], team="blue"),
    agent(0, "bo", "available", queues=["billing"], team="green"),
    call("queued", 10, "c1", queue="billing"),
    call("answered", 20, "c1", agent_id="ana"),
    agent(20, "ana", "on_contact", queues=["billing"], team="blue"),
    call("ended", 200, "c1"),
    call("wrapup_ended", 260, "c1"),  # handled 240 s
    agent(260, "ana", "available", queues=["billing"], team="blue"),
    call("queued", 300, "c2", queue="billing"),
    call("answered", 310, "c2", agent_id="ana"),
    call("ended", 400, "c2"),
    call("wrapup_ended", 430, "c2"),  # handled 120 s
]


def view(at: float) -> dict[str, dict]:
    engine = replay(LINES, at_ms=ms(at), config=ON).engine
    return {row["agent"]: row for row in engine.agents_view(ms(at))}


def test_state_time_in_state_handled_and_aht_today_per_agent():
    rows = view(500)
    ana, bo = rows["ana"], rows["bo"]
    assert (ana["team"], ana["state"], ana["in_state_s"]) == ("blue", "available", 240)
    assert (ana["handled_today"], ana["aht_today_s"]) == (2, pytest.approx(180))
    assert (bo["team"], bo["state"], bo["handled_today"], bo["aht_today_s"]) == (
        "green",
        "available",
        0,
        None,
    )


def test_agent_ids_never_become_metric_labels():
    families = replay(LINES, at_ms=ms(500), config=ON).families()
    labels = {value for family in families for values, _ in family.samples for value in values}
    assert not {"ana", "bo"} & labels


def test_workers_parts_join_by_agent():
    presence = [{"agent": "ana", "team": "blue", "state": "on_contact", "in_state_s": 5.0}]
    counts = [{"agent": "ana", "handled_today": 3, "handle_s_today": 300.0}]
    (row,) = merge_agents([presence, counts])
    assert row == {
        "agent": "ana",
        "team": "blue",
        "state": "on_contact",
        "in_state_s": 5.0,
        "handled_today": 3,
        "handle_s_today": 300.0,
        "aht_today_s": 100.0,
    }


def test_off_no_agent_is_counted():
    engine = replay(LINES, at_ms=ms(500)).engine
    assert all(row["handled_today"] == 0 for row in engine.agents_view(ms(500)))
    assert not any(route.startswith("a:") for route in engine.slices)  # no route, no write
