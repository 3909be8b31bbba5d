"""``cxkpi simulate --broker``: straight to Kafka, same messages as the JSON Lines output.

The simulator is deterministic, so one run written to a file and one published to a
real (embedded) broker with the same seed and --start must hold the same messages:
same count, same bytes, each on the topic of its type and keyed by its entity id —
what ``cxkpi produce`` would do with the file — except that invalid messages keep the
topic and key of the event they were made from. Live runs (--realtime, --duration 0,
and as fast as possible forever) must stop on SIGINT/SIGTERM, flush, and exit 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from sim_args import FLAGS, SETTINGS, START

from stream.cli.main import main
from stream.cli.simulate import wants_kafka
from stream.core.errors import CxkpiError
from stream.core.timeutil import parse_time
from stream.runtime.producer import Router
from stream.runtime.publishing import Pacer
from stream.sim import iter_events, to_json_line

pytestmark = pytest.mark.integration


def _expected(prefix: str) -> tuple[dict[tuple[str, bytes | None], list[bytes]], set[bytes]]:
    """(topic, key) → values in send order, straight from the library; invalid values."""
    settings = SETTINGS
    expected: dict[tuple[str, bytes | None], list[bytes]] = defaultdict(list)
    invalid: set[bytes] = set()
    for record in iter_events(settings, parse_time(START)):
        key = record.key.encode() if record.key is not None else None
        value = to_json_line(record.value)[:-1]
        expected[(prefix + record.topic, key)].append(value)
        if isinstance(record.value, bytes):
            invalid.add(value)
    return expected, invalid


async def test_kafka_holds_what_the_jsonl_output_holds(
    broker, topic_prefix, read_topic, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "sim.jsonl"
    assert main(["simulate", *FLAGS, "-o", str(out), "-q"]) == 0
    lines = out.read_bytes().splitlines()
    assert len(lines) > 100
    capsys.readouterr()

    argv = ["simulate", *FLAGS, "--broker", broker.bootstrap, "--topic-prefix", topic_prefix]
    assert await asyncio.to_thread(main, argv) == 0
    err = capsys.readouterr().err
    assert f"cxkpi simulate: {len(lines)} messages to Kafka at {broker.bootstrap}" in err
    assert f"created topics {topic_prefix}cx.agents" in err and "(8 partitions)" in err

    expected, invalid = _expected(topic_prefix)
    assert invalid  # --invalid 0.02 made some
    per_topic = Counter()
    for (topic, _), values in expected.items():
        per_topic[topic] += len(values)
    records = []
    for topic, count in per_topic.items():
        records += await read_topic(topic, count)
    assert len(records) == len(lines)
    assert Counter(r.value for r in records) == Counter(lines)  # same bytes as the file

    # each (topic, key) holds exactly its events, in send order, on one partition
    got: dict[tuple[str, bytes | None], list[bytes]] = defaultdict(list)
    partitions: dict[bytes, set[int]] = defaultdict(set)
    for r in sorted(records, key=lambda r: (r.topic, r.partition, r.offset)):
        got[(r.topic, r.key)].append(r.value)
        if r.key is not None:
            partitions[r.key].add(r.partition)
    assert got == expected
    assert all(len(p) == 1 for p in partitions.values())

    # valid events go exactly where `cxkpi produce` would put them; invalid messages
    # keep the topic and key of the event they were made from (checked by `expected`)
    router = Router(topic_prefix)
    for record in records:
        if record.value not in invalid:
            route = router.route(record.value)
            assert (record.topic, record.key) == (route.topic, route.key)


def test_only_the_broker_flag_chooses_kafka(monkeypatch) -> None:
    """CXKPI_BROKER alone must not divert `cxkpi simulate | cxkpi produce -` pipelines."""
    monkeypatch.setenv("CXKPI_BROKER", "k:9092")
    args = argparse.Namespace(broker=None, output=None)
    assert not wants_kafka(args)
    args.broker = "k:9092"
    assert wants_kafka(args)
    args.output = "x.jsonl"
    with pytest.raises(CxkpiError, match="exclude each other"):
        wants_kafka(args)


def test_environment_broker_keeps_stdout(monkeypatch, capsysbinary) -> None:
    monkeypatch.setenv("CXKPI_BROKER", "127.0.0.1:1")  # nobody there: must not be used
    assert main(["simulate", *FLAGS, "-q"]) == 0
    assert capsysbinary.readouterr().out.count(b"\n") > 100


def test_catch_up_pacing_fast_forwards_to_the_clock_then_runs_in_real_time() -> None:
    mono, wall = [0.0], [1_000.0]  # the wall clock is at 1000 s; the run started at 940 s
    pacer = Pacer(
        940_000, speed=10, catch_up=True, monotonic=lambda: mono[0], clock=lambda: wall[0]
    )
    assert pacer.delay(950_000) == pytest.approx(1.0)  # 10 s of event time at 10x
    assert pacer.lag() == pytest.approx(60.0)
    mono[0], wall[0] = 6.0, 1_006.0  # 60 s of event time later, the clock moved on too
    assert pacer.lag() == pytest.approx(6.0)
    mono[0], wall[0] = 6.7, 1_006.7  # 67 s of event time: caught up
    assert pacer.lag() == 0.0
    # from now on the clock holds events back: real time
    assert pacer.delay(1_008_000) == pytest.approx(1.3)
    assert Pacer(0, 10, monotonic=lambda: 0.0).delay(1_007_000) == pytest.approx(100.7)


# -- live runs in a subprocess, stopped by a signal ----------------------------------


def _start(*argv: str, stderr_path: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "stream.cli.main", "simulate", *argv]
    with open(stderr_path, "wb") as err:
        return subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True
        )


def _wait_for(path: Path, pattern: str, process: subprocess.Popen[bytes], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace")
        if re.search(pattern, text):
            return text
        if process.poll() is not None:
            break
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    pytest.fail(f"no {pattern!r} on stderr within {timeout} s:\n{path.read_text()}")


@pytest.mark.parametrize(
    ("mode", "sig"),
    [
        (["--realtime", "--speed", "300"], signal.SIGINT),
        (["--realtime", "--speed", "300"], signal.SIGTERM),
        ([], signal.SIGINT),  # as fast as possible, forever
    ],
    ids=["realtime-sigint", "realtime-sigterm", "fast-sigint"],
)
async def test_endless_run_stops_on_a_signal_flushes_and_exits_0(
    broker, topic_prefix, read_topic, tmp_path: Path, mode: list[str], sig: signal.Signals
) -> None:
    err = tmp_path / "stderr.txt"
    process = _start(
        "--duration",
        "0",
        *mode,
        "--broker",
        broker.bootstrap,
        "--topic-prefix",
        topic_prefix,
        "--progress-seconds",
        "0.3",
        stderr_path=err,
    )
    try:
        await asyncio.to_thread(_wait_for, err, r"\d+ acknowledged", process, 30)
        os.kill(process.pid, sig)
        code = await asyncio.to_thread(process.wait, 20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    text = err.read_text()
    assert code == 0, text
    assert "Traceback" not in text
    found = re.search(r"cxkpi simulate: (\d+) messages to Kafka at .*: (.*)$", text, re.M)
    assert found, text
    sent = int(found.group(1))
    by_topic = {
        topic: int(n.replace(",", ""))
        for topic, n in (part.rsplit(" ", 1) for part in found.group(2).split(", "))
    }
    assert sent > 0 and sum(by_topic.values()) == sent
    for topic, count in by_topic.items():  # everything reported was acknowledged
        assert len(await read_topic(topic, count + 1, timeout=1.0)) == count, topic
