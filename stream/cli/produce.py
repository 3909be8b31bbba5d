"""``cxkpi produce``: publish JSON Lines of events to their Kafka topics, keyed."""

from __future__ import annotations

import argparse
import asyncio
import os
import stat
import sys
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, BinaryIO

from ..core.errors import CxkpiError
from .args import (
    add_producer_arguments,
    add_topic_arguments,
    producer_options_from_args,
)
from .inputs import read_lines
from .kafka_io import Progress, create_source_topics, kafka_client_logs

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
