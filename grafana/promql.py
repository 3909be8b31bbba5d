"""PromQL building blocks shared by the dashboards, and the colour thresholds.

Ratios are summed from the recorded numerators and denominators of
prometheus/rules/recording.yml and divided last, so they stay right across channels and
workers; worker-computed ratios (per queue and channel) are shown as they are.
"""

from __future__ import annotations

from dashkit import (
    POLICY,
    WAIT_RED_FACTOR,
    higher_is_better,
    lower_is_better,
    target,
)

Q = 'queue=~"$queue"'
QC = 'queue=~"$queue", channel=~"$channel"'
SL_T = POLICY.service_level_threshold_seconds
SL = higher_is_better(POLICY.service_level_target)
ABANDON = lower_is_better(POLICY.abandonment_alert, 2 * POLICY.abandonment_alert)
CSAT = higher_is_better(POLICY.csat_target)
WAIT = lower_is_better(SL_T, WAIT_RED_FACTOR * SL_T)
ANY_BAD = lower_is_better(1, 1)
RULE = "queue_channel_window:cx_window_contacts"


def ratio(numerator: str, denominator: str, window: str, by: str = "") -> str:
    """sum(numerator) / sum(denominator) over the selected queues and channels."""
    sel = f'{{{QC}, window="{window}"}}'
    agg = f"sum by ({by})" if by else "sum"
    return f"{agg} ({numerator}{sel}) / ({agg} ({denominator}{sel}) > 0)"


def sl_ratio(window: str, by: str = "") -> str:
    return ratio(f"{RULE}_sl_met:sum", f"{RULE}_sl_eligible:sum", window, by)


def abandon_ratio(window: str, by: str = "") -> str:
    return ratio(f"{RULE}_abandoned_counted:sum", f"{RULE}_counted:sum", window, by)


def asa(window: str, by: str = "") -> str:
    return ratio(
        "queue_channel_window:cx_answered_wait_seconds:sum", f"{RULE}_answered:sum", window, by
    )


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
