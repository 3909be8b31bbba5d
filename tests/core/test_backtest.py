"""``cxkpi backtest``: every estimator's estimate and error on a day small enough to do by hand."""

from __future__ import annotations

import io
import sys

import pytest
from helpers import agent, call

from stream.cli.main import main
from stream.core.backtest import backtest

# c0 sets the handle time (answered at once, 100 s to wrap-up); a1 is then busy for good.
DAY = [
    agent(0, "a1", "on_contact", queues=["billing"]),
    call("queued", 0, "c0", queue="billing"),
    call("answered", 0, "c0", agent_id="a1"),
    call("wrapup_ended", 100, "c0"),
    # c1 joins at 200 with nobody ahead: ours (0 + 1) × 100 s / 1 agent = 100 s; ASA 0 s;
    # head of line 0 s; Asterisk (3 × 0 + 0) / 4 = 0 s. It waits 60 s.
    call("queued", 200, "c1", queue="billing"),
    call("answered", 260, "c1", agent_id="a1"),
    # c2 at 300: ours 100 s; ASA (0 + 60) / 2 = 30 s; head of line 0 s; Asterisk
    # (3 × 0 + 60) / 4 = 15 s. It waits 20 s.
    call("queued", 300, "c2", queue="billing"),
    call("answered", 320, "c2", agent_id="a1"),
    # c3 abandons: no real wait to compare with.
    call("queued", 400, "c3", queue="billing"),
    call("abandoned", 450, "c3"),
]


def test_estimates_and_errors_by_hand():
    billing, everything = backtest(DAY)
    assert (billing.queue, billing.channel, billing.answered) == ("billing", "voice", 3)
    assert billing.compared == 2  # c0: no estimator had anything yet (ours, ASA, Asterisk)
    # Errors: ours 40, 80; ASA 60, 10; head of line 60, 20; Asterisk 60, 5.
    expected = {
        "ours": (60.0, 80.0),
        "asa_15m": (35.0, 60.0),
        "head_of_line": (40.0, 60.0),
        "asterisk": (32.5, 60.0),
    }
    for name, (mae, p90) in expected.items():
        score = billing.scores[name]
        assert (score.contacts, score.mean_abs_error_s, score.p90_abs_error_s) == pytest.approx(
            (2, mae, p90)
        ), name
    assert everything.queue == "*" and everything.scores == billing.scores


def test_the_command_prints_a_markdown_table(tmp_path, monkeypatch):
    path = tmp_path / "day.jsonl"
    path.write_bytes(b"\n".join(DAY) + b"\n")
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["backtest", str(path)]) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("| queue | channel | answered | compared | ours MAE | ours p90 |")
    assert (
        lines[2]
        == "| billing | voice | 3 | 2 | 60.0 | 80.0 | 35.0 | 60.0 | 40.0 | 60.0 | 32.5 | 60.0 |"
    )
    assert lines[3].startswith("| * | * | 3 | 2 | 60.0 |")
