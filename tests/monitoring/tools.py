"""Shared helpers of the monitoring tests: paths, external tools, PromQL and YAML."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import missing_tool

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "prometheus"
RULE_FILES = (PROMETHEUS_DIR / "rules" / "recording.yml", PROMETHEUS_DIR / "rules" / "alerts.yml")
RULE_TESTS = tuple(sorted((PROMETHEUS_DIR / "tests").glob("*.yml")))
DASHBOARD_DIR = ROOT / "grafana" / "dashboards"
DASHBOARDS = tuple(sorted(DASHBOARD_DIR.glob("*.json")))

#: What the Grafana variables stand for when a panel query is checked outside Grafana.
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "1m",
    "$__range": "1h",
    "${datasource}": "cxkpi-prometheus",
    "$queue": ".*",
    "$channel": ".*",
    "$window": "15m",
}


def need_tool(name: str) -> str:
    """The path of an external tool; skip without it, but fail in CI (CI=true)."""
    path = shutil.which(name)
    if path:
        return path
    missing_tool(
        f"{name} is not installed; install Debian's prometheus and prometheus-alertmanager "
        "packages (apt-get install --no-install-recommends prometheus prometheus-alertmanager)"
    )


def run(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a tool; on a non-zero exit, fail the test with its output."""
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def load_yaml(path: Path) -> Any:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def rules(kind: str) -> Iterator[dict[str, Any]]:
    """Every rule of the shipped rule files that has ``kind`` ("record" or "alert")."""
    for path in RULE_FILES:
        for group in load_yaml(path)["groups"]:
            for rule in group["rules"]:
                if kind in rule:
                    yield rule


def recorded_names() -> frozenset[str]:
    return frozenset(rule["record"] for rule in rules("record"))


def dashboards() -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in DASHBOARDS}


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def panel_queries() -> Iterator[tuple[str, str, str]]:
    """(dashboard, panel title, PromQL) for every query of every panel."""
    for name, board in dashboards().items():
        for panel in panels(board):
            for target in panel.get("targets", []):
                yield name, panel["title"], target["expr"]


def substitute(expr: str) -> str:
    """Replace the Grafana variables by values Prometheus accepts."""
    for variable, value in sorted(GRAFANA_VARIABLES.items(), key=lambda kv: -len(kv[0])):
        expr = expr.replace(variable, value)
    return expr


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"(?<![\w.$])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?")
_KEYWORDS = frozenset(
    {
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "offset",
        "and",
        "or",
        "unless",
        "inf",
        "nan",
        "Inf",
        "NaN",
        "atan2",
    }
)
_AGGREGATIONS = frozenset(
    {
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
        "limitk",
        "limit_ratio",
    }
)


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (also inside {__name__=~...})."""
    names = set()
    for matcher in re.finditer(r'__name__\s*=~?\s*"([^"]*)"', expr):
        names.update(part for part in matcher.group(1).split("|") if part)
    bare = _STRING.sub('""', expr)
    bare = _MATCHERS.sub("", bare)
    bare = _RANGES.sub("", bare)
    bare = _GROUPING.sub("", bare)
    for match in _IDENT.finditer(bare):
        word, call = match.group(1), match.group(2)
        if call or word in _KEYWORDS or word in _AGGREGATIONS:
            continue
        names.add(word)
    return names


def range_windows(expr: str) -> list[str]:
    """The range windows of rate(), irate() and increase() calls: [$__rate_interval] ..."""
    return re.findall(r"\b(?:rate|irate|increase)\s*\([^\[\]]*\[([^\]]*)\]", expr)
