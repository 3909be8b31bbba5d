"""``cxkpi simulate``: JSON Lines out, same bytes as the library, pacing, errors."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import orjson
import pytest
from sim_args import FLAGS, SETTINGS, START

from stream.cli.main import main
from stream.cli.simulate import settings_from_args
from stream.core.events import TOPIC_OF_TYPE
from stream.core.timeutil import parse_time
from stream.runtime.publishing import paced
from stream.sim import iter_events, write_jsonl

ARGS = ["simulate", *FLAGS]


def test_writes_json_lines_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sim.jsonl"
    assert main([*ARGS, "--output", str(out)]) == 0
    lines = out.read_bytes().splitlines()
    assert len(lines) > 100
    events, invalid = [], 0
    for line in lines:
        try:
            events.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            invalid += 1
    assert {e["type"] for e in events if e.get("type") in TOPIC_OF_TYPE} >= {
        "call.queued",
        "agent.state_changed",
        "ticket.created",
    }
    assert f"{len(lines)} messages to {out}" in capsys.readouterr().err


def test_output_is_what_the_library_writes(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main([*ARGS, "--quiet"]) == 0
    written = capsysbinary.readouterr().out
    expected = io.BytesIO()
    write_jsonl(iter_events(SETTINGS, parse_time(START)), expected)
    assert written == expected.getvalue()


def test_flags_map_onto_settings() -> None:
    args = argparse.Namespace(
        queues=7,
        agents=70,
        rate=250.0,
        duration=60,
        seed=9,
        channels=("chat",),
        chat_share=0.3,
        curve="flat",
        timezone="Europe/Paris",
        duplicates=0.0,
        late=0.0,
        out_of_order=0.1,
        invalid=0.0,
        floor_target=0.85,
    )
    settings = settings_from_args(args)
    assert (settings.queues, settings.contacts_per_hour, settings.effective_chat_share) == (
        7,
        250,
        1,
    )
    assert settings.timezone == "Europe/Paris" and settings.out_of_order == 0.1
    assert settings.floor_target == 0.85
    assert (
        settings_from_args(argparse.Namespace(**{**vars(args), "floor_target": 0})).floor_target
        is None
    )


@pytest.mark.parametrize(
    "bad",
    [
        ["--start", "yesterday"],
        ["--invalid", "2"],
        ["--queues", "0"],
        ["--channels", "fax"],
        ["--timezone", "Mars/Olympus"],
        ["--floor-target", "1"],
    ],
)
def test_bad_arguments_fail_with_a_message(
    bad: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(["simulate", "--duration", "60", "-o", str(tmp_path / "x"), *bad])
    except SystemExit as exc:  # argparse refuses
        code = exc.code
    assert code == 2
    assert capsys.readouterr().err


def test_realtime_pacing_sleeps_until_each_emission_time() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    records = [(1_000, "a"), (1_000, "b"), (3_000, "c"), (2_500, "d")]
    out = list(paced(records, 1_000, speed=2.0, monotonic=lambda: now[0], sleep=sleep))
    assert [r for _, r in out] == ["a", "b", "c", "d"]
    assert slept == [1.0]
