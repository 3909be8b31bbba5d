"""Generate the cxkpi Grafana dashboards (grafana/dashboards/*.json) from plain dicts.

    python grafana/build_dashboards.py          # rewrite the JSON files
    python grafana/build_dashboards.py --check  # exit 1 if a committed file is stale

The output is deterministic (sorted keys, fixed ids), so the JSON is committed and
reviewed like code. Colour thresholds come from the configuration defaults of
``stream.core.config`` (SPEC §4), the same values the worker exports per queue as
``cx_config_*``; time series also draw each queue's own configured target as a line.
One module per dashboard (wallboard.py, operations.py, pipeline.py); PromQL helpers in
``promql.py``, JSON builders in ``dashkit.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from operations import operations  # noqa: E402
from pipeline import pipeline  # noqa: E402
from wallboard import wallboard  # noqa: E402

DASHBOARDS = {"wallboard": wallboard, "operations": operations, "pipeline": pipeline}


def render(build) -> str:
    return json.dumps(build(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    parser.add_argument("--out", type=Path, default=HERE / "dashboards")
    args = parser.parse_args(argv)
    stale = []
    for name, build in DASHBOARDS.items():
        path = args.out / f"{name}.json"
        text = render(build)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print("stale, run python grafana/build_dashboards.py:", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
