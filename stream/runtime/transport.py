"""cxkpi's Faust transport: Faust's aiokafka transport delivering whole polls, holding
acks until a checkpoint, failing clearly, and not sitting on the broker for 1.5 s.

Registered under the ``faust.transports`` entry point as ``cxkpi``, and chosen by the
worker through its broker URLs (``cxkpi://host:9092``). Everything else is Faust's own
aiokafka driver: group membership, the assignor, table recovery, the producer.

Batches and checkpoints. ``App.batch_agent`` registers a handler of whole polls; the
consumer calls it once per poll and topic instead of running Faust's per-message
conductor and streams. A handled message is acknowledged only after the next
checkpoint (``App.checkpoint_handler``, every ``broker_commit_interval``, before a
revocation completes and at shutdown), so Faust never commits an offset past state
that is not in the changelog yet. One lock keeps checkpoints and batches apart: a batch
in flight when partitions are revoked finishes and is checkpointed before the
revocation completes; a poll that arrives after is dropped, and read again by whoever
owns its partition next (from the committed offset, or from the beginning of a
partition with none: ``Consumer.seek_to_committed``).

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

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import partial
from typing import Any

import faust
from aiokafka import TopicPartition
from aiokafka.errors import UnsupportedCodecError
from faust.transport.drivers import aiokafka as driver
from faust.types.settings import params, sections
from faust.types.tuples import ack_lock
from mode.utils.futures import notify

from ..core.errors import CxkpiError
from .partitioner import default_partition

__all__ = [
    "EXIT_UNDECODABLE",
    "SCHEME",
    "App",
    "Consumer",
    "ConsumerThread",
    "Producer",
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
#: Keys whose partition ``key_partitions`` remembers per topic before it starts over:
#: routes repeat (queues, teams, the pipeline), and murmur2 is pure Python.
KEY_MEMO = 100_000
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

    @sections.Consumer.setting(
        params.Bool,
        version_introduced="cxkpi 0.1",
        env_name="CONSUMER_REREAD_GAPS",
        default=False,
    )
    def consumer_reread_gaps(self) -> bool:
        """Read a gap in a partition's offsets again instead of skipping it.

        Kafka leaves gaps where records were compacted away or a transaction wrote its
        markers, and Faust counts them as done. Off by default. For brokers that show
        a later record before an earlier one (Tansu, when several producers write to
        one partition at once): the earlier one comes with the next fetch. Never with
        compacted topics or transactional producers: their gaps stay, and would be read
        again for ever.
        """


BatchHandler = Callable[[list[Any]], Awaitable[None]]
CheckpointHandler = Callable[[], Awaitable[None]]


class App(faust.App):
    """A Faust app with cxkpi's settings and batch agents."""

    Settings = Settings

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch_handlers: dict[str, BatchHandler] = {}  # topic name → handler
        self.checkpoint: CheckpointHandler | None = None

    def batch_agent(self, topic: faust.TopicT) -> Callable[[BatchHandler], BatchHandler]:
        """Decorate a handler of whole polls of ``topic``'s messages (lists, in order
        per partition). Faust subscribes the topic; this transport delivers it."""

        def register(handler: BatchHandler) -> BatchHandler:
            for name in topic.topics:
                self.batch_handlers[name] = handler
            self.topics.add(topic)
            return handler

        return register

    def checkpoint_handler(self, handler: CheckpointHandler) -> CheckpointHandler:
        """Decorate what makes the handled batches durable (the worker's changelog
        writes). Messages are acknowledged, and their offsets committed, only after it
        returns."""
        self.checkpoint = handler
        return handler


class ConsumerThread(driver.AIOKafkaConsumerThread):
    """Faust's consumer thread, building aiokafka's consumer with the configured fetch wait."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # Set before start(): aiokafka hands it to its Fetcher there (pinned: aiokafka 0.14).
        consumer._fetch_max_wait_ms = self.app.conf.consumer_fetch_max_wait_ms
        return consumer


class Consumer(driver.Consumer):
    """Faust's aiokafka consumer with batch delivery and checkpointed acks, stopping
    with ``UndecodableBatch`` instead of crash-looping."""

    def __post_init__(self) -> None:
        super().__post_init__()
        # Handled, not yet checkpointed: offsets by partition, acknowledged after it.
        self._held: dict[Any, list[int]] = defaultdict(list)
        self._batches = asyncio.Lock()  # a batch and a checkpoint never interleave
        self._checkpointed_at = time.monotonic()

    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    @property
    def batches(self) -> asyncio.Lock:
        """Held while a batch is applied or a checkpoint written: whatever must see
        the tables and their changelog agree (a RocksDB reload) takes it too."""
        return self._batches

    async def checkpoint(self) -> None:
        """Make every handled batch durable, then acknowledge and commit its messages."""
        async with self._batches:
            await self._checkpoint()

    async def _checkpoint(self) -> None:
        held, self._held = self._held, defaultdict(list)
        self._checkpointed_at = time.monotonic()
        if not held:
            return
        if self.app.checkpoint is not None:
            await self.app.checkpoint()
        self._ack_offsets(held)
        await self.commit()

    async def seek_to_committed(self) -> Mapping[Any, int | None]:
        """Faust's seek to the committed offsets, and to the beginning of every
        partition of ours that has none.

        A poll dropped because a rebalance stopped the flow (``_poll``, ``_apply``) has
        moved aiokafka's position past records that were never applied; Faust's
        ``perform_seek``, after the rebalance, is what brings them back. But aiokafka
        leaves a partition with no committed offset where it is, so a young partition
        went on past them for good: the ten-SIGKILL test lost up to a whole chunk of
        events, at restarts soon after a worker's start, in partitions with nothing
        committed yet. The worker reads a partition with no commit from its beginning
        (``consumer_auto_offset_reset`` "earliest"), so that is where it goes back to;
        under another reset policy it is left where it is, as Faust does.
        """
        committed = await super().seek_to_committed()
        if self.app.conf.consumer_auto_offset_reset == "earliest":
            acks_enabled_for = self.app.topics.acks_enabled_for
            fresh = [tp for tp, offset in committed.items() if not offset]
            fresh = [tp for tp in fresh if acks_enabled_for(tp.topic)]  # not changelogs
            if fresh:
                await self._thread.seek_to_beginning(*fresh)
        return committed

    def _ack_offsets(self, held: dict[Any, list[int]]) -> None:
        """``Consumer.ack`` for whole partitions' offsets at once: the same bookkeeping
        (consumer.py, pinned faust-streaming 0.15.3) that Faust's commit reads, without
        a message object, a lock round and a notification per message."""
        acks_enabled_for = self.app.topics.acks_enabled_for
        with ack_lock:
            for tp, offsets in held.items():
                if not acks_enabled_for(tp.topic):
                    continue
                committed = self._committed_offset[tp]
                index, acked = self._acked_index[tp], self._acked[tp]
                for offset in offsets:
                    if (committed is None or offset >= committed) and offset not in index:
                        index.add(offset)
                        acked.append(offset)
                        self._n_acked += 1
            notify(self._waiting_for_ack)

    async def wait_empty(self) -> None:
        """Faust waits here for in-flight messages before a revocation completes and at
        shutdown: checkpoint first, so that what was handled is kept and committed."""
        await self.checkpoint()
        await super().wait_empty()

    async def _apply(
        self, polled: dict[BatchHandler, list[Any]], offsets: dict[Any, list[int]]
    ) -> None:
        async with self._batches:
            if not self.flow_active:
                return  # suspended since the poll: not ours to apply any more
            for handler, records in polled.items():
                await handler(records)
            for tp, taken in offsets.items():
                self._held[tp] += taken

    async def _drain_messages(self, fetcher: Any) -> None:
        """Faust's fetch loop, delivering each poll to the batch handlers as lists of
        aiokafka's records.

        Faust's ``getmany`` yields one message object at a time, each checked, tracked
        and counted by its sensors, and ``ack`` takes each one back: about a tenth of a
        draining worker. The batch handlers read only a record's topic, partition,
        offset, key, value and headers, and the checkpoint acknowledges whole
        partitions (``_ack_offsets``), so their topics skip all of it. Messages of
        other topics (changelogs being recovered) still become Faust's messages and
        take its own path.
        """
        handlers: dict[str, BatchHandler] = self.app.batch_handlers
        one_by_one = self.callback  # Faust's own path: changelogs being recovered
        read_offset = self._read_offset
        acks_enabled_for = self.app.topics.acks_enabled_for
        stopped, fetcher_stopped = self._stopped.is_set, fetcher._stopped.is_set
        interval = self.commit_interval
        reread_gaps = self.app.conf.consumer_reread_gaps
        try:
            while not (stopped() or fetcher_stopped()):
                polled: dict[BatchHandler, list[Any]] = defaultdict(list)
                offsets: dict[Any, list[int]] = defaultdict(list)
                for tp, records in await self._poll(timeout=1.0):
                    handler = handlers.get(tp.topic)
                    last = read_offset[tp]
                    for record in records:
                        offset = record.offset
                        if last is not None and offset < last:
                            continue  # read before (Faust drops these too)
                        if last and offset - last > 1 and acks_enabled_for(tp.topic):
                            if reread_gaps:  # shown too early: the rest comes again
                                await self.seek_wait({tp: last + 1})  # in its thread
                                read_offset[tp] = last  # read last: the same gap shows again
                                break
                            await self._add_gap(tp, last + 1, offset)  # compacted away
                        read_offset[tp] = last = offset
                        if handler is None:
                            await one_by_one(self._to_message(tp, record))
                        else:
                            polled[handler].append(record)
                            offsets[tp].append(offset)
                await self.sleep(0)
                if polled:
                    await self._apply(polled, offsets)
                if time.monotonic() - self._checkpointed_at >= interval:
                    await self.checkpoint()
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise
        except Exception as exc:
            self.log.exception("Drain messages raised: %r", exc)
            raise

    async def _poll(self, timeout: float) -> list[tuple[Any, list[Any]]]:
        """One fetch as ``(partition, records)``: Faust's ``getmany`` (consumer.py) less
        its per-message work. Its checks hold for the whole poll (no await between
        them and the handlers but the changelog path's), and the end offsets it
        reports to Faust's monitor are reported once per partition."""
        records, active = await self._wait_next_records(timeout)
        if records is None or self.should_stop:
            return []
        if not self.flow_active:
            try:
                await self.perform_seek()  # as Faust does: back to the committed offsets
            except Exception as exc:
                self.log.warning(f"exception performing seek when flow not active {exc}")
            return []
        buffered, monitor = self._buffered_partitions, self.app.monitor
        polled = []
        for tp, batch in records.items():
            if active is None or tp in active or tp in buffered:
                monitor.track_tp_end_offset(tp, self.highwater(tp))
                polled.append((tp, batch))
        return polled

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


class Producer(driver.Producer):
    """Faust's aiokafka producer, able to send records as whole batches."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: topic → (its partition count, its key partitioner)
        self._partitioners: dict[str, tuple[int, Callable[[bytes], int]]] = {}

    async def send_records(
        self, topic: str, partition: int, records: Iterable[tuple[bytes, bytes | None]]
    ) -> list[asyncio.Future]:
        """Queue ``records`` (key, value; None is a tombstone) for one partition, as few
        record batches as ``producer_max_batch_size`` allows: one future per batch
        where ``send`` makes one per record. Awaiting the futures means the broker has
        every record."""
        producer = self._ensure_producer()
        futures = []
        batch = producer.create_batch()
        for key, value in records:
            if batch.append(key=key, value=value, timestamp=None) is None:  # full
                futures.append(await producer.send_batch(batch, topic, partition=partition))
                batch = producer.create_batch()
                batch.append(key=key, value=value, timestamp=None)  # a first always fits
        if batch.record_count():
            futures.append(await producer.send_batch(batch, topic, partition=partition))
        return futures

    async def key_partitions(self, topic: str) -> Callable[[bytes], int]:
        """Where Kafka's default partitioner puts a record of ``topic`` with a key
        (partitioner.py, equal to aiokafka's ``DefaultPartitioner``; always that one,
        whatever Faust's ``producer_partitioner`` says, so every worker agrees), over
        the topic's partitions once its metadata is known. The facts messages carry
        many routes each, and a route must stay in the partition its key has always
        picked, where its slice lives.
        The same function while the topic's partition count stays, remembering keys."""
        producer = self._ensure_producer()
        await producer.client._wait_on_metadata(topic)  # what send() does first
        count = len(producer.client.cluster.partitions_for_topic(topic) or ())
        held = self._partitioners.get(topic)
        if held is None or held[0] != count:
            held = self._partitioners[topic] = (count, memoized(partial(default_partition, count)))
        return held[1]


def memoized(partition_of: Callable[[bytes], int]) -> Callable[[bytes], int]:
    """``partition_of`` remembering up to KEY_MEMO keys (then starting over)."""
    placed: dict[bytes, int] = {}

    def remembered(key: bytes) -> int:
        partition = placed.get(key)
        if partition is None:
            if len(placed) >= KEY_MEMO:
                placed.clear()
            partition = placed[key] = partition_of(key)
        return partition

    return remembered


class Transport(driver.Transport):
    """Faust's aiokafka transport with cxkpi's consumer and producer."""

    Consumer = Consumer
    Producer = Producer
