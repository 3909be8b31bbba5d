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
from promql import ABANDON, ANY_BAD, CSAT, QC, SL, SL_T, WAIT, about, live, rebuilt


def wallboard() -> dict:
    lay = Layout()
    lay.add(row("$queue", "Live tiles of one queue.", repeat="queue"))
    wait_colours = (
        f"Amber from the service-level threshold ({SL_T:g} s), red from {WAIT_RED_FACTOR} × it."
    )
    tiles = [
        stat(*about("waiting", note="All selected channels."), live("waiting"), decimals=0),
        stat(*about("longest_wait", note=wait_colours), live("longest_wait"), WAIT),
        stat(*about("estimated_wait", note=wait_colours), live("estimated_wait"), WAIT),
        stat(
            *about("agents_short", note="Red from 1 agent short."),
            live("agents_short"),
            ANY_BAD,
            decimals=1,
        ),
        stat(*about("service_level", "15m"), rebuilt("service_level", "15m"), SL),
        stat(*about("service_level", "today"), rebuilt("service_level", "today"), SL),
        stat(*about("abandonment", "15m"), rebuilt("abandonment", "15m"), ABANDON),
        stat(*about("abandonment", "today"), rebuilt("abandonment", "today"), ABANDON),
        stat(*about("speed_of_answer", "15m"), rebuilt("speed_of_answer", "15m"), WAIT),
        stat(
            *about("csat", "1h", "From the survey score histogram."),
            f"sum(queue_channel:cx_csat_satisfied:increase1h{{{QC}}}) / "
            f"(sum(queue_channel:cx_csat_responses:increase1h{{{QC}}}) > 0)",
            CSAT,
        ),
        stat(*about("agents_available"), live("agents_available"), at_least_one(), decimals=0),
        stat(*about("agents_on_contact"), live("agents_on_contact"), decimals=0),
        stat(*about("agents_in_wrap_up"), live("agents_in_wrap_up"), decimals=0),
        stat(*about("agents_away"), live("agents_away"), decimals=0),
        stat(*about("offered", "today"), live("offered", "today"), decimals=0),
        stat(*about("answered", "today"), live("answered", "today"), decimals=0),
        stat(*about("tickets_open"), live("tickets_open"), decimals=0),
        stat(*about("first_reply_overdue"), live("first_reply_overdue"), ANY_BAD, decimals=0),
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
