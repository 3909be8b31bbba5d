"""A 30-second cut between Kafka and the worker, or between Kafka and the producer, in
the middle of a stream (issue 10, item 1): the worker stays alive, says so in its log,
in /readyz and in cx_kafka_reachable (CxKafkaUnreachable's input, promtool-tested in
prometheus/tests), catches up afterwards, and ends equal to replay.

The cut is a proxy in front of the broker (proxy.py), advertised by the broker to every
client and told which clients to cut by the Kafka client id of their connections.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from proxy import Proxy, producer_side, worker_side
from test_worker_e2e import counted, scenario, wait_consistent
from workers import ONE_RECORD_BATCHES, far_from_midnight

from stream.runtime.broker import EmbeddedBroker, free_port
from stream.runtime.kafka_settings import KafkaSettings
from stream.runtime.producer import EventProducer, ProducerOptions, Router

pytestmark = pytest.mark.integration
CUT_S = 30.0


@pytest.fixture
def proxied(broker, tmp_path):
    """A broker reached only through a proxy that can be cut. (``broker``: for its rule
    that a missing Tansu skips on a laptop and fails in CI.)"""
    upstream = free_port()
    proxy = Proxy(upstream).start()
    embedded = EmbeddedBroker(upstream, advertise=proxy.bootstrap, log=tmp_path / "cut.log")
    try:
        embedded.start()
        yield proxy
    finally:
        embedded.stop()
        proxy.stop()


async def paced(bootstrap: str, lines: list[bytes], prefix: str, seconds: float) -> None:
    """Publish ``lines`` evenly over ``seconds`` with cxkpi's producer (the one `produce`
    and `simulate --broker` use), so that the stream runs through the cut."""
    options = ProducerOptions(**ONE_RECORD_BATCHES)
    router = Router(topic_prefix=prefix)
    started = time.monotonic()
    async with EventProducer(KafkaSettings(bootstrap=(bootstrap,)), router, options) as producer:
        for number, line in enumerate(lines):
            await producer.publish(line)
            ahead = started + seconds * (number + 1) / len(lines) - time.monotonic()
            if ahead > 0:
                await asyncio.sleep(ahead)


def readiness(worker) -> tuple[int, dict]:
    status, body = worker.get("/readyz")
    return status, json.loads(body)


def reachable(worker) -> float:
    return worker.metrics()[("cx_kafka_reachable", frozenset())]


@pytest.mark.parametrize("side", ["worker", "producer"])
async def test_a_30_s_cut_mid_stream_is_survived_told_and_caught_up(
    proxied, start_worker, topic_prefix, tmp_path, side
):
    flags, config = far_from_midnight(tmp_path)
    lines = scenario(seed=30 if side == "worker" else 31, minutes=10)
    worker = start_worker(("--topic-prefix", topic_prefix, "--broker", proxied.bootstrap, *flags))
    worker.wait_ready()
    stream = asyncio.ensure_future(paced(proxied.bootstrap, lines, topic_prefix, 50.0))
    await asyncio.sleep(10)
    before = counted(worker.metrics())
    assert before > 0
    proxied.cut(worker_side if side == "worker" else producer_side)
    cut_at = time.monotonic()

    if side == "worker":
        deadline = cut_at + 20
        while time.monotonic() < deadline and readiness(worker)[0] == 200:
            await asyncio.sleep(0.5)
        status, body = readiness(worker)
        assert status == 503 and "unreachable" in body.get("kafka", ""), body
        assert reachable(worker) == 0
        assert worker.metrics()[("cx_worker_ready", frozenset())] == 0
        assert "cannot reach Kafka at" in worker.log()
    else:
        await asyncio.sleep(10)
        assert reachable(worker) == 1 and readiness(worker)[0] == 200  # it has no outage

    await asyncio.sleep(max(0.0, cut_at + CUT_S - time.monotonic()))
    assert worker.process.poll() is None  # alive all along
    proxied.restore()
    await asyncio.wait_for(stream, 120)  # every send acknowledged: nothing was dropped
    wait_consistent(lines, worker, timeout=150, config=config)
    assert readiness(worker)[0] == 200 and reachable(worker) == 1
    if side == "worker":
        assert "is reachable again after" in worker.log()
