"""``cxkpi backtest``: score the estimated wait against the waits contacts really had."""

from __future__ import annotations

import argparse

from ..core.backtest import ESTIMATORS, backtest
from ..core.config import load_config
from .args import files_command
from .inputs import read_lines

DESCRIPTION = """\
Replay recorded events and, for every contact that entered a queue and was answered,
compare the wait each estimator predicted when it entered with the wait it had.

Estimators: ours (cx_estimated_wait_seconds), asa_15m (the rolling 15-minute average
speed of answer), head_of_line (the longest wait at that moment) and asterisk
(Asterisk's exponential average of hold time). Errors are absolute, in seconds, over
the contacts every estimator had an estimate for; lower is better. Contacts that
abandoned or were transferred on have no real wait to compare with and are left out.

Lines are CloudEvents JSON in arrival order, as for replay.
"""


def register(subparsers: argparse._SubParsersAction, help_text: str) -> None:
    parser = files_command(subparsers, "backtest", help_text, DESCRIPTION)
    parser.add_argument(
        "--config", metavar="FILE", help="TOML configuration (default: SPEC defaults)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    results = backtest((line.raw for line in read_lines(args.files)), load_config(args.config))
    heads = "".join(f" | {name} MAE | {name} p90" for name in ESTIMATORS)
    print(f"| queue | channel | answered | compared{heads} |")
    print("|---|---|---:|---:" + "|---:|---:" * len(ESTIMATORS) + "|")
    for row in results:
        cells = "".join(
            f" | {row.scores[name].mean_abs_error_s:.1f} | {row.scores[name].p90_abs_error_s:.1f}"
            if name in row.scores
            else " | – | –"
            for name in ESTIMATORS
        )
        print(f"| {row.queue} | {row.channel} | {row.answered} | {row.compared}{cells} |")
    return 0
