"""The shipped recording rules give the numbers the core gives, in every service-level mode.

The example day is replayed with billing, sales and vip each under another mode
(abandons_ignored, abandons_positive, abandons_negative); the ``cx_window_contacts``
samples it exports are the input series of a promtool unit test, and the expected
values of the recording rules are the core's own ``cx_service_level_ratio`` and
``cx_abandonment_ratio``, per queue and channel, and per queue over both channels
(summed parts, then divided). Prometheus' rule engine (promtool) does the evaluating.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from stream.core.config import config_from_dict
from stream.core.replay import replay

from .tools import ROOT, RULE_FILES, need_tool, run

MODES = {"billing": "abandons_ignored", "sales": "abandons_positive", "vip": "abandons_negative"}
WINDOWS = ("15m", "1h", "today")


def core_families() -> dict[str, list]:
    config = config_from_dict(
        {"queues": {q: {"service_level_mode": mode} for q, mode in MODES.items()}}
    )
    lines = (ROOT / "examples" / "day.jsonl").read_bytes().splitlines()
    return {f.name: f.samples for f in replay(lines, None, config).families()}


def labels(**values: str) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in values.items()) + "}"


def test_recording_rules_equal_the_core_in_every_service_level_mode(tmp_path: Path):
    promtool = need_tool("promtool")
    families = core_families()
    series, sums = [], {}
    for (queue, channel, outcome, window), value in families["cx_window_contacts"]:
        if queue in MODES and window in WINDOWS:
            name = labels(queue=queue, channel=channel, outcome=outcome, window=window)
            series.append({"series": f"cx_window_contacts{name}", "values": f"{value:g}x5"})
            part = sums.setdefault((queue, window), {})
            part[outcome] = part.get(outcome, 0) + value
    tests = []
    for family, rule in (
        ("cx_service_level_ratio", "queue_channel_window:cx_service_level:ratio"),
        ("cx_abandonment_ratio", "queue_channel_window:cx_abandonment:ratio"),
    ):
        for (queue, channel, window), value in families[family]:
            if queue in MODES and window in WINDOWS:
                where = labels(queue=queue, channel=channel, window=window)
                tests.append(
                    {
                        "expr": f"{rule}{where}",
                        "eval_time": "2m",
                        "exp_samples": [{"labels": f"{rule}{where}", "value": value}],
                    }
                )
    for (queue, window), part in sums.items():
        if part["sl_eligible"]:
            rule = "queue_window:cx_service_level:ratio"
            where = labels(queue=queue, window=window)
            level = part["sl_met"] / part["sl_eligible"]
            tests.append(
                {
                    "expr": f"{rule}{where}",
                    "eval_time": "2m",
                    "exp_samples": [{"labels": f"{rule}{where}", "value": level}],
                }
            )
    # Each mode must matter, or the test would not tell the formulas apart.
    levels = {(q, w): v for (q, _, w), v in families["cx_service_level_ratio"] if q in MODES}
    assert len({round(levels[("billing", "today")], 6), round(levels[("vip", "today")], 6)}) == 2
    unit = {
        "rule_files": [str(path) for path in RULE_FILES],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": series, "promql_expr_test": tests}],
    }
    path = tmp_path / "modes_test.yml"
    path.write_text(yaml.safe_dump(unit, sort_keys=False))
    done = run([promtool, "test", "rules", str(path)], timeout=300)
    assert "SUCCESS" in done.stdout, done.stdout + done.stderr
