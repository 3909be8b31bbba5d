"""Argument types and parsers shared by the subcommands: one definition each.

argparse calls a type with the option's text and shows the ``ArgumentTypeError``
message after the option's name, so every message here says what was expected and
what was given.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ..runtime.kafka_settings import (
    DEFAULT_BROKER,
    MECHANISMS,
    PROTOCOLS,
    KafkaSettings,
    settings_from_flags,
)

if TYPE_CHECKING:
    from ..runtime.producer import ProducerOptions, TopicLayout


def at_least(minimum: float, convert: Callable[[str], float]) -> Callable[[str], float]:
    """An argparse type: ``convert`` (int or float), then refuse values below ``minimum``."""

    def check(text: str) -> float:
        try:
            value = convert(text)
        except ValueError:
            kind = "a whole number" if convert is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text}")
        return value

    check.__name__ = convert.__name__  # argparse names the type in its messages
    return check


positive_int = at_least(1, int)
non_negative_int = at_least(0, int)
non_negative_float = at_least(0, float)


def positive_float(text: str) -> float:
    value = non_negative_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def fraction(text: str) -> float:
    value = non_negative_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be a fraction between 0 and 1, got {text}")
    return value


def port(text: str) -> int:
    value = non_negative_int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text}")
    return int(value)


def files_command(
    subparsers: argparse._SubParsersAction, name: str, help_text: str, description: str
) -> argparse.ArgumentParser:
    """The parser of an offline command over JSON Lines files (``FILE…``, ``-``: stdin)."""
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="JSON Lines file, or - for stdin")
    return parser


def add_kafka_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the connection flags; each defaults to its environment variable."""
    group = parser.add_argument_group(
        "Kafka connection", "each flag defaults to the environment variable named in it"
    )
    group.add_argument(
        "--broker",
        metavar="HOST:PORT",
        help=f"bootstrap servers, comma-separated (CXKPI_BROKER, default {DEFAULT_BROKER})",
    )
    group.add_argument(
        "--security-protocol",
        choices=PROTOCOLS,
        help="PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL (CXKPI_SECURITY_PROTOCOL)",
    )
    group.add_argument(
        "--sasl-mechanism", choices=MECHANISMS, help="default PLAIN (CXKPI_SASL_MECHANISM)"
    )
    group.add_argument("--sasl-username", metavar="USER", help="(CXKPI_SASL_USERNAME)")
    group.add_argument(
        "--sasl-password",
        metavar="PASSWORD",
        help="prefer the variable CXKPI_SASL_PASSWORD: flags show up in `ps`",
    )
    group.add_argument("--ssl-cafile", metavar="FILE", help="CA bundle (CXKPI_SSL_CAFILE)")
    group.add_argument(
        "--ssl-certfile", metavar="FILE", help="client certificate, PEM (CXKPI_SSL_CERTFILE)"
    )
    group.add_argument(
        "--ssl-keyfile", metavar="FILE", help="client private key, PEM (CXKPI_SSL_KEYFILE)"
    )


def kafka_settings(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> KafkaSettings:
    """The connection flags of ``add_kafka_arguments`` over the environment."""
    return settings_from_flags(vars(args), environ)


# -- shared by produce, simulate --broker and demo: one definition of each flag --


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


def topic_layout(args: argparse.Namespace) -> TopicLayout:
    """The topic flags of ``add_topic_arguments`` as the runtime takes them."""
    from ..runtime.producer import TopicLayout

    return TopicLayout(
        args.topic_prefix, args.partitions, args.replication_factor, args.create_topics
    )
