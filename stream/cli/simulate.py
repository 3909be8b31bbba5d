"""``cxkpi simulate``: realistic contact-centre traffic as CloudEvents JSON Lines.

The simulation itself (``stream.sim``) is pure and reads no clock; this shell picks the
start time (now, unless ``--start``), optionally paces emission to event time, and hands
every record to a *sink*. A sink is a context manager yielding a function that takes one
``Record(topic, key, value)``: ``open_sink`` chooses it from the arguments, so a Kafka
sink (``--bootstrap-server``) plugs in there without touching the rest.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import BinaryIO

from ..core.errors import CxkpiError
from ..core.timeutil import format_time, parse_time
from ..sim import FaultCounts, Record, SimSettings, iter_timed, to_json_line
from ..sim.settings import CHANNELS, CURVES

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
"""


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a fraction between 0 and 1, not {text}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


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
        type=_positive_int,
        default=defaults.queues,
        metavar="N",
        help="number of queues: billing, tech-support, sales, vip, retention, ... then "
        f"queue-NN (default {defaults.queues})",
    )
    shape.add_argument(
        "--agents",
        type=_positive_int,
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
        type=_fraction,
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
            type=_fraction,
            default=getattr(defaults, name),
            metavar="F",
            help=f"{what} (default %(default)s)",
        )
    out = parser.add_argument_group("output")
    out.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="FILE",
        help="JSON Lines file to write, or - for stdout (default -)",
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
        help="with --realtime, run X times faster than real time (default 1)",
    )
    out.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
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
    """The sink the arguments choose. A Kafka sink for --bootstrap-server goes here."""
    return jsonl_sink(args.output, flush_each=args.realtime)


def paced(
    timed: Iterable[tuple[int, Record]],
    start_ms: int,
    speed: float = 1.0,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[tuple[int, Record]]:
    """Hold each record back until its emission time has come (scaled by ``speed``)."""
    began = monotonic()
    for emit_ms, record in timed:
        due = began + (emit_ms - start_ms) / 1000 / speed
        wait = due - monotonic()
        if wait > 0:
            sleep(wait)
        yield emit_ms, record


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if args.speed <= 0:
        raise CxkpiError("--speed must be greater than 0")
    start_ms = start_ms_from_args(args)
    counts = FaultCounts()
    timed = iter_timed(settings, start_ms, counts)
    if args.realtime:
        timed = paced(timed, start_ms, args.speed)
    written, last_ms = 0, start_ms
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
            invalid = sum(counts.invalid.values())
            print(
                f"cxkpi simulate: {written} messages to {args.output} "
                f"({invalid} invalid, {counts.duplicates} duplicates, {counts.late} late, "
                f"{counts.out_of_order} out of order), "
                f"{format_time(start_ms)} to {format_time(last_ms)}",
                file=sys.stderr,
            )
    return 0
