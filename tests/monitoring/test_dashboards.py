"""Grafana dashboards and provisioning: generated, complete, and every query valid PromQL
over metrics that exist (SPEC §6, the worker's extras, the recording rules)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from stream.core.config import QueuePolicy

from .contract import sample_names
from .tools import (
    DASHBOARDS,
    ROOT,
    dashboards,
    metric_names,
    need_tool,
    panel_queries,
    panels,
    range_windows,
    recorded_names,
    run,
    substitute,
)

UIDS = {
    "wallboard": "cxkpi-wallboard",
    "operations": "cxkpi-operations",
    "pipeline": "cxkpi-pipeline",
}
BOARDS = dashboards()
QUERIES = list(panel_queries())
PANELS = [(name, p) for name, board in BOARDS.items() for p in panels(board)]
DATASOURCE_UID = "cxkpi-prometheus"


def test_committed_json_is_what_the_generator_makes():
    done = subprocess.run(
        [sys.executable, str(ROOT / "grafana" / "build_dashboards.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_uids_are_stable_and_unique():
    assert {name: board["uid"] for name, board in BOARDS.items()} == UIDS
    assert [p.stem for p in DASHBOARDS] == sorted(UIDS)


@pytest.mark.parametrize("name", sorted(UIDS))
def test_dashboard_variables(name):
    variables = {v["name"]: v for v in BOARDS[name]["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["datasource"]["current"]["value"] == DATASOURCE_UID
    for label in ("queue", "channel"):
        var = variables[label]
        assert var["type"] == "query" and var["multi"] and var["includeAll"]
        assert var["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert var["query"].startswith("label_values(") and var["query"].endswith(f", {label})")
        selector = var["query"][len("label_values(") : -len(f", {label})")]
        assert metric_names(selector) <= sample_names(), selector


def test_wallboard_refreshes_every_5s_and_repeats_per_queue():
    board = BOARDS["wallboard"]
    assert board["refresh"] == "5s"
    rows = [p for p in board["panels"] if p["type"] == "row"]
    assert [r.get("repeat") for r in rows] == ["queue"]


@pytest.mark.parametrize(
    "name,panel", PANELS, ids=lambda x: x if isinstance(x, str) else x["title"]
)
def test_panel_has_description_unit_and_templated_datasource(name, panel):
    assert panel["description"].strip(), "every panel says what it shows"
    if panel["type"] == "row":
        return
    assert panel["fieldConfig"]["defaults"]["unit"], "every panel has a unit"
    assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    assert panel["targets"], "a panel without a query"
    for target in panel["targets"]:
        assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


@pytest.mark.parametrize("name", sorted(UIDS))
def test_panel_ids_unique_and_grid_fits(name):
    ids = [p["id"] for p in panels(BOARDS[name])]
    assert len(ids) == len(set(ids))
    for panel in panels(BOARDS[name]):
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24


@pytest.mark.parametrize("name,title,expr", QUERIES, ids=lambda x: x if len(x) < 40 else None)
def test_query_uses_only_known_metrics(name, title, expr):
    unknown = metric_names(expr) - sample_names() - recorded_names()
    assert not unknown, f"{name} / {title}: not in SPEC §6, the extras or the rules: {unknown}"


@pytest.mark.parametrize("name,title,expr", QUERIES, ids=lambda x: x if len(x) < 40 else None)
def test_rates_use_rate_interval(name, title, expr):
    for window in range_windows(expr):
        assert window == "$__rate_interval", f"{name} / {title}: [{window}]"


def test_every_query_parses_with_promtool(tmp_path):
    """Each panel query, variables substituted, as a recording rule for promtool."""
    promtool = need_tool("promtool")
    rules = [
        {"record": f"cxkpi_panel_query_{i}", "expr": substitute(expr)}
        for i, (_name, _title, expr) in enumerate(QUERIES)
    ]
    path = tmp_path / "panel_queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    done = run([promtool, "check", "rules", str(path)])
    assert f"SUCCESS: {len(rules)} rules found" in done.stdout


def _thresholds(title):
    found = [p for _name, p in PANELS if p["title"] == title]
    assert found, title
    steps = found[0]["fieldConfig"]["defaults"]["thresholds"]["steps"]
    return [(s["color"], s["value"]) for s in steps]


def test_colours_follow_the_configured_defaults():
    policy = QueuePolicy()
    target = policy.service_level_target
    assert _thresholds("Service level 15m")[1:] == [
        ("orange", pytest.approx(target - 0.1)),
        ("green", target),
    ]
    assert _thresholds("Service level ($window)")[-1] == ("green", target)
    alert = policy.abandonment_alert
    assert _thresholds("Abandoned today")[1:] == [("orange", alert), ("red", 2 * alert)]
    assert _thresholds("CSAT 1h")[-1] == ("green", policy.csat_target)
    threshold = policy.service_level_threshold_seconds
    # red from the CxLongestWaitTooLong warning: 3 × the service-level threshold
    assert _thresholds("Longest wait")[1:] == [("orange", threshold), ("red", 3 * threshold)]


def test_provisioning():
    datasources = yaml.safe_load(
        (ROOT / "grafana/provisioning/datasources/prometheus.yml").read_text()
    )["datasources"]
    assert [(d["uid"], d["type"], d["url"]) for d in datasources] == [
        (DATASOURCE_UID, "prometheus", "http://prometheus:9090")
    ]
    providers = yaml.safe_load((ROOT / "grafana/provisioning/dashboards/cxkpi.yml").read_text())[
        "providers"
    ]
    assert [p["options"]["path"] for p in providers] == ["/var/lib/grafana/dashboards"]
