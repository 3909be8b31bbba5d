"""Publishing raw CloudEvents lines to their Kafka topics, keyed by entity id.

``Router`` decides where one line goes without decoding more than ``type`` and the
entity id: a line whose type is in ``TOPIC_OF_TYPE`` goes to that topic, keyed by its
entity id (``data.contact_id`` / ``ticket_id`` / ``survey_id`` / ``agent_id``); a line
that is not JSON, not an object or has no known type goes, unchanged and without a key,
to the *invalid topic* (default ``cx.calls``) so that the worker's dead-letter path sees
exactly what a broken producer would send. Values are always the original bytes: the
worker, not the producer, validates (schemas/).

``EventProducer`` wraps an ``AIOKafkaProducer`` (acks=all, lingering, batching) and
counts what it sent and what the broker acknowledged. Idempotence is off by default
because the embedded broker (Tansu) refuses idempotent producers; turn it on against a
real Kafka with ``ProducerOptions(idempotent=True)``.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson
from aiokafka.errors import MessageSizeTooLargeError

from ..core.binding import to_binary
from ..core.errors import CxkpiError
from ..core.events import CALLS, KEY_FIELD_OF_PREFIX, SOURCE_TOPICS, TOPIC_OF_TYPE
from .kafka_probe import diagnose
from .kafka_settings import KafkaSettings

__all__ = [
    "BrokerUnreachable",
    "EventProducer",
    "MessageTooLarge",
    "ProduceError",
    "ProducerOptions",
    "Route",
    "Router",
    "ensure_topics",
]

TOPIC_ALREADY_EXISTS = 36  # Kafka protocol error code


class ProduceError(CxkpiError):
    """The broker did not take the events (delivery failed or timed out)."""


class BrokerUnreachable(ProduceError):
    """No broker answered within the connect timeout."""


class MessageTooLarge(ProduceError):
    """One message is larger than the producer's max request size: skip it, go on."""


class Route(NamedTuple):
    topic: str
    key: bytes | None
    valid: bool  # False: not JSON or no known type, sent raw to the invalid topic


class Router:
    """Line → (topic, key); ``topic_prefix`` is put before every cx.* topic name."""

    __slots__ = ("_invalid", "_topics")

    def __init__(self, topic_prefix: str = "", invalid_topic: str | None = None) -> None:
        self._topics = {t: topic_prefix + topic for t, topic in TOPIC_OF_TYPE.items()}
        self._invalid = invalid_topic if invalid_topic is not None else topic_prefix + CALLS

    @property
    def invalid_topic(self) -> str:
        return self._invalid

    def topics(self) -> list[str]:
        """Every topic this router may send to."""
        return sorted({*self._topics.values(), self._invalid})

    def route(self, raw: bytes) -> Route:
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return Route(self._invalid, None, False)
        type_ = obj.get("type") if isinstance(obj, dict) else None
        topic = self._topics.get(type_) if isinstance(type_, str) else None
        if topic is None:
            return Route(self._invalid, None, False)
        data = obj.get("data")
        field_name = KEY_FIELD_OF_PREFIX[type_.partition(".")[0]]
        key = data.get(field_name) if isinstance(data, dict) else None
        if isinstance(key, str):
            return Route(topic, key.encode("utf-8", "surrogatepass"), True)
        if isinstance(key, int | float) and not isinstance(key, bool):
            return Route(topic, str(key).encode(), True)  # wrong type: the worker says so
        return Route(topic, None, True)  # no entity id: the worker dead-letters it


@dataclass(frozen=True, slots=True)
class ProducerOptions:
    """Producer tuning; the defaults favour throughput with full acknowledgement."""

    acks: int | str = "all"
    linger_ms: int = 10
    max_batch_size: int = 256 * 1024  # bytes per partition batch (aiokafka default 16 KiB)
    compression: str | None = None  # gzip, snappy, lz4 or zstd (cramjam has them)
    content_mode: str = "structured"  # or "binary": attributes as ce_* headers
    idempotent: bool = False  # Tansu refuses idempotent producers; fine on real Kafka
    #: Also how long aiokafka holds a batch it cannot send (its batch TTL): 2 minutes
    #: ride out a broker outage or a network cut without dropping events.
    request_timeout_ms: int = 120_000
    connect_timeout: float = 10.0  # seconds to wait for a broker before giving up
    extra: dict[str, Any] = field(default_factory=dict)  # other AIOKafkaProducer kwargs


@dataclass(slots=True)
class Stats:
    sent: int = 0  # handed to the producer
    invalid: int = 0  # of which went raw to the invalid topic
    delivered: int = 0  # acknowledged by the broker
    failed: int = 0
    by_topic: Counter[str] = field(default_factory=Counter)
    error: BaseException | None = None  # the first delivery failure
    started: float = field(default_factory=time.monotonic)

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.sent / elapsed if elapsed > 0 else 0.0


class EventProducer:
    """An aiokafka producer that routes raw event lines; use as an async context manager.

    ``async with EventProducer(settings) as producer: await producer.publish(line)``.
    Leaving the block flushes and waits for every acknowledgement; a failed delivery
    raises ``ProduceError`` (from ``publish`` as soon as it is known, or on exit).
    """

    def __init__(
        self,
        settings: KafkaSettings,
        router: Router | None = None,
        options: ProducerOptions | None = None,
    ) -> None:
        self.settings = settings
        self.router = router or Router()
        self.options = options or ProducerOptions()
        self.stats = Stats()
        self._producer: Any = None

    async def start(self) -> None:
        from aiokafka import AIOKafkaProducer
        from aiokafka.errors import KafkaError

        o = self.options
        deadline = time.monotonic() + o.connect_timeout
        last: BaseException | None = None
        while True:
            producer = AIOKafkaProducer(
                **self.settings.aiokafka_kwargs(),
                acks=o.acks,
                linger_ms=o.linger_ms,
                max_batch_size=o.max_batch_size,
                compression_type=o.compression,
                enable_idempotence=o.idempotent,
                request_timeout_ms=o.request_timeout_ms,
                client_id="cxkpi-produce",
                **o.extra,
            )
            remaining = deadline - time.monotonic()
            try:
                await asyncio.wait_for(producer.start(), timeout=max(remaining, 0.1))
            except (KafkaError, OSError, TimeoutError) as exc:
                last = exc
                await producer.stop()
                if o.idempotent and type(exc).__name__ == "UnknownError":
                    raise ProduceError(
                        f"Kafka at {self.settings.describe()} refused an idempotent "
                        "producer (Tansu does); run without --idempotent"
                    ) from None
                problem = await diagnose(self.settings)
                if problem is not None:  # wrong protocol or certificate: waiting is futile
                    raise problem from None
                if time.monotonic() + 0.5 < deadline:
                    await asyncio.sleep(0.5)
                    continue
                detail = str(last) or type(last).__name__
                raise BrokerUnreachable(
                    f"cannot reach Kafka at {self.settings.describe()} within "
                    f"{o.connect_timeout:g} s ({detail}); check --broker / CXKPI_BROKER"
                ) from None
            self._producer = producer
            self.stats = Stats()
            return

    async def publish(self, raw: bytes) -> Route:
        """Route one line and hand it to the producer; returns where it went.

        A line that is not even an event object goes unchanged, in either content
        mode, as it would from a broken producer."""
        route = self.router.route(raw)
        if route.valid and self.options.content_mode == "binary":
            await self.send_event(route.topic, orjson.loads(raw), route.key)
        else:
            await self.send(route.topic, raw, route.key)
        if not route.valid:
            self.stats.invalid += 1
        return route

    async def send_event(self, topic: str, event: dict[str, Any], key: bytes | None) -> None:
        """Send one event object in the configured content mode: structured (the
        envelope as the value) or binary (``ce_*`` headers and the data)."""
        if self.options.content_mode == "binary":
            headers, data = to_binary(event)
            await self.send(topic, orjson.dumps(data), key, headers)
        else:
            await self.send(topic, orjson.dumps(event), key)

    async def send(
        self,
        topic: str,
        value: bytes,
        key: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> None:
        """Send one message as is (no routing); waits only when the buffer is full."""
        stats = self.stats
        if stats.error is not None:
            raise self._failure()
        try:
            future = await self._producer.send(topic, value, key=key, headers=headers)
        except MessageSizeTooLargeError:
            raise MessageTooLarge(
                f"{len(value):,} bytes is more than the producer's max request size"
            ) from None
        except Exception as exc:  # KafkaTimeoutError when the broker stops draining
            stats.error = exc
            raise self._failure() from None
        stats.sent += 1
        stats.by_topic[topic] += 1
        future.add_done_callback(self._on_delivery)

    def _on_delivery(self, future: asyncio.Future[Any]) -> None:
        if future.cancelled() or future.exception() is not None:
            self.stats.failed += 1
            if self.stats.error is None:
                self.stats.error = (
                    future.exception() if not future.cancelled() else (asyncio.CancelledError())
                )
        else:
            self.stats.delivered += 1

    def _failure(self) -> ProduceError:
        exc = self.stats.error
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return ProduceError(
            f"Kafka at {self.settings.describe()} did not accept the events ({detail}); "
            f"{self.stats.delivered} of {self.stats.sent} were acknowledged"
        )

    async def flush(self) -> None:
        """Wait until everything sent so far is acknowledged (or failed)."""
        await self._producer.flush()
        if self.stats.error is not None:
            raise self._failure()

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def __aenter__(self) -> EventProducer:
        await self.start()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None:
                await self.flush()
        finally:
            await self.stop()


async def ensure_topics(
    settings: KafkaSettings, topics: list[str], partitions: int, replication_factor: int = 1
) -> list[str]:
    """Create the missing ones of ``topics`` with explicit partitions; return their names.

    Existing topics are left as they are, whatever their partition count.
    """
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import KafkaConnectionError, KafkaError

    problem = await diagnose(settings)  # at once, not after aiokafka's 40 s timeout
    if problem is not None:
        raise problem
    admin = AIOKafkaAdminClient(**settings.aiokafka_kwargs(), client_id="cxkpi-admin")
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        missing = sorted(set(topics) - existing)
        if not missing:
            return []
        response = await admin.create_topics(
            [NewTopic(name, partitions, replication_factor) for name in missing]
        )
    except KafkaConnectionError as exc:
        problem = await diagnose(settings)
        if problem is not None:  # wrong protocol or certificate: waiting is futile
            raise problem from None
        raise BrokerUnreachable(f"cannot reach Kafka at {settings.describe()} ({exc})") from None
    except KafkaError as exc:
        raise ProduceError(
            f"cannot create topics on {settings.describe()} ({exc}); create them "
            "yourself and pass --no-create-topics"
        ) from None
    finally:
        await admin.close()
    created, failed = [], []
    for name, code, message in response.topic_errors:
        if code == 0:
            created.append(name)
        elif code != TOPIC_ALREADY_EXISTS:
            failed.append(f"{name}: {message or f'error {code}'}")
    if failed:
        raise ProduceError(
            f"cannot create topics on {settings.describe()} ({'; '.join(failed)}); create "
            "them yourself and pass --no-create-topics"
        )
    return created


class TopicLayout(NamedTuple):
    """Where the source topics are, and how missing ones are created (--topic-prefix,
    --partitions, --replication-factor, --no-create-topics)."""

    prefix: str = ""
    partitions: int = 8
    replication_factor: int = 1
    create: bool = True


async def create_source_topics(
    settings: KafkaSettings,
    layout: TopicLayout,
    extra: tuple[str, ...] = (),
    say: Callable[[str], None] | None = None,
) -> list[str]:
    """Create the missing cx.* topics (and ``extra``) unless told not to; say which.

    Explicit partitions matter: a broker that auto-creates topics picks its own count,
    and the worker's tables must be co-partitioned with its sources.
    """
    if not layout.create:
        return []
    topics = [layout.prefix + t for t in SOURCE_TOPICS]
    wanted = list(dict.fromkeys([*topics, *extra]))
    created = await ensure_topics(settings, wanted, layout.partitions, layout.replication_factor)
    if created and say is not None:
        say(f"created topics {', '.join(created)} ({layout.partitions} partitions)")
    return created
