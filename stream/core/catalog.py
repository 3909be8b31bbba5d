"""Every metric family cxkpi exports: name, type, labels and meaning, listed once.

The evaluator fills these families, the exporter renders them, and a test checks that
the README's metric reference lists exactly these. Names follow SPEC §6; families
marked *extension* are additions the SPEC leaves open (documented in the README).
"""

from __future__ import annotations

from typing import NamedTuple


class Spec(NamedTuple):
    name: str  # full exposition name (counters end in _total)
    kind: str  # gauge | counter | histogram
    labels: tuple[str, ...]
    help: str


QC = ("queue", "channel")
QP = ("queue", "priority")
W = ("window",)

SPECS: tuple[Spec, ...] = (
    # live gauges
    Spec("cx_contacts_waiting", "gauge", QC, "Contacts waiting in the queue now."),
    Spec(
        "cx_oldest_waiting_enqueued_timestamp_seconds",
        "gauge",
        QC,
        "Enqueue time (Unix seconds) of the contact waiting longest; absent when none waits.",
    ),
    Spec(
        "cx_longest_wait_seconds",
        "gauge",
        QC,
        "How long the contact waiting longest has waited so far (0 when nobody waits).",
    ),
    Spec(
        "cx_agents",
        "gauge",
        ("queue", "state"),
        "Agents in each state now; an agent serving several queues counts in each.",
    ),
    Spec(
        "cx_tickets_open",
        "gauge",
        (*QP, "status"),
        "Open tickets by status (new, open, pending, on_hold).",
    ),
    Spec(
        "cx_tickets_first_reply_overdue",
        "gauge",
        QP,
        "Open tickets without a public agent reply past their priority's first-reply target "
        "(the clock pauses while pending or on hold).",
    ),
    # forward-looking (see forecast.py)
    Spec(
        "cx_estimated_wait_seconds",
        "gauge",
        QC,
        "Estimated wait of a contact joining the queue now: (waiting × (1 − abandonment) + 1)"
        " × AHT / agents serving, 0 with an idle agent, else the longest wait.",
    ),
    Spec(
        "cx_agents_required",
        "gauge",
        QC,
        "Fewest agents meeting the queue's service-level target at the 15-minute offered rate"
        " and AHT: Erlang A with the patience its abandons show, Erlang C without abandons.",
    ),
    Spec(
        "cx_agents_required_gap",
        "gauge",
        QC,
        "Agents required minus the agents serving the channel now (its share of the queue's"
        " agents by offered load; an agent in k queues counts 1/k). Positive: understaffed.",
    ),
    # counters
    Spec("cx_contacts_offered_total", "counter", QC, "Contacts queued, including transfers in."),
    Spec("cx_contacts_answered_total", "counter", QC, "Contacts answered by an agent."),
    Spec(
        "cx_contacts_abandoned_total",
        "counter",
        QC,
        "Contacts abandoned while waiting (short abandons included).",
    ),
    Spec(
        "cx_contacts_short_abandoned_total",
        "counter",
        QC,
        "Contacts abandoned before the short-abandon threshold.",
    ),
    Spec("cx_contacts_transferred_total", "counter", QC, "Contacts transferred out of the queue."),
    Spec("cx_tickets_created_total", "counter", QP, "Tickets created."),
    Spec("cx_tickets_solved_total", "counter", QP, "Ticket status changes to solved."),
    Spec(
        "cx_tickets_reopened_total",
        "counter",
        QP,
        "Ticket status changes from solved or closed back to an open status.",
    ),
    Spec("cx_surveys_sent_total", "counter", ("survey", *QC), "Surveys sent, by kind."),
    Spec("cx_survey_responses_total", "counter", ("survey", *QC), "Survey responses, by kind."),
    Spec(
        "cx_events_total",
        "counter",
        ("topic", "type"),
        "Valid events consumed (duplicates, late and future ones included).",
    ),
    Spec(
        "cx_events_invalid_total",
        "counter",
        ("topic", "reason"),
        "Messages that were not valid events; they went to the dead-letter topic.",
    ),
    Spec(
        "cx_events_duplicate_total",
        "counter",
        ("topic",),
        "Events ignored as duplicates (same source and id as one already applied).",
    ),
    Spec(
        "cx_events_late_total",
        "counter",
        ("topic",),
        "Events ignored because they are older than the oldest retained bucket.",
    ),
    Spec(
        "cx_events_future_total",
        "counter",
        ("topic",),
        "Extension: events ignored as clock skew, more than 5 min ahead of the clock.",
    ),
    Spec(
        "cx_events_unmatched_total",
        "counter",
        ("topic", "type"),
        "Extension: valid events that did not fit their entity's lifecycle when applied "
        "(e.g. answered with no wait known); kept, and re-applied if earlier events arrive.",
    ),
    Spec(
        "cx_label_overflow_total",
        "counter",
        (),
        "Outcomes whose queue, team or channel was folded into __other__ by the label caps.",
    ),
    # histograms
    Spec(
        "cx_wait_seconds",
        "histogram",
        (*QC, "outcome"),
        "Wait in the queue, by how it ended (answered, abandoned, transferred).",
    ),
    Spec("cx_handle_seconds", "histogram", QC, "Handle time: answer to end of wrap-up."),
    Spec("cx_first_response_seconds", "histogram", QC, "Chats: queued to first agent message."),
    Spec(
        "cx_response_seconds",
        "histogram",
        QC,
        "Extension: chats, customer message after an agent/bot turn to the next agent message.",
    ),
    Spec(
        "cx_ticket_first_reply_seconds",
        "histogram",
        QP,
        "Ticket created to first public agent comment.",
    ),
    Spec(
        "cx_ticket_reply_seconds",
        "histogram",
        QP,
        "Extension: customer comment to the next public agent comment.",
    ),
    Spec(
        "cx_ticket_resolution_seconds",
        "histogram",
        QP,
        "Ticket created to solved (a re-solve replaces the earlier observation).",
    ),
    Spec("cx_survey_score", "histogram", ("survey", *QC), "Survey scores (integer buckets)."),
    # windowed gauges
    Spec(
        "cx_window_contacts",
        "gauge",
        (*QC, "outcome", *W),
        "Contacts in the window by outcome: offered, answered, abandoned, short_abandoned, "
        "answered_within_threshold, transferred; and the service level's parts under the "
        "queue's mode: sl_met (numerator), sl_eligible (denominator).",
    ),
    Spec(
        "cx_abandonment_ratio",
        "gauge",
        (*QC, *W),
        "(abandoned − short) / (answered + abandoned − short).",
    ),
    Spec(
        "cx_service_level_ratio",
        "gauge",
        (*QC, *W),
        "Answered within the threshold over the queue's service-level mode denominator.",
    ),
    Spec(
        "cx_average_speed_of_answer_seconds",
        "gauge",
        (*QC, *W),
        "Mean wait of contacts answered in the window.",
    ),
    Spec(
        "cx_average_handle_seconds",
        "gauge",
        (*QC, *W),
        "Mean handle time of contacts wrapped up in the window.",
    ),
    Spec(
        "cx_first_response_average_seconds",
        "gauge",
        (*QC, *W),
        "Chats: mean first response time of first responses sent in the window.",
    ),
    Spec(
        "cx_response_average_seconds",
        "gauge",
        (*QC, *W),
        "Extension: chats, mean response time of responses sent in the window.",
    ),
    Spec(
        "cx_fcr_ratio",
        "gauge",
        (*QC, *W),
        "Resolved at first contact (no other contact of the customer queued in the 24 h "
        "before) over contacts wrapped up with a resolved flag.",
    ),
    Spec(
        "cx_ticket_first_reply_average_seconds",
        "gauge",
        (*QP, *W),
        "Mean first reply time of first replies made in the window.",
    ),
    Spec(
        "cx_ticket_resolution_average_seconds",
        "gauge",
        (*QP, *W),
        "Mean resolution time of tickets solved in the window (latest solve counts).",
    ),
    Spec("cx_reopen_ratio", "gauge", (*QP, *W), "Reopens over solves in the window."),
    Spec(
        "cx_one_touch_ratio",
        "gauge",
        (*QP, *W),
        "Solves with at most one public agent comment over solves in the window.",
    ),
    Spec(
        "cx_replies_per_resolution",
        "gauge",
        (*QP, *W),
        "Public agent comments on tickets solved in the window per solve.",
    ),
    Spec("cx_csat_ratio", "gauge", (*QC, *W), "CSAT responses scoring 4 or 5 over responses."),
    Spec(
        "cx_nps_score",
        "gauge",
        (*QC, *W),
        "100 × (promoters 9–10 − detractors 0–6) / responses, −100..100.",
    ),
    Spec("cx_ces_average", "gauge", (*QC, *W), "Mean customer-effort score, 1–7 (7 = very easy)."),
    Spec(
        "cx_survey_response_ratio",
        "gauge",
        ("survey", *QC, *W),
        "Responses over surveys sent in the window.",
    ),
    Spec(
        "cx_esat_ratio", "gauge", ("team", *W), "Employee satisfaction: scores 4–5 over responses."
    ),
    Spec(
        "cx_occupancy_ratio",
        "gauge",
        ("team", *W),
        "(on contact + after-contact work) / (that + available), agent time in the window.",
    ),
    # pipeline and build
    Spec(
        "cx_event_time_lag_seconds",
        "gauge",
        ("topic",),
        "Evaluation time minus the newest event time seen on the topic.",
    ),
    Spec("cx_build_info", "gauge", ("version",), "Always 1; the cxkpi version."),
    # configuration, so dashboards and alerts take thresholds from the one config
    Spec(
        "cx_config_service_level_target_ratio",
        "gauge",
        ("queue",),
        "Extension: configured service-level target of the queue.",
    ),
    Spec(
        "cx_config_service_level_threshold_seconds",
        "gauge",
        ("queue",),
        "Extension: configured service-level threshold of the queue.",
    ),
    Spec(
        "cx_config_abandonment_alert_ratio",
        "gauge",
        ("queue",),
        "Extension: configured abandonment alert level of the queue.",
    ),
    Spec(
        "cx_config_csat_target_ratio",
        "gauge",
        ("queue",),
        "Extension: configured CSAT target of the queue.",
    ),
    Spec(
        "cx_config_first_reply_target_seconds",
        "gauge",
        ("priority",),
        "Extension: configured ticket first-reply target of the priority.",
    ),
)

BY_NAME = {spec.name: spec for spec in SPECS}
