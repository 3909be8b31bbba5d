"""The demo's traffic flags reach the simulator it runs."""

from __future__ import annotations

from stream.cli.demo import plan_from_args
from stream.cli.main import build_parser
from stream.sim.settings import DEMO_AGENTS, DEMO_FLOOR_TARGET, DEMO_RATE


def test_the_demo_plays_a_managed_floor_by_default_and_none_with_a_target_of_zero():
    parser = build_parser("demo")
    traffic = plan_from_args(parser.parse_args(["demo"])).traffic
    assert (traffic.agents, traffic.contacts_per_hour) == (DEMO_AGENTS, DEMO_RATE)
    assert traffic.floor_target == DEMO_FLOOR_TARGET
    unmanaged = plan_from_args(parser.parse_args(["demo", "--floor-target", "0"])).traffic
    assert unmanaged.floor_target is None
