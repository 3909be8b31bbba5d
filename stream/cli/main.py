"""Entry point of the ``cxkpi`` command.

Each subcommand lives in its own module exposing ``register(subparsers)``, which adds
its parser and sets ``func`` (returning the exit code). Modules are imported lazily by
name so that ``cxkpi replay`` never pays for importing Faust.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__
from ..core.errors import CxkpiError
from ..runtime.gc_tuning import tune_gc

#: (subcommand, module, one-line help) in the order --help lists them.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("demo", "demo", "run broker + worker + simulator locally; the one-command tour"),
    ("worker", "worker", "run the Faust worker that turns Kafka events into /metrics"),
    ("simulate", "simulate", "generate realistic contact-center traffic"),
    ("produce", "produce", "publish a JSON Lines file of events to their topics"),
    ("dump", "dump", "record the event topics as structured JSON Lines, for replay"),
    ("replay", "replay", "compute the KPIs of JSON Lines files offline, as of a time"),
    ("backtest", "backtest", "score the estimated wait against real waits in recorded events"),
    ("validate", "validate", "check JSON Lines files against the event schemas"),
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cxkpi",
        description=(
            "Real-time customer-service KPIs: reads call, chat, ticket, survey and agent "
            "events from Kafka and serves service level, abandonment, waits, handle "
            "times, backlog, CSAT/NPS/CES and more to Prometheus."
        ),
        epilog="Run 'cxkpi COMMAND --help' for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"cxkpi {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name, help_text in COMMANDS:
        if name != only:  # listed for --help without importing its module
            subparsers.add_parser(name, help=help_text)
            continue
        try:
            module = importlib.import_module(f"{__package__}.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{module_name}":
                raise
            continue
        module.register(subparsers, help_text)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    chosen = next((a for a in argv if not a.startswith("-")), None)
    known = {name for name, _, _ in COMMANDS}
    parser = build_parser(chosen if chosen in known else None)
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.error(f"'{args.command}' is not available in this installation")
    tune_gc()  # every command that runs long holds stream state (gc_tuning says why)
    try:
        return int(args.func(args) or 0)
    except CxkpiError as exc:
        print(f"cxkpi {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
