"""``cxkpi produce``: publish JSON Lines of events to their Kafka topics, keyed."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import stat
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, BinaryIO, TextIO

from ..core.errors import CxkpiError
from ..core.events import SOURCE_TOPICS
from .args import positive_int
from .inputs import read_lines

if TYPE_CHECKING:
    from ..runtime.kafka_settings import KafkaSettings
    from ..runtime.producer import ProducerOptions, Router, Stats

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
    from .args import add_kafka_arguments

    parser = subparsers.add_parser(
        "produce",
        help=help_text,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="JSON Lines file, or - for stdin")
    topics = add_topic_arguments(parser)
    topics.add_argument(
        "--invalid-topic",
        metavar="TOPIC",
        help="where unroutable lines go, raw (default: PREFIX + cx.calls)",
    )
    add_producer_arguments(parser)
    add_kafka_arguments(parser)
    parser.set_defaults(func=run)


# -- shared with `cxkpi simulate --broker` and `cxkpi demo`: one definition of each flag --


def add_topic_arguments(
    parser: argparse.ArgumentParser, title: str = "topics"
) -> argparse._ArgumentGroup:
    """--topic-prefix, --partitions, --replication-factor, --no-create-topics."""
    group = parser.add_argument_group(title)
    group.add_argument(
        "--topic-prefix",
        default=os.environ.get("CXKPI_TOPIC_PREFIX", ""),
        metavar="PREFIX",
        help="put PREFIX before every topic name, e.g. 'staging.' (CXKPI_TOPIC_PREFIX)",
    )
    group.add_argument(
        "--partitions",
        type=positive_int,
        default=int(os.environ.get("CXKPI_PARTITIONS", "8")),
        metavar="N",
        help="partitions of topics created here (CXKPI_PARTITIONS, default 8)",
    )
    group.add_argument(
        "--replication-factor",
        type=positive_int,
        default=1,
        metavar="N",
        help="replication factor of topics created here (default 1)",
    )
    group.add_argument(
        "--no-create-topics",
        dest="create_topics",
        action="store_false",
        help="do not create missing topics (e.g. when the worker or an admin owns them)",
    )
    return group


def add_producer_arguments(
    parser: argparse.ArgumentParser, title: str = "producer", *, quiet: bool = True
) -> argparse._ArgumentGroup:
    """Producer tuning, progress and logging flags; ``quiet=False`` when -q exists already."""
    tuning = parser.add_argument_group(title)
    tuning.add_argument(
        "--linger-ms", type=int, default=10, metavar="MS", help="batching delay (default 10)"
    )
    tuning.add_argument(
        "--batch-bytes",
        type=positive_int,
        default=256 * 1024,
        metavar="BYTES",
        help="max batch size per partition (default 262144)",
    )
    tuning.add_argument(
        "--compression",
        choices=("none", "gzip", "snappy", "lz4", "zstd"),
        default="none",
        help="compress record batches with this codec; the worker reads them all (default none)",
    )
    tuning.add_argument(
        "--content-mode",
        choices=("structured", "binary"),
        default="structured",
        help="CloudEvents Kafka binding mode: the whole event as the value (structured), "
        "or the attributes as ce_* headers and the data as the value (binary); the worker "
        "reads both (default structured)",
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
        help="report progress every N messages (default 100000; 0: never)",
    )
    tuning.add_argument(
        "--progress-seconds",
        type=float,
        default=5.0,
        metavar="S",
        help="and at least every S seconds (default 5; 0: never)",
    )
    if quiet:
        tuning.add_argument(
            "-q", "--quiet", action="store_true", help="no progress, no summary; errors only"
        )
    tuning.add_argument(
        "-v", "--verbose", action="store_true", help="show the Kafka client's own log"
    )
    return tuning


def producer_options_from_args(args: argparse.Namespace) -> ProducerOptions:
    """The ``ProducerOptions`` that ``add_producer_arguments`` flags ask for."""
    from ..runtime.producer import ProducerOptions

    return ProducerOptions(
        linger_ms=args.linger_ms,
        max_batch_size=args.batch_bytes,
        compression=None if args.compression == "none" else args.compression,
        content_mode=args.content_mode,
        idempotent=args.idempotent,
        connect_timeout=args.connect_timeout,
    )


@contextmanager
def kafka_client_logs(verbose: bool) -> Iterator[None]:
    """Silence aiokafka unless ``verbose``: it logs every failed connection attempt,
    while we report the outcome ourselves in one line."""
    kafka_log = logging.getLogger("aiokafka")
    level = kafka_log.level
    if not verbose:
        kafka_log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        kafka_log.setLevel(level)


async def create_source_topics(
    settings: KafkaSettings,
    args: argparse.Namespace,
    extra: tuple[str, ...] = (),
    out: TextIO | None = None,
) -> list[str]:
    """Create the missing cx.* topics (and ``extra``) unless --no-create-topics; say which.

    Explicit partitions matter: a broker that auto-creates topics picks its own count,
    and the worker's tables must be co-partitioned with its sources.
    """
    from ..runtime.producer import ensure_topics

    if not args.create_topics:
        return []
    topics = [args.topic_prefix + t for t in SOURCE_TOPICS]
    wanted = list(dict.fromkeys([*topics, *extra]))
    created = await ensure_topics(settings, wanted, args.partitions, args.replication_factor)
    if created and not getattr(args, "quiet", False):
        names = ", ".join(created)
        print(f"created topics {names} ({args.partitions} partitions)", file=out or sys.stderr)
    return created


class Progress:
    """Progress lines every N messages or S seconds, whichever comes first (0: never).

    ``detail`` adds a suffix to each line (the simulator shows its event time).
    """

    __slots__ = ("_detail", "_every", "_next", "_out", "_seconds")

    def __init__(
        self,
        every: int,
        seconds: float,
        out: TextIO | None = None,
        detail: Callable[[], str] | None = None,
    ) -> None:
        self._every, self._seconds = every, seconds
        self._out = out or sys.stderr
        self._detail = detail
        self._next = time.monotonic() + seconds

    def tick(self, stats: Stats) -> None:
        """Call after each message; prints when one of the two thresholds is crossed."""
        every, seconds = self._every, self._seconds
        if (every and stats.sent % every == 0) or (seconds and time.monotonic() >= self._next):
            self._next = time.monotonic() + seconds
            suffix = self._detail() if self._detail is not None else ""
            print(
                f"  {stats.sent:,} sent ({stats.invalid:,} invalid), "
                f"{stats.delivered:,} acknowledged, {stats.rate():,.0f}/s{suffix}",
                file=self._out,
                flush=True,
            )


def run(args: argparse.Namespace) -> int:
    from ..runtime.producer import Router
    from .args import kafka_settings

    settings = kafka_settings(args)
    options = producer_options_from_args(args)
    router = Router(args.topic_prefix, args.invalid_topic)
    for path in args.files:  # fail before connecting, not halfway through
        if path != "-" and not os.path.isfile(path):
            raise CxkpiError(f"cannot read {path}: no such file")
    with kafka_client_logs(args.verbose):
        return asyncio.run(_produce(args, settings, options, router))


async def _produce(
    args: argparse.Namespace,
    settings: KafkaSettings,
    options: ProducerOptions,
    router: Router,
) -> int:
    from ..runtime.producer import EventProducer, MessageTooLarge

    out = sys.stderr
    producer = EventProducer(settings, router, options)
    await producer.start()
    try:
        await create_source_topics(settings, args, (router.invalid_topic,), out)
        stats = producer.stats
        skipped = 0
        progress = Progress(args.progress_every, args.progress_seconds, out)
        async for where, raw in _lines(args.files):
            try:
                await producer.publish(raw)
            except MessageTooLarge as exc:
                skipped += 1
                print(f"{where}: skipped: {exc}", file=out)
                continue
            if not args.quiet:
                progress.tick(stats)
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
