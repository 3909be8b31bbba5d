"""``cxkpi replay``: the KPI core offline over JSON Lines files."""

from __future__ import annotations

import argparse
import sys

from ..core.config import load_config
from ..core.errors import CxkpiError
from ..core.events import Invalid
from ..core.replay import replay
from ..core.timeutil import format_time, parse_time
from .args import files_command
from .inputs import read_lines

DESCRIPTION = """\
Compute every KPI family of the Prometheus contract from recorded events, exactly as
a live worker that had consumed them would report at time T.

Lines are CloudEvents JSON, one per line, in arrival order (several files are read
one after the other). Invalid lines are reported on stderr with their line number
and counted in cx_events_invalid_total; they never stop the run.
"""


def register(subparsers: argparse._SubParsersAction, help_text: str) -> None:
    parser = files_command(subparsers, "replay", help_text, DESCRIPTION)
    parser.add_argument(
        "--at",
        metavar="TIME",
        help="evaluation time, RFC 3339 with offset (default: the newest event time in the input)",
    )
    parser.add_argument(
        "--config", metavar="FILE", help="TOML configuration (default: SPEC defaults)"
    )
    parser.add_argument(
        "--format",
        choices=("prometheus", "json"),
        default="prometheus",
        help="output: Prometheus text exposition (default) or JSON",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    at_ms = None
    if args.at is not None:
        try:
            at_ms = parse_time(args.at)
        except ValueError:
            raise CxkpiError(
                f"--at {args.at!r} is not an RFC 3339 time; use e.g. 2026-11-24T15:00:00Z"
            ) from None
    lines = list(read_lines(args.files))

    def report(index: int, invalid: Invalid) -> None:
        line = lines[index - 1]
        print(f"{line.path}:{line.number}: {invalid.reason}: {invalid.detail}", file=sys.stderr)

    result = replay((line.raw for line in lines), at_ms, config, report)
    families = result.families()
    if args.format == "json":
        from ..export.json_format import to_json

        sys.stdout.buffer.write(to_json(families, result.at_ms))
    else:
        from ..export.text import render_text as render

        sys.stdout.buffer.write(render(families))
    invalid = sum(result.engine.health.invalid.values())
    at_text = format_time(result.at_ms) if result.at_ms is not None else "(no events)"
    print(f"replayed {len(lines)} lines ({invalid} invalid) as of {at_text}", file=sys.stderr)
    return 0
