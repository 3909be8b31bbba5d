"""Prometheus configuration, recording rules and alerts: the real promtool, and the
conventions the rules promise (names, labels, annotations, runbooks, thresholds)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from stream.core.config import QueuePolicy

from .contract import sample_names
from .tools import (
    PROMETHEUS_DIR,
    ROOT,
    RULE_FILES,
    RULE_TESTS,
    load_yaml,
    metric_names,
    need_tool,
    recorded_names,
    rules,
    run,
)

ALERTS = list(rules("alert"))
RECORDS = list(rules("record"))
RUNBOOK = ROOT / "docs" / "alerts.md"


def test_committed_recording_rules_are_what_the_generator_makes():
    done = subprocess.run(
        [sys.executable, str(PROMETHEUS_DIR / "build_rules.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_check_config():
    promtool = need_tool("promtool")
    done = run([promtool, "check", "config", str(PROMETHEUS_DIR / "prometheus.yml")])
    assert "2 rule files found" in done.stdout


def test_promtool_check_rules():
    promtool = need_tool("promtool")
    run([promtool, "check", "rules", *map(str, RULE_FILES)])


@pytest.mark.parametrize("unit_test", RULE_TESTS, ids=lambda p: p.name)
def test_promtool_test_rules(unit_test):
    promtool = need_tool("promtool")
    done = run([promtool, "test", "rules", str(unit_test)], timeout=300)
    assert "SUCCESS" in done.stdout


def test_amtool_check_config():
    amtool = need_tool("amtool")
    run([amtool, "check-config", str(PROMETHEUS_DIR / "alertmanager.yml")])


def test_scrape_job_and_rule_files():
    config = load_yaml(PROMETHEUS_DIR / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = [t for sc in jobs["cxkpi"]["static_configs"] for t in sc["targets"]]
    assert targets == ["worker:6066"]
    for name in config["rule_files"]:
        assert (PROMETHEUS_DIR / name).exists(), name
    managers = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert managers == ["alertmanager:9093"]


@pytest.mark.parametrize("rule", RECORDS, ids=lambda r: r["record"])
def test_recording_rule_names_are_level_metric_operation(rule):
    level, metric, operation = rule["record"].split(":")
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", level), level
    assert metric.startswith("cx_"), metric
    assert re.fullmatch(r"[a-z0-9_]+", operation), operation


@pytest.mark.parametrize(
    "rule", RECORDS + ALERTS, ids=lambda r: r.get("record") or f"{r['alert']}-{r['labels']}"
)
def test_rules_read_only_contract_metrics(rule):
    unknown = metric_names(rule["expr"]) - sample_names() - recorded_names()
    assert not unknown, f"not in SPEC §6, the extras or the recording rules: {unknown}"


def _anchors(markdown: str) -> set[str]:
    """GitHub-style anchors of the markdown headings."""
    anchors = set()
    for heading in re.findall(r"^#+\s+(.+)$", markdown, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


@pytest.mark.parametrize("rule", ALERTS, ids=lambda r: f"{r['alert']}-{r['labels']['severity']}")
def test_alert_style(rule):
    assert re.fullmatch(r"Cx(?:[A-Z][a-z0-9]+)+", rule["alert"]), "CamelCase, Cx prefix"
    assert rule["labels"]["severity"] in {"warning", "critical"}
    annotations = rule["annotations"]
    assert set(annotations) == {"summary", "description", "runbook_url"}
    assert annotations["summary"].endswith(".")
    page, anchor = annotations["runbook_url"].split("#")
    assert page == "docs/alerts.md"
    assert anchor == rule["alert"].lower()
    assert anchor in _anchors(RUNBOOK.read_text(encoding="utf-8")), f"no section {anchor}"


def test_alerts_come_in_warning_critical_pairs():
    severities: dict[str, set[str]] = {}
    for rule in ALERTS:
        severities.setdefault(rule["alert"], set()).add(rule["labels"]["severity"])
    single = {name for name, levels in severities.items() if levels != {"warning", "critical"}}
    assert single == {"CxLabelOverflow"}  # a pure warning: nothing gets worse with time


@pytest.mark.parametrize(
    "rule",
    [r for r in ALERTS if re.search(r"queue_channel|cx_longest", r["expr"])],
    ids=lambda r: f"{r['alert']}-{r['labels']['severity']}",
)
def test_queue_alerts_compare_with_configured_thresholds(rule):
    """SPEC §4 thresholds come only from cx_config_* (recorded per queue), never literals."""
    expr = rule["expr"]
    if "burnrate" in expr:
        return  # the burn rate already divides by the configured error budget
    assert re.search(r"group_left \(\)\s*queue:cx_(config_|longest_wait)", expr), expr


def test_threshold_rules_read_the_exported_configuration():
    group = next(g for g in load_yaml(RULE_FILES[0])["groups"] if g["name"] == "cxkpi.thresholds")
    for rule in group["rules"]:
        names = metric_names(rule["expr"])
        assert all(n.startswith(("cx_config_", "queue:cx_config_")) for n in names), names


def test_unit_tests_use_the_spec_defaults():
    """The synthetic cx_config_* series of the promtool tests are the SPEC §4 defaults."""
    policy = QueuePolicy()
    expected = {
        "cx_config_service_level_target_ratio": policy.service_level_target,
        "cx_config_service_level_threshold_seconds": policy.service_level_threshold_seconds,
        "cx_config_abandonment_alert_ratio": policy.abandonment_alert,
        "cx_config_csat_target_ratio": policy.csat_target,
    }
    seen = set()
    for path in RULE_TESTS:
        for test in load_yaml(path)["tests"]:
            for series in test["input_series"]:
                name = series["series"].split("{")[0]
                if name in expected and 'queue="billing"' in series["series"]:
                    first = float(re.match(r"[\d.]+", series["values"]).group())
                    assert first == expected[name], (path.name, series)
                    seen.add(name)
    assert seen == set(expected)


def _seconds(duration: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", duration))


def _expectations():
    """(alertname, severity) -> the states the promtool tests expect it in."""
    states: dict[tuple[str, str], set[str]] = {}
    for path in RULE_TESTS:
        for test in load_yaml(path)["tests"]:
            events = []  # (time, state, alertname, severity or None)
            for check in test.get("alert_rule_test", []):
                at = _seconds(check["eval_time"])
                for alert in check["exp_alerts"]:
                    severity = alert["exp_labels"]["severity"]
                    events.append((at, "firing", check["alertname"], severity))
                if not check["exp_alerts"]:
                    events.append((at, "inactive", check["alertname"], None))
            for check in test.get("promql_expr_test", []):
                for sample in check["exp_samples"]:
                    labels = dict(re.findall(r'(\w+)="([^"]*)"', sample["labels"]))
                    if "alertstate" in labels:
                        at = _seconds(check["eval_time"])
                        state, name = labels["alertstate"], labels["alertname"]
                        events.append((at, state, name, labels["severity"]))
            fired: dict[tuple[str, str], float] = {}
            for at, state, name, severity in sorted(events, key=lambda e: e[0]):
                if severity is not None:
                    states.setdefault((name, severity), set()).add(state)
                    if state == "firing":
                        fired.setdefault((name, severity), at)
                    continue
                for key, since in fired.items():
                    if key[0] == name and since < at:
                        states[key].add("resolved")
    return states


@pytest.mark.parametrize("rule", ALERTS, ids=lambda r: f"{r['alert']}-{r['labels']['severity']}")
def test_every_alert_is_unit_tested_pending_firing_resolved(rule):
    states = _expectations().get((rule["alert"], rule["labels"]["severity"]), set())
    wanted = {"firing", "resolved"} | ({"pending"} if "for" in rule else set())
    assert wanted <= states, f"promtool tests check only {sorted(states)}"
