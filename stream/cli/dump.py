"""``cxkpi dump``: record the event topics as structured JSON Lines, for replay."""

from __future__ import annotations

import argparse
import asyncio
import heapq
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from ..core.binding import envelope, read_headers
from ..core.errors import CxkpiError
from ..core.events import SOURCE_TOPICS, Invalid

if TYPE_CHECKING:
    from ..runtime.kafka_settings import KafkaSettings

DESCRIPTION = """\
Read the five event topics (cx.calls, cx.chats, cx.tickets, cx.surveys, cx.agents)
from the beginning up to their end at start, and write every message as one line of
CloudEvents JSON: a structured-mode message as its event, a binary-mode message (ce_*
headers, data in the value) as the structured event it stands for. The lines go in
event-arrival order (record timestamps, each partition in offset order), so

  cxkpi dump --broker kafka:9092 > recorded.jsonl && cxkpi replay recorded.jsonl

computes what a worker that read those topics serves. A message that is not an event
at all is written as its bytes (newlines escaped), so replay counts it invalid too; a
binary-mode message whose headers are refused is written as its value. stderr says how
many of each. Messages are held in memory until written: meant for recordings, not for
archiving a production cluster.
"""


def register(subparsers: argparse._SubParsersAction, help_text: str) -> None:
    from .args import add_kafka_arguments

    parser = subparsers.add_parser(
        "dump",
        help=help_text,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--topic-prefix",
        default="",
        metavar="PREFIX",
        help="the prefix the topics were written with (as for produce and worker)",
    )
    parser.add_argument(
        "-o", "--output", default="-", metavar="FILE", help="where to write (default stdout)"
    )
    add_kafka_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .args import kafka_settings

    settings = kafka_settings(args)
    topics = [args.topic_prefix + topic for topic in SOURCE_TOPICS]
    messages = asyncio.run(_read(settings, topics))
    counts = {"events": 0, "converted": 0, "raw": 0}
    try:
        out: BinaryIO = sys.stdout.buffer if args.output == "-" else open(args.output, "wb")  # noqa: SIM115
    except OSError as exc:
        raise CxkpiError(f"cannot write {args.output}: {exc.strerror}") from None
    with out:
        for value, headers in messages:
            line, kind = structured_line(value, headers)
            counts[kind] += 1
            out.write(line + b"\n")
    print(
        f"cxkpi dump: {sum(counts.values()):,} messages: {counts['events']:,} structured, "
        f"{counts['converted']:,} binary-mode written as structured, {counts['raw']:,} "
        "written as their bytes (not events)",
        file=sys.stderr,
    )
    return 0


def structured_line(value: bytes | None, headers: Iterable[tuple[str, Any]]) -> tuple[bytes, str]:
    """One message as a JSON line, and what it was: ``events`` (structured),
    ``converted`` (binary mode) or ``raw`` (written as its bytes)."""
    raw = value or b""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.replace(b"\r", b"\\r").replace(b"\n", b"\\n") or b'""', "raw"
    binding = read_headers(headers)
    if binding is None:
        return orjson.dumps(obj), "events"
    if isinstance(binding, Invalid):
        return orjson.dumps(obj), "raw"
    event = envelope(binding, obj)
    if isinstance(event, Invalid):
        return orjson.dumps(obj), "raw"
    return orjson.dumps(event), "converted" if event is not obj else "events"


async def _read(settings: KafkaSettings, topics: list[str]) -> list[tuple[bytes | None, Any]]:
    """Every message of ``topics`` up to their end offsets now, merged by timestamp."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        **settings.aiokafka_kwargs(), enable_auto_commit=False, client_id="cxkpi-dump"
    )
    await consumer.start()
    try:
        parts = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not parts:
            raise CxkpiError(f"none of {', '.join(topics)} exists on {settings.describe()}")
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        read: dict[Any, list] = {tp: [] for tp in parts}
        pending = {tp for tp in parts if ends[tp] > await consumer.position(tp)}
        while pending:
            batches = await consumer.getmany(*pending, timeout_ms=1000, max_records=10_000)
            for tp, records in batches.items():
                for r in records:
                    if r.offset < ends[tp]:
                        read[tp].append((r.timestamp, r.topic, r.partition, r.offset, r))
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
    finally:
        await consumer.stop()
    merged = heapq.merge(*read.values(), key=lambda item: item[:4])
    return [(item[4].value, item[4].headers) for item in merged]
