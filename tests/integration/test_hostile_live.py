"""Hostile input at volume through a live worker (issue 10, item 2): 1,300 messages of
every hostile kind (stream/sim/hostile.py) among valid traffic. The worker lives,
dead-letters each hostile message with its reason, counts it exactly, and counts every
valid event exactly: live equals replay. The 100,000-message run with its RSS is
``bench/hostile_bench.py``."""

from __future__ import annotations

import time
from collections import Counter

import orjson
import pytest
from test_worker_e2e import produce, scenario, wait_consistent

from stream.core.decode import Decoder
from stream.core.events import Invalid
from stream.sim.hostile import KINDS, interleave

pytestmark = pytest.mark.integration
HOSTILE = 100 * len(KINDS)


async def test_hostile_messages_at_volume_are_dead_lettered_and_counted_exactly(
    broker, start_worker, topic_prefix, read_topic
):
    lines = interleave(scenario(seed=50, minutes=5), HOSTILE, seed=50)
    decoder = Decoder()
    refused = Counter(r.reason for r in map(decoder.decode, lines) if isinstance(r, Invalid))
    assert sum(refused.values()) >= HOSTILE  # the stream's own faults come on top

    worker = start_worker(("--topic-prefix", topic_prefix))
    worker.wait_ready()
    await produce(broker.bootstrap, lines, topic_prefix)
    wait_consistent(lines, worker, timeout=150)  # cx_events_invalid_total by reason too

    letters = await read_topic(topic_prefix + "cx.deadletter", sum(refused.values()), timeout=60)
    assert Counter(dict(r.headers)["reason"].decode() for r in letters) == refused
    assert worker.process.poll() is None


async def test_a_flood_of_queue_names_stays_capped_and_every_contact_is_counted(
    broker, start_worker, topic_prefix, tmp_path
):
    """One bad producer, 1,000 distinct queue names, a cap of 20: at most 20 queue
    series plus ``__other__``, every offer still counted, the folding counted."""
    config = tmp_path / "cxkpi.toml"
    config.write_text("[limits]\nmax_queues = 20\n")
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 30))
    lines = [
        orjson.dumps({"specversion": "1.0", "id": f"flood-{n}", "source": "/bad", "time": now,
                      "type": "call.queued", "data": {"contact_id": f"F-{n}", "queue": f"q{n:04}"}})
        for n in range(1000)
    ]  # fmt: skip
    worker = start_worker(("--topic-prefix", topic_prefix, "--config", str(config)))
    worker.wait_ready()
    await produce(broker.bootstrap, lines, topic_prefix)

    def offered() -> dict[str, float]:
        return {
            dict(labels)["queue"]: value
            for (name, labels), value in worker.metrics().items()
            if name == "cx_contacts_offered_total"
        }

    deadline = time.monotonic() + 60
    while sum(offered().values()) < len(lines) and time.monotonic() < deadline:
        time.sleep(0.3)
    queues = offered()
    assert sum(queues.values()) == len(lines)  # folded, never dropped
    assert len(queues) <= 21 and "__other__" in queues
    overflow = worker.metrics()[("cx_label_overflow_total", frozenset())]
    assert overflow >= len(lines) - 20
    assert worker.process.poll() is None
