"""cxkpi's Faust transport: Faust's aiokafka transport with a consumer that fails clearly
and does not sit on the broker for 1.5 s.

Registered under the ``faust.transports`` entry point as ``cxkpi``, and chosen by the
worker through its broker URLs (``cxkpi://host:9092``). Everything else is Faust's own
aiokafka driver: group membership, the assignor, table recovery, the producer.

Fetch wait. Faust's driver hard-codes ``fetch_max_wait_ms=1500``: on a quiet
partition a fetch waits up to 1.5 s on the broker for data, and a wallboard is that
much behind. ``Settings`` adds ``consumer_fetch_max_wait_ms`` (default 100, the
worker's ``--fetch-max-wait-ms``), a setting like Faust's own, and ``ConsumerThread``
gives it to aiokafka's consumer before it starts (aiokafka reads it at start, when it
builds its fetcher). ``App`` is a Faust app with these settings.

A record batch aiokafka cannot decompress (a codec whose library is missing, or one a
future Kafka adds) makes every fetch of that partition fail again at the same offset:
left alone, Faust's fetcher crashes with ``UnsupportedCodecError`` and no hint where,
and a restarted worker dies the same way. This consumer finds the partition and
offset, says once what to install, and stops the worker with ``UndecodableBatch``;
``cxkpi worker`` turns that into exit status ``EXIT_UNDECODABLE``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import faust
from aiokafka import TopicPartition
from aiokafka.errors import UnsupportedCodecError
from faust.transport.drivers import aiokafka as driver
from faust.types.settings import params, sections

from ..core.errors import CxkpiError

__all__ = [
    "EXIT_UNDECODABLE",
    "SCHEME",
    "App",
    "Consumer",
    "ConsumerThread",
    "Settings",
    "Transport",
    "UndecodableBatch",
]

log = logging.getLogger("cxkpi.worker")

#: The URL scheme that selects this transport (``cxkpi://host:port``).
SCHEME = "cxkpi"
#: ``cxkpi worker`` exit status for a batch it cannot decompress (sysexits EX_DATAERR).
EXIT_UNDECODABLE = 65
#: How many records a search for the undecodable batch reads per partition at most.
LOCATE_LIMIT = 100_000
#: What installs the codecs aiokafka knows (they all come from cramjam).
KNOWN_CODECS = ("gzip", "snappy", "lz4", "zstd")


class UndecodableBatch(CxkpiError):
    """A record batch this process cannot decompress.

    Its text is short, because Faust repeats a crash reason in several log lines;
    ``explain()`` is the full story, logged once.
    """

    def __init__(self, topic: str, partition: int, offset: int | None, problem: str) -> None:
        self.topic, self.partition, self.offset, self.problem = topic, partition, offset, problem
        super().__init__("undecodable record batch: see the CRITICAL log line before this")

    def explain(self) -> str:
        where = f"{self.topic} partition {self.partition}"
        where += f" at offset {self.offset}" if self.offset is not None else ""
        return f"cannot decompress the record batch in {where}: {self.problem}; " + advice(
            self.problem
        )


def advice(problem: str) -> str:
    """What an operator should do about an aiokafka codec error message."""
    if any(f"for {name} " in problem for name in KNOWN_CODECS):
        return (
            "cxkpi depends on cramjam for snappy, lz4 and zstd; reinstall it "
            "(pip install 'cramjam>=2.8') in the worker's environment"
        )
    return (
        "the producer or the broker used a codec this aiokafka does not know; upgrade "
        "cxkpi (and aiokafka), or set the topic's compression.type to gzip, snappy, lz4 "
        "or zstd"
    )


class Settings(faust.Settings):
    """Faust's settings, and the one Faust's aiokafka driver does not let you set."""

    @sections.Consumer.setting(
        params.UnsignedInt,
        version_introduced="cxkpi 0.1",
        env_name="CONSUMER_FETCH_MAX_WAIT_MS",
        default=100,
    )
    def consumer_fetch_max_wait_ms(self) -> int:
        """How long a fetch may wait on the broker for data to arrive (milliseconds).

        Lower is fresher on quiet partitions; higher means fewer fetch requests when
        there is little traffic. Faust's driver uses 1500.
        """


class App(faust.App):
    """A Faust app with cxkpi's settings."""

    Settings = Settings


class ConsumerThread(driver.AIOKafkaConsumerThread):
    """Faust's consumer thread, building aiokafka's consumer with the configured fetch wait."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # Set before start(): aiokafka hands it to its Fetcher there (pinned: aiokafka 0.14).
        consumer._fetch_max_wait_ms = self.app.conf.consumer_fetch_max_wait_ms
        return consumer


class Consumer(driver.Consumer):
    """Faust's aiokafka consumer, stopping with ``UndecodableBatch`` instead of crash-looping."""

    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _getmany(self, active_partitions: Any, timeout: float) -> Any:
        try:
            return await super()._getmany(active_partitions, timeout)
        except UnsupportedCodecError as exc:
            error = await self._locate(active_partitions or self.assignment(), str(exc))
            log.critical("%s", error.explain())
            raise error from None

    async def _locate(self, partitions: Iterable[Any], problem: str) -> UndecodableBatch:
        """Find the partition and offset of the batch that cannot be decompressed.

        aiokafka's error does not say where. Reading each partition again from its
        position, one record at a time, fails exactly at the first offset of that
        batch. The worker stops after this, and nothing read here is processed or
        committed: the next start reads the same records again.
        """
        thread = self._thread
        for tp in sorted(partitions):
            try:
                offset = await thread.call_thread(_first_undecodable, thread._consumer, tp)
            except Exception as exc:  # the search itself failed: report without offset
                log.debug("locating the undecodable batch in %s failed: %r", tp, exc)
                continue
            if offset is not None:
                return UndecodableBatch(tp.topic, tp.partition, offset[0], offset[1])
        first = min(partitions, default=None)
        if first is None:
            return UndecodableBatch("?", -1, None, problem)
        return UndecodableBatch(first.topic, first.partition, None, problem)


async def _first_undecodable(consumer: Any, tp: Any) -> tuple[int, str] | None:
    """(offset, error) of the first batch of ``tp`` that fails to decompress, or None."""
    tp = TopicPartition(tp.topic, tp.partition)  # aiokafka asserts its own type
    for _ in range(LOCATE_LIMIT):
        position = await consumer.position(tp)
        try:
            batch = await consumer.getmany(tp, timeout_ms=2000, max_records=1)
        except UnsupportedCodecError as exc:
            return position, str(exc)
        if not batch.get(tp):
            return None
    return None


class Transport(driver.Transport):
    """Faust's aiokafka transport with cxkpi's consumer."""

    Consumer = Consumer
