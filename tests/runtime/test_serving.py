"""The worker's exposition: evaluated at most once per render interval, shared by all."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from helpers import BASE_MS, call, handled_calls

from stream.core.engine import Engine
from stream.export.text import render_text
from stream.export.wallboard import WALLBOARD_PAGE, wallboard_data
from stream.runtime.serving import Exposition


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Ticking(Clock):
    """A clock 10 ms on at every reading: each search takes a step's time."""

    def __call__(self) -> float:
        self.now += 0.01
        return self.now


def exposition(interval_s: float = 0.25):
    engine, clock, asked = Engine(), Clock(), []

    def evaluate(at_ms: int):
        asked.append(at_ms)
        return engine.evaluation(at_ms)

    wall = iter(range(1_700_000_000_000, 1_800_000_000_000, 1000))
    return Exposition(evaluate, interval_s, lambda: next(wall), clock), clock, asked, engine


async def test_scrapes_within_the_interval_share_one_evaluation_and_one_body():
    served, clock, asked, engine = exposition()
    first = await served.metrics()
    clock.now += 0.1
    assert await served.metrics() is first
    shown = await served.wallboard_json()
    clock.now += 0.1
    assert await served.wallboard_json() is shown
    assert len(asked) == 1
    assert first == render_text(engine.families(asked[0]))
    assert orjson.loads(shown) == wallboard_data(engine.families(asked[0]), asked[0])
    assert served.wallboard() is WALLBOARD_PAGE  # the page itself never changes


async def test_a_scrape_after_the_interval_evaluates_again_at_the_new_time():
    served, clock, asked, _ = exposition()
    await served.metrics()
    clock.now += 0.25
    await served.metrics()
    await served.wallboard_json()
    assert len(asked) == 2 and asked[1] > asked[0]


async def test_interval_zero_evaluates_on_every_scrape():
    served, _, asked, _ = exposition(0)
    for _ in range(3):
        await served.metrics()
    assert len(asked) == 3


async def test_evaluating_and_writing_are_holds_with_ingestion_between():
    """A batch that is ready when a scrape evaluates runs before the page is written;
    each hold is reported, and a body served again reports none."""
    engine, clock, order, holds = Engine(), Clock(), [], []

    def evaluate(at_ms: int):
        order.append("evaluate")
        clock.now += 0.03  # begun 30 ms late: the first step reads one part only
        return engine.evaluation(at_ms)

    served = Exposition(evaluate, 0.25, lambda: 1_700_000_000_000, clock, observe_hold=holds.append)

    async def batch() -> None:
        order.append("batch")

    async def scrape() -> bytes:
        body = await served.metrics()
        order.append("written")
        return body

    ready = asyncio.ensure_future(batch())  # a batch whose poll has returned: its turn is next
    first = await scrape()
    await ready
    assert order[:3] == ["evaluate", "batch", "written"]
    # The read's first part; the rest of the evaluation (no time passed); the body.
    assert holds == [pytest.approx(0.03), 0.0, 0.0]
    assert await served.metrics() is first and len(holds) == 3


async def test_a_read_begins_after_a_write_under_way_and_bars_writes_until_it_ends():
    served, _, asked, _ = exposition()
    gate = served.gate
    gate.write.begin()  # a stage-2 batch waiting for the broker
    scrape = asyncio.ensure_future(served.metrics())
    for _ in range(3):
        await asyncio.sleep(0)
    assert not asked and not scrape.done()
    gate.write.end()
    await scrape
    assert len(asked) == 1 and not gate.read.under_way and not gate.write.under_way


async def test_concurrent_scrapes_share_one_evaluation_and_one_body():
    served, _, asked, _ = exposition()
    bodies = await asyncio.gather(served.metrics(), served.metrics(), served.metrics())
    assert len(asked) == 1
    assert bodies[0] == bodies[1] == bodies[2]


async def test_an_evaluation_runs_in_steps_with_ingestion_between_and_scrapes_share_it():
    """The read of the state in parts, then three agents-required searches, a step
    each: a batch let in once the read is over (as the worker does) changes nothing
    the scrapes get, and both scrapes share the one evaluation."""
    engine, twin = Engine(), Engine()
    for queue in ("q1", "q2", "q3"):
        handled_calls(engine, queue, 10)
        handled_calls(twin, queue, 10)
    at_ms = BASE_MS + 600_000
    expected = render_text(twin.families(at_ms))

    holds: list[float] = []
    read: list[int] = []  # how many holds the read took

    def observe(seconds: float) -> None:
        holds.append(seconds)
        if not read and not served.gate.read.under_way:  # read: a batch is ready now
            read.append(len(holds))
            raw = call("queued", 590, "late-comer", queue="q1")
            asyncio.get_running_loop().call_soon(engine.ingest, raw, at_ms)

    served = Exposition(
        engine.evaluation, 0.25, lambda: at_ms, Ticking(), observe_hold=observe, step_s=0.015
    )
    bodies = await asyncio.gather(served.metrics(), served.metrics())
    assert bodies[0] == bodies[1] == expected
    assert served.evaluations == 1
    assert read[0] >= 2  # the read took steps of its own
    assert len(holds) >= read[0] + 3  # then two more steps of searches at least, the body
    assert render_text(engine.families(at_ms)) != expected  # the late comer counts now


async def test_a_body_after_searches_in_steps_waits_for_the_batch_their_end_let_in():
    """The searches end in a task of their own; the request that waited for them
    resumes a turn later, so a batch ready at their last hold runs before the body's
    hold, and no hold of the scrape follows another without ingestion between."""
    engine = Engine()
    for queue in ("q1", "q2", "q3"):
        handled_calls(engine, queue, 10)
    at_ms = BASE_MS + 600_000
    order: list[str] = []

    def observe(seconds: float) -> None:
        order.append("hold")
        if served.evaluations == 1 and "batch" not in order:  # the hold that published
            asyncio.get_running_loop().call_soon(order.append, "batch")

    served = Exposition(
        engine.evaluation, 0.25, lambda: at_ms, Ticking(), observe_hold=observe, step_s=0.015
    )
    await served.metrics()
    assert len(order) >= 5 and order[-2:] == ["batch", "hold"]
    assert set(order[:-2]) == {"hold"}


class FailingRead:
    reading = True

    def step(self, deadline: float, clock: object) -> bool:
        raise RuntimeError("a bug in the read")


@pytest.mark.parametrize("where", ["begin", "step"])
async def test_a_read_that_fails_lets_the_writers_go_on(where):
    def evaluate(at_ms: int):
        if where == "begin":
            raise RuntimeError("a bug in the evaluation")
        return FailingRead()

    served = Exposition(evaluate, 0.25, lambda: 1_700_000_000_000, Clock())
    with pytest.raises(RuntimeError):
        await served.metrics()
    assert not served.gate.read.under_way
