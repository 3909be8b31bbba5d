"""Argument types and parsers shared by the subcommands: one definition each.

argparse calls a type with the option's text and shows the ``ArgumentTypeError``
message after the option's name, so every message here says what was expected and
what was given.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable


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
