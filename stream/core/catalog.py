"""Every metric family and KPI cxkpi exports: name, type, labels and meaning, listed once.

The one place to start from when following a KPI:

- ``SPECS``: the families. The evaluator (``core/evaluate.py``) fills them, the exporter
  renders them, and a test checks that the README's metric reference lists exactly
  these. Names follow SPEC §6; families marked *extension* are additions the SPEC
  leaves open (documented in the README). ``rules`` are the recording rules that
  aggregate a family across workers.
- ``KPIS``: the KPIs as wallboards show them (title, unit, family), and for the ratios
  that recording rules rebuild across workers and channels, the ``PARTS`` they divide.

``prometheus/build_rules.py`` writes ``prometheus/rules/recording.yml`` from this
module, ``grafana/build_dashboards.py`` takes panel titles, units and descriptions from
it, and so does the built-in wallboard (``export/wallboard.py``).
"""

from __future__ import annotations

from typing import NamedTuple


class Rule(NamedTuple):
    """A recording rule over one family: ``operation`` (sum, max or rate5m) by ``level``,
    recorded as ``level:family:operation`` (counters lose ``_total``)."""

    operation: str
    level: tuple[str, ...]
    why: str = ""  # written above the rule in recording.yml


class Spec(NamedTuple):
    name: str  # full exposition name (counters end in _total)
    kind: str  # gauge | counter | histogram
    labels: tuple[str, ...]
    help: str
    rules: tuple[Rule, ...] = ()


QC = ("queue", "channel")
QP = ("queue", "priority")
W = ("window",)
RATE_QC = (Rule("rate5m", QC, "Counter rates per queue and channel (contacts per second)."),)
RATE_QP = (Rule("rate5m", QP),)
RATE_TOPIC = (Rule("rate5m", ("topic",)),)
MAX_QUEUE = (Rule("max", ("queue",)),)

SPECS: tuple[Spec, ...] = (
    # live gauges
    Spec(
        "cx_contacts_waiting",
        "gauge",
        QC,
        "Contacts waiting in the queue now.",
        rules=(Rule("sum", QC),),
    ),
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
        rules=(Rule("max", QC),),
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
        rules=(Rule("sum", ("queue",)),),
    ),
    Spec(
        "cx_tickets_first_reply_overdue",
        "gauge",
        QP,
        "Open tickets without a public agent reply past their priority's first-reply target "
        "(the clock counts the queue's business hours and pauses while pending or on hold).",
        rules=(Rule("sum", QP),),
    ),
    # forward-looking (see forecast.py)
    Spec(
        "cx_estimated_wait_seconds",
        "gauge",
        QC,
        "Estimated wait of a contact joining the queue now: (waiting × (1 − abandonment) + 1)"
        " × AHT / agents serving, 0 with an idle agent, else the longest wait.",
        rules=(Rule("max", QC),),
    ),
    Spec(
        "cx_agents_required",
        "gauge",
        QC,
        "Fewest agents meeting the queue's service-level target at the 15-minute offered rate"
        " and AHT: Erlang A with the patience its abandons show, Erlang C without abandons.",
        rules=(
            Rule(
                "sum",
                ("queue",),
                "Agents are shared by a queue's channels, so the staffing that pages is the "
                "queue's, summed over its channels (each exported by one worker).",
            ),
        ),
    ),
    Spec(
        "cx_agents_required_gap",
        "gauge",
        QC,
        "Agents required minus the agents serving the channel now (its share of the queue's"
        " agents by offered load; an agent in k queues counts 1/k). Positive: understaffed.",
        rules=(Rule("sum", ("queue",)),),
    ),
    # counters
    Spec(
        "cx_contacts_offered_total",
        "counter",
        QC,
        "Contacts queued, including transfers in.",
        rules=RATE_QC,
    ),
    Spec(
        "cx_contacts_answered_total", "counter", QC, "Contacts answered by an agent.", rules=RATE_QC
    ),
    Spec(
        "cx_contacts_abandoned_total",
        "counter",
        QC,
        "Contacts abandoned while waiting (short abandons included).",
        rules=RATE_QC,
    ),
    Spec(
        "cx_contacts_short_abandoned_total",
        "counter",
        QC,
        "Contacts abandoned before the short-abandon threshold.",
        rules=RATE_QC,
    ),
    Spec(
        "cx_contacts_transferred_total",
        "counter",
        QC,
        "Contacts transferred out of the queue.",
        rules=RATE_QC,
    ),
    Spec("cx_tickets_created_total", "counter", QP, "Tickets created.", rules=RATE_QP),
    Spec(
        "cx_tickets_solved_total", "counter", QP, "Ticket status changes to solved.", rules=RATE_QP
    ),
    Spec(
        "cx_tickets_reopened_total",
        "counter",
        QP,
        "Ticket status changes from solved or closed back to an open status.",
        rules=RATE_QP,
    ),
    Spec("cx_surveys_sent_total", "counter", ("survey", *QC), "Surveys sent, by kind."),
    Spec("cx_survey_responses_total", "counter", ("survey", *QC), "Survey responses, by kind."),
    Spec(
        "cx_events_total",
        "counter",
        ("topic", "type"),
        "Valid events consumed (duplicates, late and future ones included).",
        rules=RATE_TOPIC,
    ),
    Spec(
        "cx_events_invalid_total",
        "counter",
        ("topic", "reason"),
        "Messages that were not valid events; they went to the dead-letter topic.",
        rules=RATE_TOPIC,
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
        "Outcomes whose queue, team or channel was folded into __other__ by the label or "
        "route caps.",
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
    Spec(
        "cx_ticket_first_reply_business_seconds",
        "histogram",
        QP,
        "Ticket created to first public agent comment, in business time: the working hours "
        "of the calendar of each queue the ticket was in (calendar time without one).",
    ),
    Spec(
        "cx_ticket_resolution_business_seconds",
        "histogram",
        QP,
        "Ticket created to solved, in business time (a re-solve replaces the earlier one).",
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
    Spec(
        "cx_ticket_first_reply_business_average_seconds",
        "gauge",
        (*QP, *W),
        "Extension: mean first reply time in business time of first replies made in the window.",
    ),
    Spec(
        "cx_ticket_resolution_business_average_seconds",
        "gauge",
        (*QP, *W),
        "Extension: mean resolution time in business time of tickets solved in the window.",
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
        "cx_window_survey_responses",
        "gauge",
        ("survey", *QC, *W),
        "Extension: survey responses in the window, the sample size of CSAT, NPS and CES.",
    ),
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
        rules=(Rule("max", ("topic",)),),
    ),
    Spec("cx_build_info", "gauge", ("version",), "Always 1; the cxkpi version."),
    # configuration, so dashboards and alerts take thresholds from the one config
    Spec(
        "cx_config_service_level_target_ratio",
        "gauge",
        ("queue",),
        "Extension: configured service-level target of the queue.",
        rules=MAX_QUEUE,
    ),
    Spec(
        "cx_config_service_level_threshold_seconds",
        "gauge",
        ("queue",),
        "Extension: configured service-level threshold of the queue.",
        rules=MAX_QUEUE,
    ),
    Spec(
        "cx_config_abandonment_alert_ratio",
        "gauge",
        ("queue",),
        "Extension: configured abandonment alert level of the queue.",
        rules=MAX_QUEUE,
    ),
    Spec(
        "cx_config_csat_target_ratio",
        "gauge",
        ("queue",),
        "Extension: configured CSAT target of the queue.",
        rules=MAX_QUEUE,
    ),
    Spec(
        "cx_config_first_reply_target_seconds",
        "gauge",
        ("priority",),
        "Extension: configured ticket first-reply target of the priority.",
    ),
)

BY_NAME = {spec.name: spec for spec in SPECS}


# -- KPIs as the wallboards show them ------------------------------------------------


class Part(NamedTuple):
    """A numerator or denominator, as recording rules sum it per queue, channel and window
    from the worker's ``cx_window_contacts``: the ``plus`` outcomes minus the ``minus``
    ones, each count weighted by the window gauge ``weight`` when one is named (a mean's
    total: mean speed of answer × answered = the wait of the answered)."""

    name: str  # recorded as queue_channel_window:<name>:sum
    help: str
    plus: tuple[str, ...]
    minus: tuple[str, ...] = ()
    weight: str = ""


class Kpi(NamedTuple):
    """A KPI defined once: the wallboards' title and unit, the family and label values
    that hold it (computed in ``core/evaluate.py``), and for a ratio or mean that the
    recording rules rebuild across workers and channels, the parts it divides, recorded
    as ``level:<record>:ratio`` (``:mean`` for seconds)."""

    title: str
    unit: str  # ratio | seconds | count
    family: str
    select: tuple[tuple[str, str], ...] = ()  # label values picking the samples
    help: str = ""  # where the family's help does not say it: the selected samples'
    record: str = ""
    numerator: Part | None = None
    denominator: Part | None = None


ANSWERED = Part("cx_window_contacts_answered", "Contacts answered in the window.", ("answered",))
COUNTED_ABANDONS = Part(
    "cx_window_contacts_abandoned_counted",
    "Abandons that count against the queue: abandoned − short_abandoned.",
    ("abandoned",),
    ("short_abandoned",),
)
PARTS: tuple[Part, ...] = (
    ANSWERED,
    Part(
        "cx_window_contacts_sl_met",
        "Service level's numerator, under the queue's configured mode.",
        ("sl_met",),
    ),
    Part(
        "cx_window_contacts_sl_eligible",
        "Service level's denominator under the queue's configured mode.",
        ("sl_eligible",),
    ),
    COUNTED_ABANDONS,
    Part(
        "cx_window_contacts_counted",
        "Abandonment's denominator, every mode: answered + abandoned − short_abandoned.",
        ("answered", "abandoned"),
        ("short_abandoned",),
    ),
    Part(
        "cx_answered_wait_seconds",
        "Total wait of the answered: mean speed of answer × answered, so that it can be "
        "summed over channels before dividing.",
        ("answered",),
        weight="cx_average_speed_of_answer_seconds",
    ),
)
PART = {part.name: part for part in PARTS}

KPIS: dict[str, Kpi] = {
    "waiting": Kpi("Waiting", "count", "cx_contacts_waiting"),
    "longest_wait": Kpi("Longest wait", "seconds", "cx_longest_wait_seconds"),
    "estimated_wait": Kpi("Estimated wait", "seconds", "cx_estimated_wait_seconds"),
    "agents_short": Kpi("Agents short", "count", "cx_agents_required_gap"),
    "service_level": Kpi(
        "Service level",
        "ratio",
        "cx_service_level_ratio",
        record="cx_service_level",
        numerator=PART["cx_window_contacts_sl_met"],
        denominator=PART["cx_window_contacts_sl_eligible"],
    ),
    "abandonment": Kpi(
        "Abandoned",
        "ratio",
        "cx_abandonment_ratio",
        record="cx_abandonment",
        numerator=COUNTED_ABANDONS,
        denominator=PART["cx_window_contacts_counted"],
    ),
    "speed_of_answer": Kpi(
        "Speed of answer",
        "seconds",
        "cx_average_speed_of_answer_seconds",
        record="cx_speed_of_answer_seconds",
        numerator=PART["cx_answered_wait_seconds"],
        denominator=ANSWERED,
    ),
    "csat": Kpi("CSAT", "ratio", "cx_csat_ratio"),
    "fcr": Kpi("First-contact resolution", "ratio", "cx_fcr_ratio"),
    "offered": Kpi(
        "Offered",
        "count",
        "cx_window_contacts",
        (("outcome", "offered"),),
        "Contacts queued, transfers in included.",
    ),
    "answered": Kpi(
        "Answered",
        "count",
        "cx_window_contacts",
        (("outcome", "answered"),),
        "Contacts answered by an agent.",
    ),
    "agents_available": Kpi(
        "Agents available",
        "count",
        "cx_agents",
        (("state", "available"),),
        "Agents of the queue ready for a contact now.",
    ),
    "agents_on_contact": Kpi(
        "Agents on contact",
        "count",
        "cx_agents",
        (("state", "on_contact"),),
        "Agents of the queue talking or chatting now.",
    ),
    "agents_in_wrap_up": Kpi(
        "Agents in wrap-up",
        "count",
        "cx_agents",
        (("state", "after_contact_work"),),
        "Agents of the queue in after-contact work now.",
    ),
    "agents_away": Kpi(
        "Agents away",
        "count",
        "cx_agents",
        (("state", "away"),),
        "Agents of the queue logged in but away (break, meeting, training) now.",
    ),
    "tickets_open": Kpi("Tickets open", "count", "cx_tickets_open"),
    "first_reply_overdue": Kpi("First reply overdue", "count", "cx_tickets_first_reply_overdue"),
}
