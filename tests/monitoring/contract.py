"""The Prometheus contract the dashboards and rules may rely on (SPEC §6 plus extras).

Every metric family a dashboard panel, recording rule or alert reads must be listed here;
``test_contract_matches_spec`` keeps the SPEC part in step with /shared/SPEC.md. The
extras are families the worker exports beyond SPEC §6 for the monitoring artifacts.
"""

from __future__ import annotations

GAUGE, COUNTER, HISTOGRAM = "gauge", "counter", "histogram"

WINDOWS = ("5m", "15m", "1h", "today")

#: SPEC §6: family name (counters with ``_total``) -> (type, label names).
SPEC: dict[str, tuple[str, tuple[str, ...]]] = {
    # live gauges
    "cx_contacts_waiting": (GAUGE, ("queue", "channel")),
    "cx_oldest_waiting_enqueued_timestamp_seconds": (GAUGE, ("queue", "channel")),
    "cx_longest_wait_seconds": (GAUGE, ("queue", "channel")),
    "cx_agents": (GAUGE, ("queue", "state")),
    "cx_tickets_open": (GAUGE, ("queue", "priority", "status")),
    "cx_tickets_first_reply_overdue": (GAUGE, ("queue", "priority")),
    # forward-looking (issue 11)
    "cx_estimated_wait_seconds": (GAUGE, ("queue", "channel")),
    "cx_agents_required": (GAUGE, ("queue", "channel")),
    "cx_agents_required_gap": (GAUGE, ("queue", "channel")),
    # counters
    "cx_contacts_offered_total": (COUNTER, ("queue", "channel")),
    "cx_contacts_answered_total": (COUNTER, ("queue", "channel")),
    "cx_contacts_abandoned_total": (COUNTER, ("queue", "channel")),
    "cx_contacts_short_abandoned_total": (COUNTER, ("queue", "channel")),
    "cx_contacts_transferred_total": (COUNTER, ("queue", "channel")),
    "cx_tickets_created_total": (COUNTER, ("queue", "priority")),
    "cx_tickets_solved_total": (COUNTER, ("queue", "priority")),
    "cx_tickets_reopened_total": (COUNTER, ("queue", "priority")),
    "cx_surveys_sent_total": (COUNTER, ("survey", "queue", "channel")),
    "cx_survey_responses_total": (COUNTER, ("survey", "queue", "channel")),
    "cx_events_total": (COUNTER, ("topic", "type")),
    "cx_events_invalid_total": (COUNTER, ("topic", "reason")),
    "cx_events_duplicate_total": (COUNTER, ("topic",)),
    "cx_events_late_total": (COUNTER, ("topic",)),
    "cx_label_overflow_total": (COUNTER, ()),
    # histograms
    "cx_wait_seconds": (HISTOGRAM, ("queue", "channel", "outcome")),
    "cx_handle_seconds": (HISTOGRAM, ("queue", "channel")),
    "cx_first_response_seconds": (HISTOGRAM, ("queue", "channel")),
    "cx_ticket_first_reply_seconds": (HISTOGRAM, ("queue", "priority")),
    "cx_ticket_resolution_seconds": (HISTOGRAM, ("queue", "priority")),
    # business time (issue 12)
    "cx_ticket_first_reply_business_seconds": (HISTOGRAM, ("queue", "priority")),
    "cx_ticket_resolution_business_seconds": (HISTOGRAM, ("queue", "priority")),
    "cx_survey_score": (HISTOGRAM, ("survey", "queue", "channel")),
    # windowed gauges
    "cx_window_contacts": (GAUGE, ("queue", "channel", "outcome", "window")),
    "cx_abandonment_ratio": (GAUGE, ("queue", "channel", "window")),
    "cx_service_level_ratio": (GAUGE, ("queue", "channel", "window")),
    "cx_average_speed_of_answer_seconds": (GAUGE, ("queue", "channel", "window")),
    "cx_average_handle_seconds": (GAUGE, ("queue", "channel", "window")),
    "cx_first_response_average_seconds": (GAUGE, ("queue", "channel", "window")),
    "cx_fcr_ratio": (GAUGE, ("queue", "channel", "window")),
    "cx_ticket_first_reply_average_seconds": (GAUGE, ("queue", "priority", "window")),
    "cx_ticket_resolution_average_seconds": (GAUGE, ("queue", "priority", "window")),
    "cx_reopen_ratio": (GAUGE, ("queue", "priority", "window")),
    "cx_one_touch_ratio": (GAUGE, ("queue", "priority", "window")),
    "cx_replies_per_resolution": (GAUGE, ("queue", "priority", "window")),
    "cx_csat_ratio": (GAUGE, ("queue", "channel", "window")),
    "cx_nps_score": (GAUGE, ("queue", "channel", "window")),
    "cx_ces_average": (GAUGE, ("queue", "channel", "window")),
    "cx_survey_response_ratio": (GAUGE, ("survey", "queue", "channel", "window")),
    "cx_esat_ratio": (GAUGE, ("team", "window")),
    "cx_occupancy_ratio": (GAUGE, ("team", "window")),
    # pipeline
    "cx_event_time_lag_seconds": (GAUGE, ("topic",)),
    "cx_build_info": (GAUGE, ("version",)),
}

#: Exported beyond SPEC §6. All but the last four are core families (the catalog of
#: stream/core/catalog.py); cx_worker_ready, cx_kafka_reachable,
#: cx_consumer_lag_messages and cx_worker_render_seconds come from the live worker's
#: runtime.
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "cx_config_service_level_target_ratio": (GAUGE, ("queue",)),
    "cx_config_service_level_threshold_seconds": (GAUGE, ("queue",)),
    "cx_config_abandonment_alert_ratio": (GAUGE, ("queue",)),
    "cx_config_csat_target_ratio": (GAUGE, ("queue",)),
    "cx_config_first_reply_target_seconds": (GAUGE, ("priority",)),
    "cx_events_future_total": (COUNTER, ("topic",)),
    "cx_events_unmatched_total": (COUNTER, ("topic", "type")),
    "cx_response_seconds": (HISTOGRAM, ("queue", "channel")),
    "cx_response_average_seconds": (GAUGE, ("queue", "channel", "window")),
    "cx_ticket_reply_seconds": (HISTOGRAM, ("queue", "priority")),
    "cx_window_survey_responses": (GAUGE, ("survey", "queue", "channel", "window")),
    "cx_ticket_first_reply_business_average_seconds": (GAUGE, ("queue", "priority", "window")),
    "cx_ticket_resolution_business_average_seconds": (GAUGE, ("queue", "priority", "window")),
    "cx_worker_ready": (GAUGE, ()),
    "cx_kafka_reachable": (GAUGE, ()),
    "cx_consumer_lag_messages": (GAUGE, ("topic", "partition")),
    "cx_worker_render_seconds": (HISTOGRAM, ()),
}
RUNTIME_EXTRAS = frozenset(
    {
        "cx_worker_ready",
        "cx_kafka_reachable",
        "cx_consumer_lag_messages",
        "cx_worker_render_seconds",
    }
)
#: SPEC §6 names that open issues will add; they move into SPEC above when built.
PLANNED: frozenset[str] = frozenset()

#: Series Prometheus itself makes.
PROMETHEUS = frozenset({"up", "ALERTS", "ALERTS_FOR_STATE"})


def sample_names() -> frozenset[str]:
    """Every series name a query may select: families plus histogram suffixes."""
    names: set[str] = set(PROMETHEUS)
    for family, (kind, _labels) in {**SPEC, **EXTRAS}.items():
        if kind == HISTOGRAM:
            names |= {f"{family}_bucket", f"{family}_sum", f"{family}_count"}
        else:
            names.add(family)
    return frozenset(names)
