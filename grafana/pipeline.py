"""The Pipeline health dashboard: workers, event throughput, bad input, freshness."""

from __future__ import annotations

from dashkit import (
    CHANNEL_VARIABLE,
    QUEUE_VARIABLE,
    Layout,
    at_least_one,
    dashboard,
    lower_is_better,
    row,
    stat,
    table,
    target,
    timeseries,
)
from promql import (
    QC,
)


def pipeline() -> dict:
    lay = Layout()
    lay.add(row("Workers", "The cxkpi worker processes."))
    lay.add(
        stat(
            "Workers up",
            "cxkpi workers Prometheus can scrape.",
            "short",
            'sum(up{job="cxkpi"})',
            at_least_one(),
            decimals=0,
        ),
        w=4,
        h=5,
    )
    lay.add(
        stat(
            "Workers ready",
            "Workers that recovered their tables and own partitions.",
            "short",
            "sum(cx_worker_ready)",
            at_least_one(),
            decimals=0,
        ),
        w=4,
        h=5,
    )
    lay.add(
        table(
            "Worker versions",
            "cxkpi version of each worker (cx_build_info).",
            "max by (instance, version) (cx_build_info)",
        ),
        w=8,
        h=5,
    )
    lay.add(
        timeseries(
            "Contacts offered ($queue)",
            "KPI throughput of the selected queues and channels, contacts per minute.",
            "cpm",
            [
                target(
                    f"sum by (queue, channel) (queue_channel:cx_contacts_offered:rate5m{{{QC}}}) "
                    "* 60",
                    "{{queue}} {{channel}}",
                )
            ],
        ),
        w=8,
        h=5,
    )
    lay.add(
        timeseries(
            "Up and ready",
            "1 = up / ready, per worker.",
            "short",
            [
                target('up{job="cxkpi"}', "up {{instance}}"),
                target("cx_worker_ready", "ready {{instance}}"),
            ],
            limits=(0, 1),
        ),
        w=24,
        h=6,
    )
    lay.add(row("Events", "What the workers consume from Kafka."))
    lay.add(
        timeseries(
            "Events consumed",
            "Events per second by topic and type.",
            "cps",
            [
                target(
                    "sum by (topic, type) (rate(cx_events_total[$__rate_interval]))",
                    "{{topic}} {{type}}",
                )
            ],
            stack=True,
        ),
        w=12,
    )
    lay.add(
        timeseries(
            "Invalid events",
            "Messages sent to cx.deadletter per second, by topic and reason.",
            "cps",
            [
                target(
                    "sum by (topic, reason) (rate(cx_events_invalid_total[$__rate_interval]))",
                    "{{topic}} {{reason}}",
                )
            ],
            stack=True,
        ),
        w=12,
    )
    lay.add(
        timeseries(
            "Invalid share",
            "Invalid / all messages per topic over 5 minutes; alert lines at 1 % and 10 %.",
            "percentunit",
            [target("topic:cx_events_invalid:ratio_rate5m", "{{topic}}")],
            lower_is_better(0.01, 0.1),
            limits=(0, None),
        ),
        w=8,
    )
    lay.add(
        timeseries(
            "Duplicates and unmatched",
            "Per second: duplicate events (same source and id), ignored; valid events that "
            "did not fit their entity's lifecycle yet (kept and re-applied).",
            "cps",
            [
                target(
                    "sum by (topic) (rate(cx_events_duplicate_total[$__rate_interval]))",
                    "duplicate {{topic}}",
                ),
                target(
                    "sum by (topic) (rate(cx_events_unmatched_total[$__rate_interval]))",
                    "unmatched {{topic}}",
                ),
            ],
        ),
        w=8,
    )
    lay.add(
        timeseries(
            "Late and future events",
            "Per second: events older than the retained buckets, and events more than "
            "5 minutes ahead of the clock; both are left out of interval KPIs.",
            "cps",
            [
                target(
                    "sum by (topic) (rate(cx_events_late_total[$__rate_interval]))",
                    "late {{topic}}",
                ),
                target(
                    "sum by (topic) (rate(cx_events_future_total[$__rate_interval]))",
                    "future {{topic}}",
                ),
            ],
        ),
        w=8,
    )
    lay.add(row("Freshness", "How far behind real time the KPIs are."))
    lay.add(
        timeseries(
            "Event-time lag",
            "Now minus the time of the newest event "
            "processed, per topic (grows by itself on a quiet topic).",
            "s",
            [target("max by (topic) (cx_event_time_lag_seconds)", "{{topic}}")],
            lower_is_better(60, 300),
        ),
        w=12,
    )
    lay.add(
        timeseries(
            "Consumer lag",
            "Messages waiting to be consumed, per topic.",
            "short",
            [target("sum by (topic) (cx_consumer_lag_messages)", "{{topic}}")],
        ),
        w=12,
    )
    lay.add(
        timeseries(
            "Label overflow",
            "Events whose queue or team went to "
            '"__other__" because of the label limits, per second.',
            "cps",
            [target("sum(rate(cx_label_overflow_total[$__rate_interval]))", "overflow")],
        ),
        w=24,
        h=5,
    )
    return dashboard(
        "cxkpi-pipeline",
        "cxkpi / Pipeline health",
        "Is the KPI pipeline healthy: workers, event throughput, bad input and freshness.",
        lay,
        [QUEUE_VARIABLE, CHANNEL_VARIABLE],
        "30s",
        "now-3h",
    )
