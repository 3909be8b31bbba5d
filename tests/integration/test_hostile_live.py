"""Hostile input at volume through a live worker (issue 10, item 2): 1,300 messages of
every hostile kind (stream/sim/hostile.py) among valid traffic. The worker lives,
dead-letters each hostile message with its reason, counts it exactly, and counts every
valid event exactly: live equals replay. The 100,000-message run with its RSS is
``bench/hostile_bench.py``."""

from __future__ import annotations

from collections import Counter

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
