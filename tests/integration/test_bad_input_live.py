"""Unusual and bad input through a live worker (issue 14): compressed batches, timestamps.

The judge is the one of test_worker_e2e: /metrics equals ``cxkpi replay`` of the same
lines. Batches here are real multi-record batches, as producers send them: no test in
this module restarts a worker, so Tansu's ListOffsets quirk does not matter.
"""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest
from rfc3339_cases import NOT_RFC3339
from test_worker_e2e import produce, scenario, wait_consistent
from workers import cxkpi, jsonl, samples

CODECS = ("none", "gzip", "snappy", "lz4", "zstd")


@pytest.mark.parametrize("codec", CODECS)
def test_every_codec_is_counted_exactly(broker, start_worker, topic_prefix, tmp_path, codec):
    lines = scenario(seed=14, minutes=4)
    events = jsonl(tmp_path / "events.jsonl", lines)
    worker = start_worker(("--topic-prefix", topic_prefix))
    worker.wait_ready()
    produced = cxkpi("produce", str(events), "-q", "--broker", broker.bootstrap,
                     "--topic-prefix", topic_prefix, "--compression", codec)  # fmt: skip
    assert produced.returncode == 0, produced.stderr
    wait_consistent(lines, worker)
    assert worker.process.poll() is None


def _hide_cramjam(directory: Path) -> dict[str, str]:
    """An environment whose Python cannot import cramjam, as if it were not installed."""
    directory.mkdir()
    (directory / "cramjam.py").write_text("raise ImportError('cramjam hidden by the test')\n")
    return {"PYTHONPATH": str(directory)}


async def test_a_batch_it_cannot_decompress_stops_the_worker_with_where_and_what(
    broker, start_worker, topic_prefix, tmp_path, make_producer, create_topics
):
    # A codec the worker cannot decode stands for one a future Kafka adds: the worker
    # must say where and what to install, once, and exit with its own status.
    env = _hide_cramjam(tmp_path / "no-cramjam")
    worker = start_worker(("--topic-prefix", topic_prefix, "--partitions", "1"), env=env)
    worker.wait_ready()
    plain = [line for line in scenario(seed=3, minutes=2) if b"call.queued" in line][:5]
    await produce(broker.bootstrap, plain, topic_prefix)  # readable: offsets 0..4
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _valid(worker.metrics()) < len(plain):
        time.sleep(0.3)
    assert _valid(worker.metrics()) == len(plain)
    producer = await make_producer(compression_type="lz4", max_batch_size=64 * 1024, linger_ms=50)
    for line in plain:
        key = orjson.loads(line)["data"]["contact_id"].encode()
        await producer.send(topic_prefix + "cx.calls", line.replace(b'"id":"', b'"id":"z'), key=key)
    await producer.flush()
    assert worker.process.wait(60) == 65, worker.log()[-3000:]
    log = worker.log()
    message = f"cannot decompress the record batch in {topic_prefix}cx.calls partition 0 at offset"
    assert log.count(message) == 1, log[-3000:]
    assert "lz4" in log and "pip install 'cramjam>=2.8'" in log
    # Restarted in the same environment, it says the same again instead of looping mutely.
    again = start_worker(("--topic-prefix", topic_prefix, "--partitions", "1"), env=env)
    assert again.process.wait(60) == 65
    assert message + " 5:" in again.log()


def _valid(metrics: dict) -> float:
    return sum(v for (name, _), v in metrics.items() if name == "cx_events_total")


async def test_timestamps_are_strict_rfc3339_live(broker, start_worker, topic_prefix, read_topic):
    now = time.time()
    stamp = time.strftime("%Y-%m-%dt%H:%M:%S", time.gmtime(now - 30))
    good = [_queued(f"ok{i}", text) for i, text in enumerate((stamp + ".825z", stamp + "+00:00"))]
    bad = [_queued(f"bad{i}", text) for i, text in enumerate(NOT_RFC3339)]
    worker = start_worker(("--topic-prefix", topic_prefix))
    worker.wait_ready()
    await produce(broker.bootstrap, good + bad, topic_prefix)
    records = await read_topic(topic_prefix + "cx.deadletter", len(bad), timeout=30)
    assert sorted(r.value for r in records) == sorted(bad)
    assert {dict(r.headers)["reason"] for r in records} == {b"bad_time"}
    wait_consistent(good + bad, worker)
    live = samples(worker.get("/metrics")[1].decode())
    offered = sum(v for (name, _), v in live.items() if name == "cx_contacts_offered_total")
    assert offered == len(good)


def _queued(contact: str, when: str) -> bytes:
    return orjson.dumps(
        {
            "specversion": "1.0",
            "id": contact,
            "source": "/test/times",
            "type": "call.queued",
            "time": when,
            "data": {"contact_id": contact, "queue": "billing"},
        }
    )


def test_the_advice_names_the_fix():
    from stream.runtime.transport import advice

    assert "cramjam" in advice("Libraries for zstd compression codec not found")
    assert "upgrade" in advice("Unknown compression codec 0x05")
