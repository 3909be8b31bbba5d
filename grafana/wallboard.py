"""The Wallboard dashboard: big live tiles per queue for a TV, refreshed every 5 s."""

from __future__ import annotations

from dashkit import (
    CHANNEL_VARIABLE,
    QUEUE_VARIABLE,
    WAIT_RED_FACTOR,
    Layout,
    at_least_one,
    dashboard,
    row,
    stat,
)
from promql import (
    ABANDON,
    ANY_BAD,
    CSAT,
    QC,
    SL,
    SL_T,
    WAIT,
    Q,
    abandon_ratio,
    asa,
    sl_ratio,
)


def wallboard() -> dict:
    lay = Layout()
    lay.add(row("$queue", "Live tiles of one queue.", repeat="queue"))
    tiles = [
        stat(
            "Waiting now",
            "Contacts queued and not yet answered (all selected channels).",
            "short",
            f"sum(cx_contacts_waiting{{{QC}}})",
            decimals=0,
        ),
        stat(
            "Longest wait",
            f"How long the longest-waiting contact has waited. Amber "
            f"from the service-level threshold ({SL_T:g} s), red from "
            f"{WAIT_RED_FACTOR} × it.",
            "s",
            f"max(cx_longest_wait_seconds{{{QC}}})",
            WAIT,
        ),
        stat(
            "Estimated wait",
            "How long a contact joining now will wait: contacts ahead (less those "
            "expected to abandon) plus one, × handle time / agents serving.",
            "s",
            f"max(cx_estimated_wait_seconds{{{QC}}})",
            WAIT,
        ),
        stat(
            "Agents short",
            "Agents required to meet the service-level target at the last 15 minutes' "
            "load, minus those serving now (Erlang A). Red from 1 agent short.",
            "short",
            f"sum(cx_agents_required_gap{{{QC}}})",
            ANY_BAD,
            decimals=1,
        ),
        stat(
            "Service level 15m",
            "Contacts answered within the threshold / (answered + "
            "abandoned − short abandons), last 15 minutes.",
            "percentunit",
            sl_ratio("15m"),
            SL,
        ),
        stat(
            "Service level today",
            "Service level since midnight.",
            "percentunit",
            sl_ratio("today"),
            SL,
        ),
        stat(
            "Abandoned 15m",
            "(Abandoned − short abandons) / (answered + abandoned − "
            "short abandons), last 15 minutes.",
            "percentunit",
            abandon_ratio("15m"),
            ABANDON,
        ),
        stat(
            "Abandoned today",
            "Abandonment since midnight.",
            "percentunit",
            abandon_ratio("today"),
            ABANDON,
        ),
        stat(
            "Speed of answer 15m",
            "Average wait of the contacts answered in the last 15 minutes.",
            "s",
            asa("15m"),
            WAIT,
        ),
        stat(
            "CSAT 1h",
            "Share of CSAT answers of 4 or 5 in the last hour.",
            "percentunit",
            f"sum(queue_channel:cx_csat_satisfied:increase1h{{{QC}}}) / "
            f"(sum(queue_channel:cx_csat_responses:increase1h{{{QC}}}) > 0)",
            CSAT,
        ),
        stat(
            "Agents available",
            "Agents of this queue ready for a contact now.",
            "short",
            f'sum(cx_agents{{{Q}, state="available"}})',
            at_least_one(),
            decimals=0,
        ),
        stat(
            "Agents on contact",
            "Agents of this queue talking or chatting now.",
            "short",
            f'sum(cx_agents{{{Q}, state="on_contact"}})',
            decimals=0,
        ),
        stat(
            "Agents in wrap-up",
            "Agents of this queue in after-contact work now.",
            "short",
            f'sum(cx_agents{{{Q}, state="after_contact_work"}})',
            decimals=0,
        ),
        stat(
            "Agents away",
            "Agents of this queue logged in but away (break, meeting, training) now.",
            "short",
            f'sum(cx_agents{{{Q}, state="away"}})',
            decimals=0,
        ),
        stat(
            "Offered today",
            "Contacts queued since midnight, transfers in included.",
            "short",
            f'sum(cx_window_contacts{{{QC}, outcome="offered", window="today"}})',
            decimals=0,
        ),
        stat(
            "Answered today",
            "Contacts answered since midnight.",
            "short",
            f'sum(cx_window_contacts{{{QC}, outcome="answered", window="today"}})',
            decimals=0,
        ),
        stat(
            "Tickets open",
            "Open tickets in any status (new, open, pending, on hold).",
            "short",
            f"sum(cx_tickets_open{{{Q}}})",
            decimals=0,
        ),
        stat(
            "First reply overdue",
            "Open tickets without an agent reply past their priority's first-reply target.",
            "short",
            f"sum(cx_tickets_first_reply_overdue{{{Q}}})",
            ANY_BAD,
            decimals=0,
        ),
    ]
    for tile in tiles:
        lay.add(tile, w=3, h=5)
    return dashboard(
        "cxkpi-wallboard",
        "cxkpi / Wallboard",
        "TV wallboard: one row of live tiles per selected queue, refreshed every 5 s.",
        lay,
        [QUEUE_VARIABLE, CHANNEL_VARIABLE],
        "5s",
        "now-15m",
    )
