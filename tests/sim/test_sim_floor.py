"""The floor manager: agents to back-office work when a queue runs ahead of its target,
back onto the phones when it slips; breaks and shift ends still come first."""

from __future__ import annotations

from collections import Counter

from sim_fixtures import DAY_START_MS

from stream.core.timeutil import MINUTE_MS
from stream.sim import Record, SimSettings
from stream.sim.curve import SHAPES, DailyCurve
from stream.sim.floor import CHECK_MS, MEMORY_MS, FloorManager
from stream.sim.workforce import Workforce
from stream.sim.world import World


def staffed_floor(agents: int = 8) -> tuple[World, Workforce, FloorManager]:
    """Every agent on shift and idle, and a floor manager aiming at 80 %."""
    settings = SimSettings(queues=2, agents=agents, curve="flat", floor_target=0.8)
    world = World(settings, DAY_START_MS)
    workforce = Workforce(world, DailyCurve(SHAPES["flat"]), on_shift_end=lambda agent: None)
    for agent in workforce.roster:
        agent.on_shift = True
        workforce.free(agent)
    return world, workforce, FloorManager(world, workforce, 0.8)


def run_until(world: World, at_ms: int) -> None:
    while world.sched.step() and world.sched.now < at_ms:
        pass


def test_a_queue_far_ahead_sends_two_idle_agents_of_its_own_to_back_office() -> None:
    world, workforce, floor = staffed_floor()
    for _ in range(10):
        floor.answered("billing", 5_000)
    floor.start()
    world.outbox.clear()
    run_until(world, DAY_START_MS + CHECK_MS)
    moved = list(workforce.back_office.values())
    assert len(moved) == 2
    assert all(agent.queues[0] == "billing" and agent.state == "away" for agent in moved)
    assert all(agent.agent_id not in workforce.idle for agent in moved)
    away = [r.value["data"] for r in world.outbox if r.value["data"]["state"] == "away"]
    assert sorted(d["agent_id"] for d in away) == sorted(a.agent_id for a in moved)


def test_a_slipping_queue_calls_its_back_office_agents_back_first() -> None:
    world, workforce, floor = staffed_floor()
    for agent in list(workforce.idle.values()):
        workforce.start_back_office(agent)
    for _ in range(6):
        floor.answered("billing", 60_000)
    floor.abandoned("billing", 5_000)  # short: not counted
    for _ in range(4):
        floor.abandoned("billing", 40_000)
    assert floor.recent_level("billing") == 0.0
    floor.start()
    run_until(world, DAY_START_MS + CHECK_MS)
    back = [a for a in workforce.roster if a.agent_id in workforce.idle]
    assert len(back) == 2  # far below: two a check
    assert all(a.queues[0] == "billing" and a.state == "available" for a in back)


def test_a_queue_near_its_target_or_with_few_outcomes_moves_nobody() -> None:
    world, workforce, floor = staffed_floor()
    for waited in [5_000] * 8 + [30_000] * 2:  # 80 %
        floor.answered("billing", waited)
    for _ in range(5):
        floor.answered("tech-support", 1_000)  # too few to act on
    floor.start()
    run_until(world, DAY_START_MS + CHECK_MS)
    assert not workforce.back_office
    run_until(world, DAY_START_MS + MEMORY_MS + 2 * CHECK_MS)
    assert floor.recent_level("billing") is None  # forgotten


def test_a_break_or_the_shift_end_ends_back_office_work() -> None:
    world, workforce, _ = staffed_floor()
    first, second = list(workforce.idle.values())[:2]
    workforce.start_back_office(first)
    workforce.start_back_office(second)
    workforce._break_start(first, 15 * MINUTE_MS)
    workforce._shift_end(second)
    assert not workforce.back_office
    assert first.state == "away" and second.state == "offline"
    run_until(world, DAY_START_MS + 16 * MINUTE_MS)
    assert first.state == "available" and first.agent_id in workforce.idle


def test_a_managed_day_sends_agents_to_back_office_and_calls_them_back(
    managed_day: list[tuple[int, Record]],
) -> None:
    """Beyond the breaks (three a shift), the floor manager's moves: away spells that
    end on the phones, not in a shift's end."""
    returns: Counter[str] = Counter()
    state: dict[str, str] = {}
    for _, record in managed_day:
        if record.value["type"] == "agent.state_changed":
            data = record.value["data"]
            if state.get(data["agent_id"]) == "away":
                returns[data["state"]] += 1
            state[data["agent_id"]] = data["state"]
    shifts = returns["offline"] + sum(s != "offline" for s in state.values())
    assert returns["available"] > 4 * shifts  # breaks alone: at most three a shift
