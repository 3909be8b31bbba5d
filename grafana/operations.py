"""The Operations dashboard: the KPIs over time per queue and channel."""

from __future__ import annotations

from dashkit import (
    CHANNEL_VARIABLE,
    FIRST_REPLY_TARGETS,
    QUEUE_VARIABLE,
    Layout,
    custom_variable,
    dashboard,
    heatmap,
    row,
    target,
    timeseries,
)
from promql import (
    ABANDON,
    ANY_BAD,
    CSAT,
    QC,
    SL,
    WAIT,
    Q,
    about,
    config_line,
    mean,
    per_minute,
    quantile,
    rebuilt,
)


def operations() -> dict:
    by, w = "queue, channel", 'window="$window"'
    legend = "{{queue}} {{channel}}"
    lay = Layout()
    lay.add(row("Contacts", "Calls and chats: volumes, service, waits and handling."))
    lay.add(
        timeseries(
            "Contacts offered",
            "Contacts queued per minute.",
            "cpm",
            [target(per_minute("cx_contacts_offered_total", QC, by), legend)],
        ),
        w=12,
    )
    lay.add(
        timeseries(
            "Answered and abandoned",
            "Contacts answered and abandoned per minute.",
            "cpm",
            [
                target(per_minute("cx_contacts_answered_total", QC, by), "answered " + legend),
                target(per_minute("cx_contacts_abandoned_total", QC, by), "abandoned " + legend),
            ],
        ),
        w=12,
    )
    lay.add(
        timeseries(
            *about("service_level", "($window)", "Dashed: each queue's configured target."),
            [
                target(rebuilt("service_level", "$window", by), legend),
                config_line("cx_config_service_level_target_ratio"),
            ],
            SL,
            limits=(0, 1),
        ),
        w=12,
    )
    lay.add(
        timeseries(
            *about("abandonment", "($window)", "Dashed: each queue's alert threshold."),
            [
                target(rebuilt("abandonment", "$window", by), legend),
                config_line("cx_config_abandonment_alert_ratio"),
            ],
            ABANDON,
            limits=(0, None),
        ),
        w=12,
    )
    lay.add(
        timeseries(
            *about("waiting"),
            [target(f"sum by ({by}) (cx_contacts_waiting{{{QC}}})", legend)],
            stack=True,
        ),
        w=8,
    )
    lay.add(
        timeseries(
            *about("longest_wait"),
            [target(f"max by ({by}) (cx_longest_wait_seconds{{{QC}}})", legend)],
            WAIT,
        ),
        w=8,
    )
    lay.add(
        timeseries(
            *about("speed_of_answer", "($window)"),
            [target(rebuilt("speed_of_answer", "$window", by), legend)],
            WAIT,
        ),
        w=8,
    )
    lay.add(
        heatmap(
            "Wait time distribution",
            "Waits of answered contacts per histogram bucket (contacts per second).",
            f'sum by (le) (rate(cx_wait_seconds_bucket{{{QC}, outcome="answered"}}'
            f"[$__rate_interval]))",
            "s",
        ),
        w=12,
    )
    sel = f'{QC}, outcome="answered"'
    lay.add(
        timeseries(
            "Wait p50 / p90",
            "Median and 90th percentile wait of answered "
            "contacts, from the cx_wait_seconds histogram.",
            "s",
            [
                target(quantile(0.5, "cx_wait_seconds", sel, by), "p50 " + legend),
                target(quantile(0.9, "cx_wait_seconds", sel, by), "p90 " + legend),
            ],
            WAIT,
        ),
        w=12,
    )
    lay.add(
        timeseries(
            "Handle time",
            "Talk + hold + after-contact work per handled contact: mean and 90th percentile.",
            "s",
            [
                target(mean("cx_handle_seconds", QC, by), "mean " + legend),
                target(quantile(0.9, "cx_handle_seconds", QC, by), "p90 " + legend),
            ],
        ),
        w=6,
    )
    lay.add(
        timeseries(
            "First response (chat)",
            "Queued to first agent message: mean and 90th percentile.",
            "s",
            [
                target(mean("cx_first_response_seconds", QC, by), "mean " + legend),
                target(quantile(0.9, "cx_first_response_seconds", QC, by), "p90 " + legend),
            ],
        ),
        w=6,
    )
    lay.add(
        timeseries(
            "Transfers",
            "Contacts transferred out per minute.",
            "cpm",
            [target(per_minute("cx_contacts_transferred_total", QC, by), legend)],
        ),
        w=6,
    )
    lay.add(
        timeseries(
            *about("fcr", "($window)"),
            [target(f"max by ({by}) (cx_fcr_ratio{{{QC}, {w}}})", legend)],
            limits=(0, 1),
        ),
        w=6,
    )
    lay.add(row("Tickets", "Backlog, replies and resolution of helpdesk tickets."))
    lay.add(
        timeseries(
            "Backlog by status",
            "Open tickets per status.",
            "short",
            [target(f"sum by (status) (cx_tickets_open{{{Q}}})", "{{status}}")],
            stack=True,
        ),
        w=8,
    )
    lay.add(
        timeseries(
            "Backlog by priority",
            "Open tickets per priority.",
            "short",
            [target(f"sum by (priority) (cx_tickets_open{{{Q}}})", "{{priority}}")],
            stack=True,
        ),
        w=8,
    )
    targets = ", ".join(f"{p} {s / 3600:g} h" for p, s in FIRST_REPLY_TARGETS.items())
    lay.add(
        timeseries(
            "First reply overdue",
            f"Open tickets with no agent reply past their priority's target ({targets}).",
            "short",
            [
                target(
                    f"sum by (queue, priority) (cx_tickets_first_reply_overdue{{{Q}}})",
                    "{{queue}} {{priority}}",
                )
            ],
            ANY_BAD,
        ),
        w=8,
    )
    lay.add(
        timeseries(
            "Created, solved, reopened",
            "Tickets per hour.",
            "suffix:/h",
            [
                target(
                    per_minute(f"cx_tickets_{kind}_total", Q, "queue", seconds=3600),
                    f"{kind} {{{{queue}}}}",
                )
                for kind in ("created", "solved", "reopened")
            ],
        ),
        w=8,
    )
    qp = "queue, priority"
    lay.add(
        timeseries(
            "First reply time",
            "Created to first public agent reply: median and 90th percentile, and the "
            "median in business hours (the queue's calendar; equal without one); dashed: "
            "the configured first-reply target of each priority.",
            "s",
            [
                target(
                    quantile(0.5, "cx_ticket_first_reply_seconds", Q, qp),
                    "p50 {{queue}} {{priority}}",
                ),
                target(
                    quantile(0.5, "cx_ticket_first_reply_business_seconds", Q, qp),
                    "p50 business hours {{queue}} {{priority}}",
                ),
                target(
                    quantile(0.9, "cx_ticket_first_reply_seconds", Q, qp),
                    "p90 {{queue}} {{priority}}",
                ),
                target(
                    "max by (priority) (cx_config_first_reply_target_seconds)",
                    "target {{priority}}",
                ),
            ],
        ),
        w=8,
    )
    lay.add(
        timeseries(
            "Resolution time",
            "Created to solved: median and 90th percentile, and the median in business hours.",
            "s",
            [
                target(
                    quantile(0.5, "cx_ticket_resolution_seconds", Q, qp),
                    "p50 {{queue}} {{priority}}",
                ),
                target(
                    quantile(0.5, "cx_ticket_resolution_business_seconds", Q, qp),
                    "p50 business hours {{queue}} {{priority}}",
                ),
                target(
                    quantile(0.9, "cx_ticket_resolution_seconds", Q, qp),
                    "p90 {{queue}} {{priority}}",
                ),
            ],
        ),
        w=8,
    )
    lay.add(
        timeseries(
            "Reopen and one-touch ($window)",
            "Reopened / solved, and tickets solved with at most one public agent reply / solved.",
            "percentunit",
            [
                target(
                    f"max by ({qp}) (cx_reopen_ratio{{{Q}, {w}}})", "reopen {{queue}} {{priority}}"
                ),
                target(
                    f"max by ({qp}) (cx_one_touch_ratio{{{Q}, {w}}})",
                    "one-touch {{queue}} {{priority}}",
                ),
            ],
            limits=(0, 1),
        ),
        w=12,
    )
    lay.add(
        timeseries(
            "Replies per resolution ($window)",
            "Public agent replies per solved ticket.",
            "short",
            [
                target(
                    f"max by ({qp}) (cx_replies_per_resolution{{{Q}, {w}}})",
                    "{{queue}} {{priority}}",
                )
            ],
        ),
        w=12,
    )
    lay.add(
        row("Surveys and agents", "Customer and employee feedback, agent states and occupancy.")
    )
    lay.add(
        timeseries(
            "CSAT ($window)",
            "Share of CSAT answers of 4 or 5; dashed: each queue's configured target.",
            "percentunit",
            [
                target(f"max by ({by}) (cx_csat_ratio{{{QC}, {w}}})", legend),
                config_line("cx_config_csat_target_ratio"),
            ],
            CSAT,
            limits=(0, 1),
        ),
        w=8,
    )
    lay.add(
        timeseries(
            "NPS ($window)",
            "100 × (promoters − detractors) / answers.",
            "none",
            [target(f"max by ({by}) (cx_nps_score{{{QC}, {w}}})", legend)],
            limits=(-100, 100),
        ),
        w=8,
    )
    lay.add(
        timeseries(
            "CES ($window)",
            "Mean customer-effort score, 1–7 (7 = very easy).",
            "none",
            [target(f"max by ({by}) (cx_ces_average{{{QC}, {w}}})", legend)],
            limits=(1, 7),
        ),
        w=8,
    )
    lay.add(
        timeseries(
            "Survey response rate ($window)",
            "Answers / surveys sent, per survey kind.",
            "percentunit",
            [
                target(
                    f"max by (survey, {by}) (cx_survey_response_ratio{{{QC}, {w}}})",
                    "{{survey}} " + legend,
                )
            ],
            limits=(0, 1),
        ),
        w=8,
    )
    lay.add(
        timeseries(
            "Agents by state",
            "Agents of the selected queues in each state "
            "(an agent serving several queues counts in each).",
            "short",
            [target(f"sum by (state) (cx_agents{{{Q}}})", "{{state}}")],
            stack=True,
        ),
        w=8,
    )
    lay.add(
        timeseries(
            "Occupancy and ESAT by team ($window)",
            "Occupancy: time on "
            "contact or in wrap-up / that + time available. ESAT: share of "
            "employee answers of 4 or 5.",
            "percentunit",
            [
                target(f"max by (team) (cx_occupancy_ratio{{{w}}})", "occupancy {{team}}"),
                target(f"max by (team) (cx_esat_ratio{{{w}}})", "ESAT {{team}}"),
            ],
            limits=(0, 1),
        ),
        w=8,
    )
    lay.add(
        timeseries(
            "Agents required and serving",
            "Required: the fewest agents meeting each queue's service-level target at the "
            "last 15 minutes' load (Erlang A). Gap: required − serving now; above 0 the "
            "queue is understaffed (CxStaffingGap pages at 1 agent for 10 min).",
            "short",
            [
                target(f"sum by (queue) (cx_agents_required{{{QC}}})", "required {{queue}}"),
                target(f"sum by (queue) (cx_agents_required_gap{{{QC}}})", "gap {{queue}}"),
            ],
        ),
        w=12,
    )
    lay.add(
        timeseries(
            "Estimated wait for a contact joining now",
            "Contacts ahead (less those expected to abandon) plus one, × AHT / agents "
            "serving; 0 with an idle agent; the longest wait without handle-time data.",
            "s",
            [target(f"max by ({by}) (cx_estimated_wait_seconds{{{QC}}})", legend)],
            WAIT,
        ),
        w=12,
    )
    window = custom_variable("window", "Window", ["5m", "15m", "1h", "today"], "15m")
    return dashboard(
        "cxkpi-operations",
        "cxkpi / Operations",
        "Contact-center KPIs over time per queue and channel: contacts, waits, handling, "
        "tickets, surveys and agents.",
        lay,
        [QUEUE_VARIABLE, CHANNEL_VARIABLE, window],
        "30s",
        "now-6h",
    )
