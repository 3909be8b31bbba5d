"""The README's "Wallboards and alerts" section: its alert table lists exactly the alerts
of prometheus/rules/alerts.yml, and its addresses and paths are those of the stack."""

from __future__ import annotations

import re

from stream.cli.main import build_parser

from .test_rules import RUNBOOK, _anchors
from .tools import ROOT, load_yaml, rules

README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("\n## Wallboards and alerts\n", 1)[1].split("\n## ", 1)[0]
ROW = re.compile(r"^\| \[(\w+)\]\(docs/alerts\.md#([\w-]+)\) \| ([a-z, ]+) \| (.+) \| (.+) \|$")


def _table() -> list[tuple[str, str, set[str]]]:
    """(alert, anchor, severities) of each row of the alert table."""
    rows = []
    for line in SECTION.splitlines():
        if line.startswith("| [Cx"):
            match = ROW.match(line)
            assert match, f"malformed alert row: {line}"
            name, anchor, severities = match.group(1, 2, 3)
            rows.append((name, anchor, set(severities.split(", "))))
    return rows


def test_the_alert_table_lists_exactly_the_alerts_of_the_rules():
    shipped: dict[str, set[str]] = {}
    for rule in rules("alert"):
        shipped.setdefault(rule["alert"], set()).add(rule["labels"]["severity"])
    rows = _table()
    names = [name for name, _anchor, _severities in rows]
    assert len(names) == len(set(names)), "an alert listed twice"
    assert names == list(shipped), "the table lists the alerts of alerts.yml, in its order"
    assert {name: severities for name, _anchor, severities in rows} == shipped


def test_the_alert_table_links_each_runbook():
    anchors = _anchors(RUNBOOK.read_text(encoding="utf-8"))
    for name, anchor, _severities in _table():
        assert anchor == name.lower() and anchor in anchors, name


def test_the_addresses_are_the_published_ports():
    compose = load_yaml(ROOT / "docker-compose.yml")
    published = {
        str(port).split(":")[1]
        for service in compose["services"].values()
        for port in service.get("ports", [])
    }
    mentioned = set(re.findall(r"127\.0\.0\.1:(\d+)", SECTION))
    assert mentioned == published
    grafana = compose["services"]["grafana"]["environment"]
    assert grafana["GF_SECURITY_ADMIN_PASSWORD"] == "${GRAFANA_ADMIN_PASSWORD:-admin}"
    assert "`$GRAFANA_ADMIN_PASSWORD` (default `admin`)" in SECTION


def test_the_paths_exist():
    paths = set(re.findall(r"`((?:grafana|prometheus|docs)/[^`\s]+)`", SECTION))
    paths |= set(re.findall(r"\]\(((?:docs)/[^)#]+)", SECTION))
    assert paths
    for path in paths:
        assert list(ROOT.glob(path)), f"README names {path}, which does not exist"


def test_the_worker_flags_exist():
    """Every --flag the section names (but docker compose's and the dashboard
    generator's) is an option of the real ``cxkpi worker`` parser."""
    flags = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", SECTION)) - {"--build", "--check"}
    assert "--web-host" in flags
    subcommands = build_parser(only="worker")._subparsers._group_actions[0].choices
    known = {
        option for action in subcommands["worker"]._actions for option in action.option_strings
    }
    assert flags <= known, flags - known
