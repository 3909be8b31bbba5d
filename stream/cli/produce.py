"""``cxkpi produce``: publish JSON Lines of events to their Kafka topics, keyed."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import stat
import sys
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, BinaryIO

from ..core.errors import CxkpiError
from ..core.events import SOURCE_TOPICS
from .inputs import read_lines

if TYPE_CHECKING:
    from ..runtime.kafka_settings import KafkaSettings
    from ..runtime.producer import ProducerOptions, Router

DESCRIPTION = """\
Publish CloudEvents JSON Lines to Kafka, each event to the topic of its type
(call.* → cx.calls, chat.* → cx.chats, ticket.* → cx.tickets, survey.* → cx.surveys,
agent.* → cx.agents), keyed by its entity id (data.contact_id, ticket_id, survey_id or
agent_id) so that every event of one entity lands on one partition, in file order.

Lines are sent as they are; the worker validates them. A line that is not JSON, not an
object, or has no known `type` cannot be routed: it is sent unchanged and without a key
to --invalid-topic (default cx.calls), where the worker dead-letters it with a reason —
handy for exercising that path. Blank lines are skipped. FILE - reads stdin (a pipe from
`cxkpi simulate` is sent as it arrives).

Missing cx.* topics are created first with --partitions partitions (default 8, the
worker's default), because a broker that auto-creates topics would pick its own count.
Progress and a final count go to stderr.
"""


def register(subparsers: argparse._SubParsersAction, help_text: str) -> None:
    from ..runtime.kafka_settings import add_kafka_arguments

    parser = subparsers.add_parser(
        "produce",
        help=help_text,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="JSON Lines file, or - for stdin")
    parser.add_argument(
        "--topic-prefix",
        default=os.environ.get("CXKPI_TOPIC_PREFIX", ""),
        metavar="PREFIX",
        help="put PREFIX before every topic name, e.g. 'staging.' (CXKPI_TOPIC_PREFIX)",
    )
    parser.add_argument(
        "--invalid-topic",
        metavar="TOPIC",
        help="where unroutable lines go, raw (default: PREFIX + cx.calls)",
    )
    parser.add_argument(
        "--partitions",
        type=_positive,
        default=int(os.environ.get("CXKPI_PARTITIONS", "8")),
        metavar="N",
        help="partitions of topics created here (CXKPI_PARTITIONS, default 8)",
    )
    parser.add_argument(
        "--replication-factor",
        type=_positive,
        default=1,
        metavar="N",
        help="replication factor of topics created here (default 1)",
    )
    parser.add_argument(
        "--no-create-topics",
        dest="create_topics",
        action="store_false",
        help="do not create missing topics (e.g. when the worker or an admin owns them)",
    )
    tuning = parser.add_argument_group("producer")
    tuning.add_argument(
        "--linger-ms", type=int, default=10, metavar="MS", help="batching delay (default 10)"
    )
    tuning.add_argument(
        "--batch-bytes",
        type=_positive,
        default=256 * 1024,
        metavar="BYTES",
        help="max batch size per partition (default 262144)",
    )
    tuning.add_argument(
        "--idempotent",
        action="store_true",
        help="enable the idempotent producer (real Kafka only: Tansu refuses it)",
    )
    tuning.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="give up when no broker answers within this time (default 10)",
    )
    tuning.add_argument(
        "--progress-every",
        type=int,
        default=100_000,
        metavar="N",
        help="report progress every N lines (default 100000; 0: never)",
    )
    tuning.add_argument(
        "--progress-seconds",
        type=float,
        default=5.0,
        metavar="S",
        help="and at least every S seconds (default 5; 0: never)",
    )
    tuning.add_argument(
        "-q", "--quiet", action="store_true", help="no progress, no summary; errors only"
    )
    tuning.add_argument(
        "-v", "--verbose", action="store_true", help="show the Kafka client's own log"
    )
    add_kafka_arguments(parser)
    parser.set_defaults(func=run)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def run(args: argparse.Namespace) -> int:
    from ..runtime.kafka_settings import settings_from_args
    from ..runtime.producer import ProducerOptions, Router

    settings = settings_from_args(args)
    options = ProducerOptions(
        linger_ms=args.linger_ms,
        max_batch_size=args.batch_bytes,
        idempotent=args.idempotent,
        connect_timeout=args.connect_timeout,
    )
    router = Router(args.topic_prefix, args.invalid_topic)
    for path in args.files:  # fail before connecting, not halfway through
        if path != "-" and not os.path.isfile(path):
            raise CxkpiError(f"cannot read {path}: no such file")
    # aiokafka logs every failed connection attempt; we report the outcome ourselves.
    kafka_log = logging.getLogger("aiokafka")
    level = kafka_log.level
    if not args.verbose:
        kafka_log.setLevel(logging.CRITICAL)
    try:
        return asyncio.run(_produce(args, settings, options, router))
    finally:
        kafka_log.setLevel(level)


async def _produce(
    args: argparse.Namespace,
    settings: KafkaSettings,
    options: ProducerOptions,
    router: Router,
) -> int:
    from ..runtime.producer import EventProducer, MessageTooLarge, ensure_topics

    out = sys.stderr
    producer = EventProducer(settings, router, options)
    await producer.start()
    try:
        if args.create_topics:
            topics = [args.topic_prefix + t for t in SOURCE_TOPICS]
            created = await ensure_topics(
                settings, [*topics, router.invalid_topic], args.partitions, args.replication_factor
            )
            if created and not args.quiet:
                names = ", ".join(created)
                print(f"created topics {names} ({args.partitions} partitions)", file=out)
        stats = producer.stats
        skipped = 0
        every, seconds = args.progress_every, args.progress_seconds
        next_report = time.monotonic() + seconds
        async for where, raw in _lines(args.files):
            try:
                await producer.publish(raw)
            except MessageTooLarge as exc:
                skipped += 1
                print(f"{where}: skipped: {exc}", file=out)
                continue
            if args.quiet:
                continue
            if (every and stats.sent % every == 0) or (seconds and time.monotonic() >= next_report):
                next_report = time.monotonic() + seconds
                print(
                    f"  {stats.sent:,} sent ({stats.invalid:,} invalid), "
                    f"{stats.delivered:,} acknowledged, {stats.rate():,.0f}/s",
                    file=out,
                )
        await producer.flush()
    finally:
        await producer.stop()
    if not args.quiet:
        elapsed = time.monotonic() - stats.started
        topics = ", ".join(f"{t} {n:,}" for t, n in sorted(stats.by_topic.items()))
        print(
            f"produced {stats.delivered:,} messages in {elapsed:.1f} s "
            f"({stats.rate():,.0f}/s) to {settings.describe()}" + (f": {topics}" if topics else ""),
            file=out,
        )
        if stats.invalid:
            print(
                f"{stats.invalid:,} unroutable lines (not JSON or no known type) went raw to "
                f"{router.invalid_topic}",
                file=out,
            )
    if skipped:
        print(f"{skipped:,} lines skipped: larger than the broker accepts", file=out)
        return 1
    return 0


async def _lines(paths: list[str]) -> AsyncIterator[tuple[str, bytes]]:
    """(``path:line``, bytes) of every non-blank line, newline stripped.

    Regular files are read directly (never blocks for long); stdin from a pipe or a
    terminal is read through the event loop so that the producer keeps sending while
    it waits for the next line.
    """
    for path in paths:
        name = "<stdin>" if path == "-" else path
        if path == "-" and not stat.S_ISREG(os.fstat(sys.stdin.fileno()).st_mode):
            number = 0
            async for line in _stream_lines(sys.stdin.buffer):
                number += 1
                if line.strip():
                    yield f"{name}:{number}", line
            continue
        for line in read_lines([path]):
            yield f"{line.path}:{line.number}", line.raw


async def _stream_lines(pipe: BinaryIO) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    try:
        while line := await reader.readline():
            yield line.rstrip(b"\r\n")
    finally:
        transport.close()
