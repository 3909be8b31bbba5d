"""Small builders for Grafana dashboard JSON: panels, targets, thresholds, variables.

Plain dicts in, plain dicts out; no Grafana SDK. Every panel gets the templated data
source, a description and a unit; the ``Layout`` places panels left to right in rows of
24 columns and numbers them, so ids and positions are stable.
"""

from __future__ import annotations

from typing import Any

from stream.core.config import DEFAULT_FIRST_REPLY_TARGETS, QueuePolicy

DATASOURCE_UID = "cxkpi-prometheus"  # grafana/provisioning/datasources/prometheus.yml
DS = {"type": "prometheus", "uid": "${datasource}"}
SCHEMA_VERSION = 39

#: SPEC §4 defaults, read from the one configuration module.
POLICY = QueuePolicy()
FIRST_REPLY_TARGETS = dict(DEFAULT_FIRST_REPLY_TARGETS)
#: How far below a target a ratio shows amber before it turns red (10 points).
AMBER_BAND = 0.10
#: Longest wait / speed of answer: red from 3 × the SL threshold (the warning alert).
WAIT_RED_FACTOR = 3

GREEN, AMBER, RED = "green", "orange", "red"

Json = dict[str, Any]


def higher_is_better(target: float, band: float = AMBER_BAND) -> Json:
    """Red below target − band, amber up to the target, green from the target."""
    return _steps((RED, None), (AMBER, round(target - band, 6)), (GREEN, target))


def lower_is_better(amber: float, red: float) -> Json:
    """Green below ``amber``, amber from it, red from ``red``."""
    return _steps((GREEN, None), (AMBER, amber), (RED, red))


def at_least_one() -> Json:
    """Red at 0, green from 1 (workers up, agents available)."""
    return _steps((RED, None), (GREEN, 1))


def _steps(*steps: tuple[str, float | None]) -> Json:
    return {"mode": "absolute", "steps": [{"color": c, "value": v} for c, v in steps]}


def target(expr: str, legend: str = "", **extra: Any) -> Json:
    """One PromQL query; its refId is set when the panel is built."""
    return {
        "datasource": DS,
        "editorMode": "code",
        "expr": " ".join(expr.split()),
        "legendFormat": legend or "__auto",
        "range": not extra.get("instant", False),
        "refId": "A",
        **extra,
    }


def _panel(
    kind: str,
    title: str,
    description: str,
    unit: str,
    targets: list[Json],
    thresholds: Json | None = None,
    **extra: Any,
) -> Json:
    defaults: Json = {"unit": unit}
    if thresholds:
        defaults["thresholds"] = thresholds
        defaults["color"] = {"mode": "thresholds"}
    defaults.update(extra.pop("defaults", {}))  # a time series keeps its palette
    for ref, tgt in zip("ABCDEFGH", targets, strict=False):
        tgt["refId"] = ref
    return {
        "datasource": DS,
        "description": description,
        "fieldConfig": {"defaults": defaults, "overrides": extra.pop("overrides", [])},
        "targets": targets,
        "title": title,
        "type": kind,
        **extra,
    }


def stat(
    title: str,
    description: str,
    unit: str,
    expr: str,
    thresholds: Json | None = None,
    decimals: int | None = None,
) -> Json:
    defaults = {} if decimals is None else {"decimals": decimals}
    return _panel(
        "stat",
        title,
        description,
        unit,
        [target(expr, instant=True)],
        thresholds or _steps(("text", None)),
        defaults=defaults,
        options={
            "colorMode": "background",
            "graphMode": "none",
            "justifyMode": "center",
            "orientation": "auto",
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "textMode": "value",
            "wideLayout": True,
        },
    )


def timeseries(
    title: str,
    description: str,
    unit: str,
    targets: list[Json],
    thresholds: Json | None = None,
    stack: bool = False,
    limits: tuple[float | None, float | None] = (None, None),
) -> Json:
    custom: Json = {
        "drawStyle": "line",
        "fillOpacity": 20 if stack else 5,
        "lineWidth": 1,
        "showPoints": "never",
        "spanNulls": False,
    }
    if stack:
        custom["stacking"] = {"group": "A", "mode": "normal"}
    if thresholds:
        custom["thresholdsStyle"] = {"mode": "dashed"}
    defaults: Json = {"custom": custom, "color": {"mode": "palette-classic"}}
    for key, value in zip(("min", "max"), limits, strict=True):
        if value is not None:
            defaults[key] = value
    return _panel(
        "timeseries",
        title,
        description,
        unit,
        targets,
        thresholds,
        defaults=defaults,
        options={
            "legend": {
                "calcs": ["lastNotNull", "max"],
                "displayMode": "table",
                "placement": "right",
                "showLegend": True,
            },
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
        overrides=[
            {
                # Configured targets are drawn as dashed lines without fill.
                "matcher": {"id": "byRegexp", "options": "^target.*"},
                "properties": [
                    {"id": "custom.lineStyle", "value": {"dash": [10, 10], "fill": "dash"}},
                    {"id": "custom.fillOpacity", "value": 0},
                    {"id": "custom.stacking", "value": {"group": "A", "mode": "none"}},
                ],
            }
        ],
    )


def heatmap(title: str, description: str, expr: str, y_unit: str) -> Json:
    return _panel(
        "heatmap",
        title,
        description,
        "cps",
        [target(expr, "{{le}}", format="heatmap")],
        options={
            "calculate": False,
            "cellGap": 1,
            "color": {
                "exponent": 0.5,
                "fill": "dark-orange",
                "mode": "scheme",
                "reverse": False,
                "scale": "exponential",
                "scheme": "Oranges",
                "steps": 64,
            },
            "filterValues": {"le": 1e-9},
            "legend": {"show": True},
            "rowsFrame": {"layout": "auto"},
            "tooltip": {"mode": "single", "yHistogram": True},
            "yAxis": {"axisPlacement": "left", "unit": y_unit},
        },
    )


def table(title: str, description: str, expr: str) -> Json:
    return _panel(
        "table",
        title,
        description,
        "none",
        [target(expr, format="table", instant=True)],
        options={"showHeader": True, "cellHeight": "sm"},
        transformations=[
            {
                "id": "organize",
                "options": {"excludeByName": {"Time": True, "Value": True, "__name__": True}},
            }
        ],
    )


def row(title: str, description: str, repeat: str | None = None) -> Json:
    panel: Json = {
        "collapsed": False,
        "description": description,
        "panels": [],
        "title": title,
        "type": "row",
    }
    if repeat:
        panel["repeat"] = repeat
    return panel


class Layout:
    """Places panels left to right, wrapping at 24 columns; rows span the width."""

    def __init__(self) -> None:
        self.panels: list[Json] = []
        self.x = self.y = self.line_height = 0

    def add(self, panel: Json, w: int = 24, h: int = 8) -> None:
        if panel["type"] == "row":
            self._newline()
            w, h = 24, 1
        elif self.x + w > 24:
            self._newline()
        panel["gridPos"] = {"h": h, "w": w, "x": self.x, "y": self.y}
        panel["id"] = len(self.panels) + 1
        self.panels.append(panel)
        self.x += w
        self.line_height = max(self.line_height, h)
        if panel["type"] == "row":
            self._newline()

    def _newline(self) -> None:
        self.y += self.line_height
        self.x = self.line_height = 0


def datasource_variable() -> Json:
    return {
        "current": {"selected": False, "text": "Prometheus", "value": DATASOURCE_UID},
        "hide": 0,
        "includeAll": False,
        "label": "Data source",
        "multi": False,
        "name": "datasource",
        "options": [],
        "query": "prometheus",
        "refresh": 1,
        "regex": "",
        "skipUrlSync": False,
        "type": "datasource",
    }


def query_variable(name: str, label: str, query: str) -> Json:
    return {
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "datasource": DS,
        "definition": query,
        "hide": 0,
        "includeAll": True,
        "label": label,
        "multi": True,
        "name": name,
        "options": [],
        "query": query,  # classic label_values() form, understood by every version
        "refresh": 2,
        "regex": "",
        "skipUrlSync": False,
        "sort": 1,
        "type": "query",
    }


def custom_variable(name: str, label: str, values: list[str], default: str) -> Json:
    return {
        "current": {"selected": True, "text": default, "value": default},
        "hide": 0,
        "includeAll": False,
        "label": label,
        "multi": False,
        "name": name,
        "options": [{"selected": v == default, "text": v, "value": v} for v in values],
        "query": ",".join(values),
        "skipUrlSync": False,
        "type": "custom",
    }


#: Queues come from the contact and ticket counters: every queue that had traffic.
QUEUE_VARIABLE = query_variable(
    "queue",
    "Queue",
    'label_values({__name__=~"cx_contacts_offered_total|cx_tickets_created_total"}, queue)',
)
CHANNEL_VARIABLE = query_variable(
    "channel",
    "Channel",
    'label_values(cx_contacts_offered_total{queue=~"$queue"}, channel)',
)


def dashboard(
    uid: str,
    title: str,
    description: str,
    layout: Layout,
    variables: list[Json],
    refresh: str,
    time_from: str,
) -> Json:
    return {
        "annotations": {
            "list": [
                {
                    "builtIn": 1,
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                }
            ]
        },
        "description": description,
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "links": [
            {
                "asDropdown": False,
                "icon": "external link",
                "includeVars": True,
                "keepTime": True,
                "tags": ["cxkpi"],
                "targetBlank": False,
                "title": "cxkpi",
                "type": "dashboards",
            }
        ],
        "panels": layout.panels,
        "refresh": refresh,
        "schemaVersion": SCHEMA_VERSION,
        "tags": ["cxkpi"],
        "templating": {"list": [datasource_variable(), *variables]},
        "time": {"from": time_from, "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "title": title,
        "uid": uid,
        "version": 1,
        "weekStart": "",
    }
