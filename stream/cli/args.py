"""Argument types and parsers shared by the subcommands: one definition each.

argparse calls a type with the option's text and shows the ``ArgumentTypeError``
message after the option's name, so every message here says what was expected and
what was given.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping

from ..runtime.kafka_settings import (
    DEFAULT_BROKER,
    MECHANISMS,
    PROTOCOLS,
    KafkaSettings,
    settings_from_flags,
)


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
