"""The built-in wallboard: one self-refreshing HTML page of the live KPIs per queue.

For a TV in the contact center when there is no Grafana yet (SPEC §2 names it next to
/metrics). It is rendered from the same evaluated families as /metrics, so the two
never disagree, and colours follow the configured targets exactly as the alert rules
do: service level red below its target, abandonment red above its alert ratio,
longest wait amber past the service-level threshold and red past three times it.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import NamedTuple

from ..core.catalog import KPIS, Kpi
from ..core.evaluate import Family
from ..core.timeutil import format_time

REFRESH_S = 5


class Column(NamedTuple):
    """One KPI of the catalog, in one window (none for the live gauges)."""

    key: str
    window: str = ""

    @property
    def kpi(self) -> Kpi:
        return KPIS[self.key]

    @property
    def title(self) -> str:
        return f"{self.kpi.title} {self.window}".strip()


class Row(NamedTuple):
    queue: str
    channel: str
    values: dict[Column, float]


#: Per (queue, channel); titles, units and families come from the catalog.
COLUMNS: tuple[Column, ...] = (
    Column("waiting"),
    Column("longest_wait"),
    Column("service_level", "15m"),
    Column("service_level", "today"),
    Column("abandonment", "15m"),
    Column("speed_of_answer", "15m"),
    Column("csat", "today"),
)
WAITING, LONGEST_WAIT = COLUMNS[:2]
#: Per-queue settings the colours compare with.
TARGETS = {
    "cx_config_service_level_target_ratio": "sl_target",
    "cx_config_abandonment_alert_ratio": "abandon_alert",
    "cx_config_service_level_threshold_seconds": "threshold",
}


def rows_of(families: Iterable[Family]) -> tuple[list[Row], dict[str, dict[str, float]]]:
    """Wallboard rows (busiest first) and the per-queue targets."""
    rows: dict[tuple[str, str], Row] = {}
    targets: dict[str, dict[str, float]] = {}
    by_name = {family.name: family for family in families}
    for column in COLUMNS:
        family = by_name.get(column.kpi.family)
        if family is None:
            continue
        required = dict(column.kpi.select)
        if column.window:
            required["window"] = column.window
        for label_values, value in family.samples:
            labels = dict(zip(family.labels, label_values, strict=True))
            if any(labels.get(k) != v for k, v in required.items()):
                continue
            key = (labels["queue"], labels["channel"])
            row = rows.setdefault(key, Row(*key, {}))
            row.values[column] = float(value)  # type: ignore[arg-type]
    for name, target in TARGETS.items():
        family = by_name.get(name)
        for label_values, value in family.samples if family else ():
            targets.setdefault(label_values[0], {})[target] = float(value)  # type: ignore[arg-type]
    ordered = sorted(
        rows.values(),
        key=lambda r: (-r.values.get(WAITING, 0), -r.values.get(LONGEST_WAIT, 0), r[:2]),
    )
    return ordered, targets


def _seconds(value: float) -> str:
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def _state(key: str, value: float, target: dict[str, float]) -> str:
    """Colours as the alert rules judge: against the queue's configured targets."""
    if key == "service_level" and "sl_target" in target:
        return "bad" if value < target["sl_target"] else "good"
    if key == "abandonment" and "abandon_alert" in target:
        return "bad" if value > target["abandon_alert"] else "good"
    if key == "longest_wait" and "threshold" in target:
        limit = target["threshold"]
        return "bad" if value > 3 * limit else "warn" if value > limit else "good"
    return ""


def _cell(column: Column, value: float | None, target: dict[str, float]) -> str:
    if value is None:
        return '<td class="none">–</td>'
    unit = column.kpi.unit
    if unit == "seconds":
        text = _seconds(value)
    elif unit == "count":
        text = f"{value:.0f}"
    else:
        text = f"{value * 100:.0f}%"
    return f'<td class="{_state(column.key, value, target)}">{text}</td>'


def wallboard_html(families: Iterable[Family], at_ms: int) -> bytes:
    rows, targets = rows_of(families)
    head = "".join(f"<th>{escape(column.title)}</th>" for column in COLUMNS)
    body = []
    for row in rows:
        target = targets.get(row.queue, {})
        cells = "".join(_cell(c, row.values.get(c), target) for c in COLUMNS)
        body.append(f"<tr><th>{escape(row.queue)}</th><td>{escape(row.channel)}</td>{cells}</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(COLUMNS) + 2}">no contacts yet</td></tr>')
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="{REFRESH_S}">
<title>cxkpi wallboard</title>
<style>
body {{ background:#111; color:#eee; font:1.4rem system-ui, sans-serif; margin:1rem; }}
table {{ border-collapse:collapse; width:100%; }}
th, td {{ padding:.4rem .8rem; border-bottom:1px solid #333; text-align:right; }}
tr > :first-child, tr > :nth-child(2) {{ text-align:left; }}
.good {{ color:#3c3; }} .warn {{ color:#fb0; }} .bad {{ color:#f44; font-weight:bold; }}
.none {{ color:#666; }} footer {{ color:#888; font-size:1rem; margin-top:1rem; }}
</style></head><body>
<h1>Queues now</h1>
<table><thead><tr><th>queue</th><th>channel</th>{head}</tr></thead>
<tbody>{"".join(body)}</tbody></table>
<footer>as of {format_time(at_ms)} · refreshes every {REFRESH_S} s ·
colours follow the configured targets · <a href="metrics">/metrics</a></footer>
</body></html>
"""
    return page.encode()
