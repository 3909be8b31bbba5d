"""The demo's scripted surge fires the service-level alert, and it resolves (issue 13).

The demo's traffic (its roster, rate and floor manager, a flat day) with its surge
(the busiest queue gets three times its calls for eight minutes) is simulated and
ingested by the core as it happens; each minute's service-level parts and configured
targets are the input series of a promtool test of the shipped rules. Before the
surge nothing fires; ``CxServiceLevelBelowTarget`` (warning: 10 minutes below target
over 15 minutes) fires for the surged queue; after it the queue recovers and the
alert resolves.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from stream.core.engine import Engine
from stream.core.timeutil import parse_time
from stream.sim import SimSettings, Surge, busiest_queue, iter_timed, to_json_line
from stream.sim.settings import DEMO_AGENTS, DEMO_FLOOR_TARGET, DEMO_RATE

from .tools import RULE_FILES, need_tool, run

START = parse_time("2026-11-23T09:00:00Z")
SURGE_AT_MIN, SURGE_MIN, MINUTES = 30, 8, 80
SETTINGS = SimSettings(
    queues=4,
    agents=DEMO_AGENTS,
    contacts_per_hour=DEMO_RATE,
    floor_target=DEMO_FLOOR_TARGET,
    duration_s=MINUTES * 60,
    curve="flat",
    surge=Surge(SURGE_AT_MIN * 60, SURGE_MIN * 60),
)


def minute_series() -> dict[str, list[float | None]]:
    """Per input series of the rules, its value at each minute (None: absent)."""
    engine, series = Engine(), {}
    records = iter(iter_timed(SETTINGS, START))
    pending = next(records, None)
    for minute in range(MINUTES + 1):
        at = START + minute * 60_000
        while pending is not None and pending[0] <= at:
            value = pending[1].value
            engine.ingest(value if isinstance(value, bytes) else to_json_line(value), pending[0])
            pending = next(records, None)
        for family in engine.families(at):
            if family.name == "cx_window_contacts":
                for (queue, channel, outcome, window), v in family.samples:
                    if outcome in ("sl_met", "sl_eligible") and window in ("15m", "1h"):
                        name = (
                            f'cx_window_contacts{{queue="{queue}", channel="{channel}", '
                            f'outcome="{outcome}", window="{window}"}}'
                        )
                        series.setdefault(name, [None] * (MINUTES + 1))[minute] = v
            elif family.name == "cx_config_service_level_target_ratio":
                for (queue,), v in family.samples:
                    name = f'cx_config_service_level_target_ratio{{queue="{queue}"}}'
                    series.setdefault(name, [None] * (MINUTES + 1))[minute] = v
    return series


def notation(values: list[float | None]) -> str:
    """promtool's values: ``_`` for a missing sample."""
    return " ".join("_" if v is None else f"{v:g}" for v in values)


def firing(queue: str, severity: str = "warning") -> str:
    return (
        f'ALERTS{{alertname="CxServiceLevelBelowTarget", alertstate="firing", '
        f'severity="{severity}", queue="{queue}", channel="voice", window="15m"}}'
    )


def test_the_demos_surge_fires_the_service_level_alert_then_resolves(tmp_path: Path):
    promtool = need_tool("promtool")
    queue = busiest_queue(SETTINGS)
    alerts = 'ALERTS{alertname="CxServiceLevelBelowTarget", alertstate="firing"}'
    during = SURGE_AT_MIN + SURGE_MIN + 10  # below target since ~4 min in, for 10 min
    checks = [
        {"expr": alerts, "eval_time": f"{SURGE_AT_MIN - 1}m", "exp_samples": []},
        {
            "expr": f'{alerts[:-1]}, queue="{queue}", channel="voice", severity="warning"}}',
            "eval_time": f"{during}m",
            "exp_samples": [{"labels": firing(queue), "value": 1}],
        },
        {"expr": alerts, "eval_time": f"{MINUTES}m", "exp_samples": []},
    ]
    unit = {
        "rule_files": [str(path) for path in RULE_FILES],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": name, "values": notation(values)}
                    for name, values in minute_series().items()
                ],
                "promql_expr_test": checks,
            }
        ],
    }
    path = tmp_path / "surge_test.yml"
    path.write_text(yaml.safe_dump(unit, sort_keys=False))
    done = run([promtool, "test", "rules", str(path)], timeout=300)
    assert "SUCCESS" in done.stdout, done.stdout + done.stderr
