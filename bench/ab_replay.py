"""A/B of the core between two source trees: replay examples/day.jsonl with each.

Run: .venv/bin/python bench/ab_replay.py TREE_A TREE_B [--rounds 3]
(a tree is a checkout, e.g. ``git worktree add /tmp/base REV``). Each round runs both
trees in fresh interpreters, alternating, so that drift of a shared machine hits both;
each run reports the best of three replays in lines per second.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

EXAMPLE_DAY = Path(__file__).resolve().parent.parent / "examples" / "day.jsonl"

ONE_RUN = """
import sys, time
sys.path.insert(0, sys.argv[1])
from stream.core.replay import replay
lines = open(sys.argv[2], "rb").read().splitlines()
best = min(
    (lambda t: (replay(lines).families(), time.perf_counter() - t)[1])(time.perf_counter())
    for _ in range(3)
)
print(f"{len(lines) / best:.0f}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs=2, type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rates: dict[Path, list[int]] = {tree: [] for tree in args.trees}
    for _ in range(args.rounds):
        for tree in args.trees:
            out = subprocess.run(
                [sys.executable, "-c", ONE_RUN, str(tree.resolve()), str(EXAMPLE_DAY)],
                check=True,
                capture_output=True,
                text=True,
            )
            rates[tree].append(int(out.stdout))
    for tree, runs in rates.items():
        print(f"{tree}: " + " / ".join(f"{r:,}" for r in runs) + " lines/s")


if __name__ == "__main__":
    main()
