"""The worker's exposition: evaluated at most once per render interval, shared by all."""

from __future__ import annotations

import orjson

from stream.core.engine import Engine
from stream.export.text import render_text
from stream.export.wallboard import WALLBOARD_PAGE, wallboard_data
from stream.runtime.serving import Exposition


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def exposition(interval_s: float = 0.25):
    engine, clock, asked = Engine(), Clock(), []

    def evaluate(at_ms: int):
        asked.append(at_ms)
        return engine.families(at_ms)

    wall = iter(range(1_700_000_000_000, 1_800_000_000_000, 1000))
    return Exposition(evaluate, interval_s, lambda: next(wall), clock), clock, asked, engine


def test_scrapes_within_the_interval_share_one_evaluation_and_one_body():
    served, clock, asked, engine = exposition()
    first = served.metrics()
    clock.now += 0.1
    assert served.metrics() is first
    shown = served.wallboard_json()
    clock.now += 0.1
    assert served.wallboard_json() is shown
    assert len(asked) == 1
    assert first == render_text(engine.families(asked[0]))
    assert orjson.loads(shown) == wallboard_data(engine.families(asked[0]), asked[0])
    assert served.wallboard() is WALLBOARD_PAGE  # the page itself never changes


def test_a_scrape_after_the_interval_evaluates_again_at_the_new_time():
    served, clock, asked, _ = exposition()
    served.metrics()
    clock.now += 0.25
    served.metrics()
    served.wallboard_json()
    assert len(asked) == 2 and asked[1] > asked[0]


def test_interval_zero_evaluates_on_every_scrape():
    served, _, asked, _ = exposition(0)
    for _ in range(3):
        served.metrics()
    assert len(asked) == 3
