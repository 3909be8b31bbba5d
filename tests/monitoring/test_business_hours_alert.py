"""A Friday-evening ticket does not page on Saturday (issue 12).

The core evaluates ``cx_tickets_first_reply_overdue`` minute by minute from Friday
16:30 to Monday 10:00 for an urgent ticket (first reply within 1 h) of a queue with
Berlin office hours, Mon–Fri 09:00–17:00; those samples are the input series of a
promtool unit test of the shipped rules. With the calendar, the clock stands at 30
minutes over the weekend and ``CxTicketsPastFirstReplyTarget`` fires only on Monday
after 09:30 plus its 5 minutes; the same ticket without a calendar pages on Friday.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import ticket

from stream.core.config import config_from_dict
from stream.core.replay import replay
from stream.core.timeutil import parse_time

from .tools import RULE_FILES, need_tool, run

START = "2026-11-27T16:30:00+01:00"  # a Friday
MINUTES = 65 * 60 + 30  # to Monday 10:00
OFFICE = {
    "calendars": {
        "berlin": {
            "timezone": "Europe/Berlin",
            "hours": {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
        }
    },
    "queues": {"billing": {"calendar": "berlin"}},
}
LINES = [ticket("created", START, "t1", queue="billing", priority="urgent")]
SERIES = (
    'cx_tickets_first_reply_overdue{queue="billing", priority="urgent", instance="w1:6066", '
    'job="cxkpi"}'
)
ALERT = (
    'ALERTS{alertname="CxTicketsPastFirstReplyTarget", alertstate="%s", severity="critical", '
    'queue="billing", priority="urgent"}'
)


def overdue_by_minute(raw_config: dict) -> list[int]:
    start = parse_time(START)
    engine = replay(LINES, at_ms=start, config=config_from_dict(raw_config)).engine
    values = []
    for minute in range(MINUTES + 1):
        families = engine.families(start + minute * 60_000)  # the scrapes of a weekend
        family = next(f for f in families if f.name == "cx_tickets_first_reply_overdue")
        values.append(int(dict(family.samples).get(("billing", "urgent"), 0)))
    return values


def run_lengths(values: list[int]) -> str:
    """promtool's expanding notation: ``v x n`` is v repeated n + 1 times."""
    runs: list[list[int]] = []
    for value in values:
        if runs and runs[-1][0] == value:
            runs[-1][1] += 1
        else:
            runs.append([value, 1])
    return " ".join(f"{value}x{length - 1}" for value, length in runs)


def minute_of(text: str) -> str:
    return f"{(parse_time(text) - parse_time(START)) // 60_000}m"


def promtool_test(tmp_path: Path, values: list[int], checks: list[tuple[str, str | None]]) -> None:
    tests = [
        {
            "expr": 'ALERTS{alertname="CxTicketsPastFirstReplyTarget"}',
            "eval_time": minute_of(when),
            "exp_samples": [{"labels": ALERT % state, "value": 1}] if state else [],
        }
        for when, state in checks
    ]
    unit = {
        "rule_files": [str(path) for path in RULE_FILES],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": SERIES, "values": run_lengths(values)}],
                "promql_expr_test": tests,
            }
        ],
    }
    path = tmp_path / "business_hours_test.yml"
    path.write_text(yaml.safe_dump(unit, sort_keys=False))
    done = run([need_tool("promtool"), "test", "rules", str(path)], timeout=300)
    assert "SUCCESS" in done.stdout, done.stdout + done.stderr


def test_a_friday_evening_ticket_does_not_page_on_saturday(tmp_path):
    values = overdue_by_minute(OFFICE)
    first = values.index(1)
    assert minute_of("2026-11-30T09:31:00+01:00") == f"{first}m"  # Monday, 30 + 30 min
    promtool_test(
        tmp_path,
        values,
        [
            ("2026-11-27T18:00:00+01:00", None),  # Friday after closing
            ("2026-11-28T12:00:00+01:00", None),  # Saturday
            ("2026-11-30T09:00:00+01:00", None),  # Monday's opening: no page at 09:00
            ("2026-11-30T09:33:00+01:00", "pending"),
            ("2026-11-30T09:40:00+01:00", "firing"),
        ],
    )


@pytest.mark.parametrize("raw_config", [{}], ids=["no calendar"])
def test_without_a_calendar_the_same_ticket_pages_on_friday(tmp_path, raw_config):
    values = overdue_by_minute(raw_config)
    assert minute_of("2026-11-27T17:31:00+01:00") == f"{values.index(1)}m"
    promtool_test(tmp_path, values, [("2026-11-27T17:40:00+01:00", "firing")])
