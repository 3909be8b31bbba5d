"""PromQL building blocks shared by the dashboards, the colour thresholds, and the
catalog's words for each KPI.

Ratios are summed from the recorded numerators and denominators of
prometheus/rules/recording.yml (the catalog's ``PARTS``) and divided last, so they stay
right across channels and workers; worker-computed ratios (per queue and channel) are
shown as they are. Titles, units and descriptions of KPI panels come from
``stream.core.catalog`` (``about``), the same words as the built-in wallboard's.
"""

from __future__ import annotations

from dashkit import (
    POLICY,
    WAIT_RED_FACTOR,
    higher_is_better,
    lower_is_better,
    target,
)

from stream.core.catalog import BY_NAME, KPIS

Q = 'queue=~"$queue"'
QC = 'queue=~"$queue", channel=~"$channel"'
SL_T = POLICY.service_level_threshold_seconds
SL = higher_is_better(POLICY.service_level_target)
ABANDON = lower_is_better(POLICY.abandonment_alert, 2 * POLICY.abandonment_alert)
CSAT = higher_is_better(POLICY.csat_target)
WAIT = lower_is_better(SL_T, WAIT_RED_FACTOR * SL_T)
ANY_BAD = lower_is_better(1, 1)
UNITS = {"ratio": "percentunit", "seconds": "s", "count": "short"}
WINDOW_WORDS = {
    "15m": "Last 15 minutes.",
    "1h": "Last hour.",
    "today": "Since midnight.",
    "($window)": "Over the chosen window.",
}


def about(key: str, window: str = "", note: str = "") -> tuple[str, str, str]:
    """Title, description and Grafana unit of the catalog's KPI ``key``: its family's
    help, the window in words, and ``note`` (what the panel adds, such as colours)."""
    kpi = KPIS[key]
    words = [kpi.help or BY_NAME[kpi.family].help, WINDOW_WORDS.get(window, ""), note]
    title = f"{kpi.title} {window}".strip()
    return title, " ".join(w for w in words if w), UNITS[kpi.unit]


def ratio(numerator: str, denominator: str, window: str, by: str = "") -> str:
    """sum(numerator) / sum(denominator) over the selected queues and channels."""
    sel = f'{{{QC}, window="{window}"}}'
    agg = f"sum by ({by})" if by else "sum"
    return f"{agg} ({numerator}{sel}) / ({agg} ({denominator}{sel}) > 0)"


def rebuilt(key: str, window: str, by: str = "") -> str:
    """A KPI the recording rules rebuild from its parts (``Kpi.numerator``/``denominator``)."""
    kpi = KPIS[key]
    assert kpi.numerator and kpi.denominator, f"{key} has no recorded parts"
    return ratio(
        f"queue_channel_window:{kpi.numerator.name}:sum",
        f"queue_channel_window:{kpi.denominator.name}:sum",
        window,
        by,
    )


def live(key: str, window: str = "") -> str:
    """A KPI's samples over the selected queues (and channels, where it has them): the
    longest of the waits, the sum of the counts."""
    kpi = KPIS[key]
    labels = BY_NAME[kpi.family].labels
    selector = [QC if "channel" in labels else Q]
    selector += [f'{name}="{value}"' for name, value in kpi.select]
    if window:
        selector.append(f'window="{window}"')
    agg = "max" if kpi.unit == "seconds" else "sum"
    return f"{agg}({kpi.family}{{{', '.join(selector)}}})"


def quantile(q: float, family: str, selector: str, by: str) -> str:
    return (
        f"histogram_quantile({q}, sum by ({by}, le) "
        f"(rate({family}_bucket{{{selector}}}[$__rate_interval])))"
    )


def mean(family: str, selector: str, by: str) -> str:
    return (
        f"sum by ({by}) (rate({family}_sum{{{selector}}}[$__rate_interval])) / "
        f"(sum by ({by}) (rate({family}_count{{{selector}}}[$__rate_interval])) > 0)"
    )


def per_minute(counter: str, selector: str, by: str, seconds: int = 60) -> str:
    return f"sum by ({by}) (rate({counter}{{{selector}}}[$__rate_interval])) * {seconds}"


def config_line(metric: str) -> dict:
    return target(f"queue:{metric}:max{{{Q}}}", "target {{queue}}")
