"""Fast contract check: a real Prometheus scrapes a STAND-IN worker with the shipped rules.

The stand-in (fake_worker.py) serves every family and label value of the metric
contract (contract.py) at once, without a broker: every dashboard query, variable and
recording rule must return data, every rule must evaluate without error, and the breach
the stand-in reports must raise alerts. It runs where the embedded broker is missing and
catches a query that drifted from the contract in seconds; test_worker_end_to_end.py is
the same check against a real ``cxkpi worker`` fed with simulated traffic.
"""

from __future__ import annotations

import pytest

from .fake_worker import FakeWorker
from .prom import label_values, panel_expr, rule_health, running_prometheus, variable_queries
from .tools import RULE_FILES, panel_queries, recorded_names, rules

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    work = tmp_path_factory.mktemp("prometheus-fake")
    with FakeWorker() as worker, running_prometheus(work, [worker.address], RULE_FILES) as api:
        # Rule groups are evaluated at their own offsets in the interval, and rates need
        # a few scrapes: wait for every recorded series, not only a sample of them.
        api.wait_until(
            lambda: (
                api.query("topic:cx_events:rate5m > 0")
                and all(api.query(name) for name in recorded_names())
            ),
            60,
            "rates over 5 scrapes and every recording rule have data",
        )
        yield api


@pytest.mark.parametrize(
    "name,title,expr", list(panel_queries()), ids=lambda x: x if len(x) < 40 else None
)
def test_every_panel_query_returns_data(prometheus, name, title, expr):
    assert prometheus.query(panel_expr(expr)), f"{name} / {title}: no data for {expr}"


@pytest.mark.parametrize("name,selector,label", list(variable_queries()))
def test_every_variable_finds_values(prometheus, name, selector, label):
    assert label_values(prometheus, selector, label), f"{name}: label_values({selector}, {label})"


@pytest.mark.parametrize("record", sorted(recorded_names()))
def test_every_recording_rule_returns_data(prometheus, record):
    assert prometheus.query(record), f"{record}: no data"


def test_every_rule_evaluates_without_error(prometheus):
    loaded, broken = rule_health(prometheus)
    assert loaded == len(list(rules("record"))) + len(list(rules("alert")))
    assert not broken


def test_a_breach_raises_alerts(prometheus):
    """The stand-in's queue is below its service-level target and above its abandonment
    threshold (pending: those wait 10 minutes), and one label overflow fires at once."""
    alerts = prometheus.alerts()
    states = {(a["labels"]["alertname"], a["labels"].get("channel"), a["state"]) for a in alerts}
    for channel in ("voice", "chat"):
        assert ("CxServiceLevelBelowTarget", channel, "pending") in states
        assert ("CxAbandonmentAboveThreshold", channel, "pending") in states
    assert ("CxLabelOverflow", None, "firing") in states
