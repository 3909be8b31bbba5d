"""``cxkpi validate FILE…``: check JSON Lines event files before producing or replaying them.

Each line goes through the same ``Decoder`` the worker uses, so a file that validates
here is exactly a file no event of which will be dead-lettered. Problems go to stdout as
``FILE:LINE: reason: detail`` (the compiler-style form editors and ``grep`` understand);
the summary goes to stderr so it never mixes with them in a pipe.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from ..core.config import load_config
from ..core.decode import Decoder
from ..core.events import Invalid
from .args import files_command
from .inputs import read_lines

DESCRIPTION = """\
Check JSON Lines files of events (one CloudEvents 1.0 JSON object per line) against
the event schemas in schemas/, with the same decoder the worker uses. Each invalid line
is printed as FILE:LINE: reason: detail, where reason is the label value that
cx_events_invalid_total would count it under (not_json, missing_field, bad_value, ...).
Blank lines are skipped. Use - to read standard input.

Exit status: 0 when every line is valid, 1 when any line is invalid, 2 when a file
cannot be read."""


def register(subparsers: argparse._SubParsersAction, help_text: str) -> None:
    parser = files_command(subparsers, "validate", help_text, DESCRIPTION)
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML configuration whose [limits] max_event_bytes applies (default: 65536)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    decoder = Decoder(load_config(args.config).limits)
    reasons: Counter[str] = Counter()
    checked = 0
    for line in read_lines(args.files):
        checked += 1
        result = decoder.decode(line.raw)
        if isinstance(result, Invalid):
            reasons[result.reason] += 1
            print(f"{line.path}:{line.number}: {result.reason}: {result.detail}")
    invalid = sum(reasons.values())
    files = f"{len(args.files)} file{'s' if len(args.files) != 1 else ''}"
    summary = f"{checked} events in {files}: {checked - invalid} valid, {invalid} invalid"
    if reasons:
        summary += " (" + ", ".join(f"{r} {n}" for r, n in reasons.most_common()) + ")"
    print(f"cxkpi validate: {summary}", file=sys.stderr)
    return 1 if invalid else 0
