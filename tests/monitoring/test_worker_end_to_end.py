"""End to end (issue 4): embedded broker → real ``cxkpi worker`` → real Prometheus with the
shipped rules → every dashboard query, variable and recording rule, and an alert seen
going pending then firing.

One module-scoped stack: the session's embedded broker, one worker (its own app id and
topic prefix, so it shares the broker with other tests safely), Prometheus scraping it
every second, and a feeder thread that publishes simulated traffic around *now*
(traffic.py): 40 minutes of history fast-forwarded over 15 s, then live events as
they fall due for as long as the module runs, plus hand-made events the simulator makes
too rarely in a short run (ESAT answers, agents idle and on a break, a future and an unmatched
event, tickets of every priority and status, tickets answered and solved while
Prometheus watches).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
import yaml
from integration.workers import WorkerProcess, far_from_midnight

from .prom import (
    Prometheus,
    finite,
    label_values,
    panel_expr,
    rule_health,
    running_prometheus,
    variable_queries,
)
from .tools import RULE_FILES, load_yaml, panel_queries, recorded_names, rules
from .traffic import Feeder, breach, extras, help_desk, now_ms, simulated

pytestmark = pytest.mark.integration

APP_ID = "cxkpi-monitoring-e2e"
TOPIC_PREFIX = "mon-e2e."
HISTORY_S = 40 * 60
LIVE_S = 15 * 60  # more than the module needs; the feeder stops with the module
CATCH_UP_S = 15  # the history is sent over this many seconds
#: The queue the alert test drives into breach; no simulated traffic touches it.
BREACH_QUEUE = "collections"
#: ``for:`` of every alert in the test's copy of alerts.yml (see fast_alerts).
FOR_SECONDS = 5
#: $__rate_interval here: longer than the module runs, so rates and quantiles cover the
#: fast-forwarded history as well as the live traffic (Grafana's own value over a few
#: hours of dashboard is minutes too). Over 10 s a quantile of a quiet histogram is NaN.
RATE_INTERVAL = "5m"


def fast_alerts(work: Path) -> Path:
    """alerts.yml with every ``for:`` cut to FOR_SECONDS, the rest unchanged.

    The shipped rules wait up to an hour before firing (SLA alerts must ride out
    blips); a test cannot. Only ``for:`` changes: expressions, labels and annotations
    stay exactly as shipped, so what fires here is what fires in production, sooner.
    """
    shipped = RULE_FILES[1]
    assert shipped.name == "alerts.yml"
    document = load_yaml(shipped)
    for group in document["groups"]:
        for rule in group["rules"]:
            if "for" in rule:
                rule["for"] = f"{FOR_SECONDS}s"
    path = work / "alerts.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    copied = [r for g in load_yaml(path)["groups"] for r in g["rules"]]
    assert [r["expr"] for r in copied] == [r["expr"] for r in rules("alert")]
    return path


class Stack:
    def __init__(self, prometheus: Prometheus, worker: WorkerProcess, feeder: Feeder) -> None:
        self.prometheus = prometheus
        self.worker = worker
        self.feeder = feeder

    def diagnostics(self) -> str:
        return (
            f"fed {self.feeder.sent} messages\n--- worker log ---\n{self.worker.log()[-2000:]}"
            f"\n--- prometheus log ---\n{self.prometheus.log_tail(1000)}"
        )


@pytest.fixture(scope="module")
def stack(broker, tmp_path_factory):
    work = tmp_path_factory.mktemp("e2e")
    # 40 minutes of history: a `today` window right after midnight would hold less.
    timezone_flags, _ = far_from_midnight(work)
    worker = WorkerProcess(
        broker.bootstrap, APP_ID, work, ("--topic-prefix", TOPIC_PREFIX, *timezone_flags)
    )
    try:
        worker.start().wait_ready(timeout=120)
        rule_files = (RULE_FILES[0], fast_alerts(work))
        with running_prometheus(work, [f"127.0.0.1:{worker.port}"], rule_files) as api:
            # Scraping before any event arrives: every counter's growth is seen.
            api.wait_until(lambda: api.query('up{job="cxkpi"} == 1'), 60, "first scrape")
            now = now_ms()
            feeder = Feeder(broker.bootstrap, TOPIC_PREFIX)
            feeder.start(
                [*simulated(now, HISTORY_S, LIVE_S, CATCH_UP_S), *extras(now), *help_desk(now)]
            )
            try:
                stack = Stack(api, worker, feeder)
                _wait_for_every_query(stack, timeout=90)
                yield stack
            finally:
                feeder.stop()
    finally:
        worker.stop()


def _wait_for_every_query(stack: Stack, timeout: float) -> None:
    """Until the feed has caught up with real time and every panel query and recording
    rule has a number (the tests then check each); on timeout the tests run anyway and
    name what is missing."""
    api = stack.prometheus
    pending = ["max(topic:cx_event_time_lag_seconds:max) < 30"]
    pending += [panel_expr(expr, RATE_INTERVAL) for _, _, expr in panel_queries()]
    pending += sorted(recorded_names())
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        assert stack.worker.process.poll() is None, stack.diagnostics()
        pending = [expr for expr in pending if not finite(api.query(expr))]
        time.sleep(0.5)


@pytest.mark.parametrize(
    "name,title,expr", list(panel_queries()), ids=lambda x: x if len(x) < 40 else None
)
def test_every_panel_query_returns_data(stack, name, title, expr):
    """Data, and at least one series with a number: a panel of only NaN shows nothing."""
    expr = panel_expr(expr, RATE_INTERVAL)
    result = stack.prometheus.query(expr)
    assert result, f"{name} / {title}: no data for {expr}\n{stack.diagnostics()}"
    assert finite(result), f"{name} / {title}: only NaN for {expr}: {result}"


@pytest.mark.parametrize("name,selector,label", list(variable_queries()))
def test_every_variable_finds_values(stack, name, selector, label):
    values = label_values(stack.prometheus, selector, label)
    assert values, f"{name}: label_values({selector}, {label})"
    if label == "queue":
        assert {"billing", "tech-support", "sales"} <= set(values)
    if label == "channel":
        assert {"voice", "chat"} <= set(values)


@pytest.mark.parametrize("record", sorted(recorded_names()))
def test_every_recording_rule_returns_data(stack, record):
    result = stack.prometheus.query(record)
    assert finite(result), f"{record}: no data ({result})\n{stack.diagnostics()}"


def test_every_rule_evaluates_without_error(stack):
    loaded, broken = rule_health(stack.prometheus)
    assert loaded == len(list(rules("record"))) + len(list(rules("alert")))
    assert not broken


def _values(stack: Stack, expr: str) -> dict[str, float]:
    return {
        ",".join(f"{k}={v}" for k, v in sorted(s["metric"].items())): float(s["value"][1])
        for s in stack.prometheus.query(expr)
    }


def test_the_wallboard_shows_numbers(stack):
    """The TV tiles are real numbers in range, from the simulated queues and agents."""
    for expr, low, high in (
        ('queue_window:cx_service_level:ratio{window="15m"}', 0, 1),
        ('queue_window:cx_abandonment:ratio{window="today"}', 0, 1),
        ('queue_window:cx_speed_of_answer_seconds:mean{window="15m"}', 0, 3600),
        ("queue_channel:cx_csat:ratio1h", 0, 1),
        ("queue_channel:cx_longest_wait_seconds:max", 0, 3600),
        ('sum(cx_agents{state=~"available|on_contact|after_contact_work"})', 1, 1e4),
        ('sum(cx_agents{state="away"})', 1, 1e4),
    ):
        values = _values(stack, expr)
        assert values, expr
        for series, value in values.items():
            assert not math.isnan(value) and low <= value <= high, (expr, series, value)
    assert not _values(stack, 'cx_agents{state="offline"}'), "offline agents are not shown"
    assert _values(stack, "sum(cx_worker_ready)") == {"": 1.0}
    assert sum(_values(stack, "topic:cx_events:rate5m").values()) > 0


@pytest.mark.parametrize(
    ("expr", "values"),
    [
        ("sum by (channel) (cx_contacts_offered_total)", {"voice", "chat"}),
        ("sum by (outcome) (cx_wait_seconds_count)", {"answered", "abandoned", "transferred"}),
        ("sum by (status) (cx_tickets_open)", {"new", "open", "pending", "on_hold"}),
        ("sum by (priority) (cx_tickets_open)", {"urgent", "high", "normal", "low"}),
        ("sum by (priority) (cx_tickets_solved_total)", {"urgent", "high", "normal", "low"}),
        ("sum by (survey) (cx_survey_responses_total)", {"csat", "nps", "ces", "esat"}),
        ("sum by (state) (cx_agents)", {"available", "on_contact", "after_contact_work", "away"}),
    ],
)
def test_the_traffic_covers_every_label_value(stack, expr, values):
    """Every value a dashboard breaks down by has a count above 0 at some point.

    Over the run, not at one instant: a live gauge such as agents in after-contact work
    is 0 whenever nobody happens to be wrapping up.
    """
    label = expr.split("(")[1].split(")")[0]
    ever = stack.prometheus.query(f"max_over_time(({expr})[30m:1s]) > 0")
    counted = {s["metric"][label] for s in ever}
    assert values <= counted, expr


def test_pipeline_health_counts_the_faults(stack):
    """The simulator's invalid, duplicate and late messages and the hand-made future and
    unmatched events are all counted."""
    for family in (
        "cx_events_invalid_total",
        "cx_events_duplicate_total",
        "cx_events_late_total",
        "cx_events_future_total",
        "cx_events_unmatched_total",
    ):
        assert sum(_values(stack, family).values()) > 0, family
    lag = _values(stack, "topic:cx_event_time_lag_seconds:max")
    assert lag and all(0 <= v < 120 for v in lag.values()), lag


def test_consumer_lag_topics_are_the_event_topics(stack):
    def topics(expr: str) -> set[str]:
        return {s["metric"]["topic"] for s in stack.prometheus.query(expr)}

    lag = topics(f'topic:cx_consumer_lag_messages:sum{{topic!="{APP_ID}-facts"}}')
    assert lag and lag <= topics("topic:cx_events:rate5m"), lag


def test_a_queue_in_breach_goes_pending_then_firing(stack):
    """Contacts wait minutes and abandon in one queue; its SLA alerts go pending, then
    fire after ``for:`` (cut to FOR_SECONDS in the test's copy of the rules)."""
    api = stack.prometheus

    def states() -> dict[tuple[str, str, str], str]:
        return {
            (a["labels"]["alertname"], a["labels"]["severity"], a["labels"].get("channel")): a[
                "state"
            ]
            for a in api.alerts()
            if a["labels"].get("queue") == BREACH_QUEUE
        }

    assert not states(), "the queue alerts before it is in breach"
    stack.feeder.add(breach(now_ms(), BREACH_QUEUE))
    watched = {
        ("CxServiceLevelBelowTarget", "warning", "voice"),
        ("CxServiceLevelBelowTarget", "critical", "voice"),
        ("CxAbandonmentAboveThreshold", "warning", "voice"),
        ("CxLongestWaitTooLong", "critical", "voice"),
        ("CxServiceLevelErrorBudgetBurn", "critical", "voice"),
    }
    seen: dict[tuple[str, str, str], list[str]] = {key: [] for key in watched}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for key, state in states().items():
            if key in seen and (not seen[key] or seen[key][-1] != state):
                seen[key].append(state)
        if all(history[-1:] == ["firing"] for history in seen.values()):
            break
        time.sleep(0.2)
    assert all(history == ["pending", "firing"] for history in seen.values()), (
        f"{seen}\n{stack.diagnostics()}"
    )

    firing = {
        a["labels"]["alertname"]: a
        for a in api.alerts()
        if a["labels"].get("queue") == BREACH_QUEUE and a["labels"]["severity"] == "warning"
    }
    service_level = firing["CxServiceLevelBelowTarget"]
    assert float(service_level["value"]) == 0
    description = service_level["annotations"]["description"]
    assert f"Queue {BREACH_QUEUE} (voice) answered 0%" in description
    assert description.endswith("the target is 80%.")
    assert service_level["annotations"]["runbook_url"].endswith("#cxservicelevelbelowtarget")
