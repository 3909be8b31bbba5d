"""``cxkpi simulate``: realistic contact-centre traffic as CloudEvents JSON Lines.

The simulation itself (``stream.sim``) is pure and reads no clock; this shell picks the
start time (now, unless ``--start``), optionally paces emission to event time, and hands
every record to its destination:

- a JSON Lines *sink* (file or stdout): a context manager yielding a function that
  takes one ``Record(topic, key, value)``, chosen by ``open_sink``;
- Kafka (``--broker``): ``runtime.publishing.publish_records`` sends each record to
  its topic, keyed by its entity id, through ``EventProducer``.
  That path is asyncio because aiokafka is, and it is the one ``cxkpi demo`` reuses
  in-process. It sends the simulator's own topic and key rather than re-routing the
  serialised line, so an invalid message keeps the topic and key of the event it was
  made from (a JSON Lines file cannot record them; ``cxkpi produce`` sends such lines
  to ``--invalid-topic`` instead).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, BinaryIO

from ..core.errors import CxkpiError
from ..core.timeutil import format_time, parse_time
from ..runtime.publishing import Pacer, paced, publish_records
from ..sim import FaultCounts, Record, SimSettings, iter_timed, to_json_line
from ..sim.settings import CHANNELS, CURVES
from .args import add_producer_arguments, add_topic_arguments, fraction, positive_int

if TYPE_CHECKING:
    from ..runtime.kafka_settings import KafkaSettings
    from ..runtime.producer import ProducerOptions


#: Receives one record at a time; what it does with it (write, publish) is its business.
Sink = Callable[[Record], None]

DESCRIPTION = """\
Generate realistic, reproducible contact-centre traffic: calls and chats arriving
(Poisson, following a daily curve with a quiet night and morning/afternoon peaks) into
several queues, agents on staggered shifts with breaks serving one or more queues,
customers who abandon when they run out of patience, holds, transfers, chat messages,
after-contact work with a resolved flag, repeat contacts, help-desk tickets, CSAT / NPS
/ CES / ESAT surveys — and a small share of duplicate, late, out-of-order and invalid
messages, as real producers send.

Output is JSON Lines: each line is one CloudEvent exactly as it would be put on Kafka
(the topic follows from its type; invalid messages are written as their raw bytes).
Same options and --start give the same output, byte for byte.

With --broker the events go straight to Kafka instead, each to the topic of its type,
keyed by its entity id, like `cxkpi simulate | cxkpi produce -` (invalid messages go to
the topic of the event they were made from, keyed like it). Only the flag chooses
Kafka; CXKPI_BROKER alone never does, so pipelines that export it keep their stdout.
The other connection settings (SASL, TLS) come from their flags or CXKPI_* variables.
Missing cx.* topics are created first with --partitions partitions. Progress goes to
stderr; Ctrl-C or SIGTERM stops, waits for the broker to acknowledge what was sent, and
exits 0.

--rate is new customer contacts (calls + chats) per hour averaged over a whole day; with
the day curve an hour at 10:00 sees about 2.2x that and 03:00 about 0.1x. Repeats,
retries and transfers add about a quarter. About 2 contacts per hour of --rate per agent
keeps service level near its usual target; more overloads the queues.
"""

EPILOG = """\
examples:
  cxkpi simulate --duration 3600 --output hour.jsonl
  cxkpi simulate --start 2026-11-23T00:00:00Z --duration 86400 --queues 5 --seed 7 -o day.jsonl
  cxkpi simulate --realtime --duration 0 | cxkpi produce -      # live, until Ctrl-C
  cxkpi simulate --realtime --speed 60 --curve flat -o -        # an hour a minute
  cxkpi simulate --broker localhost:9092 --realtime --duration 0  # live into Kafka
  cxkpi simulate --broker localhost:9092 --realtime --speed 10 --catch-up \\
      --start 2026-11-23T08:00:00Z --duration 0    # fast-forward to now, then live
"""


def _channels(text: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not chosen or set(chosen) - set(CHANNELS):
        raise argparse.ArgumentTypeError(f"a comma-separated subset of {','.join(CHANNELS)}")
    return chosen


def register(subparsers: argparse._SubParsersAction, help_text: str) -> None:
    defaults = SimSettings()
    parser = subparsers.add_parser(
        "simulate",
        help=help_text,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    shape = parser.add_argument_group("what to simulate")
    shape.add_argument(
        "--queues",
        type=positive_int,
        default=defaults.queues,
        metavar="N",
        help="number of queues: billing, tech-support, sales, vip, retention, ... then "
        f"queue-NN (default {defaults.queues})",
    )
    shape.add_argument(
        "--agents",
        type=positive_int,
        default=defaults.agents,
        metavar="N",
        help=f"agents on the roster, in teams of 10 (default {defaults.agents})",
    )
    shape.add_argument(
        "--rate",
        type=float,
        default=defaults.contacts_per_hour,
        metavar="R",
        help="new contacts per hour, mean over a day (default %(default)s)",
    )
    shape.add_argument(
        "--duration",
        type=int,
        default=defaults.duration_s,
        metavar="SECONDS",
        help="length of simulated time; 0 runs until interrupted (default %(default)s)",
    )
    shape.add_argument(
        "--start",
        metavar="RFC3339",
        help="event time of the first moment, e.g. 2026-11-23T00:00:00Z (default: now)",
    )
    shape.add_argument(
        "--seed",
        type=int,
        default=defaults.seed,
        metavar="S",
        help="random seed; same seed and --start give the same output (default %(default)s)",
    )
    shape.add_argument(
        "--channels",
        type=_channels,
        default=defaults.channels,
        metavar="LIST",
        help="contact channels, a subset of voice,chat (default voice,chat)",
    )
    shape.add_argument(
        "--chat-share",
        type=fraction,
        default=defaults.chat_share,
        metavar="F",
        help="share of contacts that are chats when both channels run (default %(default)s)",
    )
    shape.add_argument(
        "--curve",
        choices=CURVES,
        default=defaults.curve,
        help="daily arrival curve with night and peaks, or flat (default %(default)s)",
    )
    shape.add_argument(
        "--timezone",
        default=defaults.timezone,
        metavar="TZ",
        help="local time of the curve and the shifts, an IANA name (default %(default)s)",
    )
    shape.add_argument(
        "--floor-target",
        type=fraction,
        default=None,
        metavar="F",
        help="a floor manager moves agents between the phones and back-office work "
        "(state away) to hold each queue's service level near F, as `cxkpi demo` does "
        "with 0.85 (default: none)",
    )
    faults = parser.add_argument_group(
        "faults", "fractions of generated events that get a fault (0 turns one off)"
    )
    for flag, name, what in (
        ("--duplicates", "duplicates", "sent twice, same source and id"),
        ("--late", "late", "followed by a straggler 1-2 days old"),
        ("--out-of-order", "out_of_order", "sent after the next event of its entity"),
        ("--invalid", "invalid", "followed by an undecodable message"),
    ):
        faults.add_argument(
            flag,
            dest=name,
            type=fraction,
            default=getattr(defaults, name),
            metavar="F",
            help=f"{what} (default %(default)s)",
        )
    out = parser.add_argument_group("output")
    out.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="JSON Lines file to write, or - for stdout (default -; --broker publishes "
        "to Kafka instead)",
    )
    out.add_argument(
        "--realtime",
        action="store_true",
        help="pace output to event time instead of writing as fast as possible",
    )
    out.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="X",
        help="with --realtime, run X times faster than real time (default 1); a live "
        "worker ignores events more than 5 min ahead of its clock, see --catch-up",
    )
    out.add_argument(
        "--catch-up",
        action="store_true",
        help="with --realtime, never send an event before its time has come on the wall "
        "clock: with a --start in the past this fast-forwards at --speed to the present, "
        "then runs in real time",
    )
    out.add_argument(
        "-q", "--quiet", action="store_true", help="no progress and no summary on stderr"
    )
    add_topic_arguments(parser, "Kafka topics (with --broker)")
    add_producer_arguments(parser, "Kafka producer (with --broker)", quiet=False)
    from .args import add_kafka_arguments

    add_kafka_arguments(parser)
    parser.set_defaults(func=run)


def settings_from_args(args: argparse.Namespace) -> SimSettings:
    """The simulation settings the command line asks for."""
    return SimSettings(
        queues=args.queues,
        agents=args.agents,
        contacts_per_hour=args.rate,
        duration_s=args.duration,
        seed=args.seed,
        channels=args.channels,
        chat_share=args.chat_share,
        curve=args.curve,
        timezone=args.timezone,
        duplicates=args.duplicates,
        late=args.late,
        out_of_order=args.out_of_order,
        invalid=args.invalid,
        floor_target=args.floor_target or None,
    )


def start_ms_from_args(args: argparse.Namespace, clock: Callable[[], float] = time.time) -> int:
    """``--start`` as epoch milliseconds, or the wall clock now."""
    if args.start is None:
        return int(clock() * 1000)
    try:
        return parse_time(args.start)
    except ValueError:
        raise CxkpiError(
            f"--start: {args.start!r} is not an RFC 3339 time with an offset, "
            "e.g. 2026-11-23T00:00:00Z"
        ) from None


@contextmanager
def jsonl_sink(path: str, flush_each: bool = False) -> Iterator[Sink]:
    """Write records as JSON Lines to a file, or to stdout for ``-``."""
    try:
        handle: BinaryIO = sys.stdout.buffer if path == "-" else open(path, "wb")  # noqa: SIM115
    except OSError as exc:
        raise CxkpiError(f"cannot write {path}: {exc.strerror}") from None

    def write(record: Record) -> None:
        handle.write(to_json_line(record.value))
        if flush_each:
            handle.flush()

    try:
        yield write
    finally:
        if path == "-":
            handle.flush()
        else:
            handle.close()


def open_sink(args: argparse.Namespace) -> AbstractContextManager[Sink]:
    """The JSON Lines sink the arguments choose (Kafka goes through ``publish_records``)."""
    return jsonl_sink(args.output or "-", flush_each=args.realtime)


def wants_kafka(args: argparse.Namespace) -> bool:
    """Kafka when --broker is on the command line; --output as well is refused.

    Never because of CXKPI_BROKER alone: deployments export it for the worker and
    pipe ``cxkpi simulate | cxkpi produce -`` (docker-compose.yml does), and a
    simulator that silently stopped writing to stdout there would starve the pipe.
    """
    if getattr(args, "broker", None) is None:
        return False
    if args.output is not None:
        raise CxkpiError("--output and --broker exclude each other: write a file or publish")
    return True


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if args.speed <= 0:
        raise CxkpiError("--speed must be greater than 0")
    start_ms = start_ms_from_args(args)
    if wants_kafka(args):
        return _run_kafka(args, settings, start_ms)
    counts = FaultCounts()
    timed = iter_timed(settings, start_ms, counts)
    if args.realtime:
        timed = paced(timed, start_ms, args.speed, catch_up=args.catch_up)
    written, last_ms = 0, start_ms
    output = args.output or "-"
    try:
        with open_sink(args) as sink:
            for emit_ms, record in timed:
                sink(record)
                written += 1
                last_ms = emit_ms
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from
        # complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        if not args.quiet:
            print(
                f"cxkpi simulate: {written} messages to {output} {_faults(counts)}, "
                f"{format_time(start_ms)} to {format_time(last_ms)}",
                file=sys.stderr,
            )
    return 0


def _faults(counts: FaultCounts) -> str:
    return (
        f"({sum(counts.invalid.values())} invalid, {counts.duplicates} duplicates, "
        f"{counts.late} late, {counts.out_of_order} out of order)"
    )


def _run_kafka(args: argparse.Namespace, settings: SimSettings, start_ms: int) -> int:
    from .args import kafka_settings, producer_options_from_args
    from .kafka_io import kafka_client_logs

    kafka = kafka_settings(args)
    options = producer_options_from_args(args)
    with kafka_client_logs(args.verbose):
        return asyncio.run(_simulate_to_kafka(args, settings, start_ms, kafka, options))


async def _simulate_to_kafka(
    args: argparse.Namespace,
    settings: SimSettings,
    start_ms: int,
    kafka: KafkaSettings,
    options: ProducerOptions,
) -> int:
    from ..runtime.processes import graceful_signals
    from ..runtime.producer import EventProducer, Router
    from .kafka_io import Progress, create_source_topics

    out = sys.stderr
    stop = asyncio.Event()
    counts = FaultCounts()
    last_ms = start_ms
    with graceful_signals(stop):
        producer = EventProducer(kafka, Router(args.topic_prefix), options)
        await producer.start()
        try:
            await create_source_topics(kafka, args, out=out)

            def sent(emit_ms: int) -> None:
                nonlocal last_ms
                last_ms = emit_ms
                if not args.quiet:
                    progress.tick(producer.stats)

            progress = Progress(
                args.progress_every,
                args.progress_seconds,
                out,
                detail=lambda: f", event time {format_time(last_ms)}",
            )
            pacer = Pacer(start_ms, args.speed, catch_up=args.catch_up) if args.realtime else None
            await publish_records(
                iter_timed(settings, start_ms, counts),
                producer,
                stop,
                topic_prefix=args.topic_prefix,
                pacer=pacer,
                on_sent=sent,
            )
            await producer.flush()
        finally:
            await producer.stop()
    stats = producer.stats
    if not args.quiet:
        topics = ", ".join(f"{t} {n:,}" for t, n in sorted(stats.by_topic.items()))
        elapsed = time.monotonic() - stats.started
        print(
            f"cxkpi simulate: {stats.delivered} messages to Kafka at {kafka.describe()} "
            f"{_faults(counts)}, {format_time(start_ms)} to {format_time(last_ms)}, "
            f"in {elapsed:.1f} s" + (f": {topics}" if topics else ""),
            file=out,
        )
    return 0
