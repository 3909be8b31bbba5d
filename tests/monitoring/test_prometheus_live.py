"""A real Prometheus (Debian's package) scrapes a stand-in worker with the shipped rules:
every dashboard query, variable and recording rule must return data, every rule must
evaluate without error, and the breach the stand-in reports must raise alerts.

The stand-in (fake_worker.py) serves the metric contract; once the live worker exists,
the same checks against it are the end-to-end test of issue 4.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import pytest
import yaml

from .fake_worker import FakeWorker
from .tools import RULE_FILES, dashboards, need_tool, panel_queries, recorded_names, substitute

pytestmark = pytest.mark.integration

SCRAPE_SECONDS = 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, path: str, **params: str) -> dict:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=10) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list:
        return self.get("/api/v1/query", query=expr)["result"]


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    binary = need_tool("prometheus")
    work = tmp_path_factory.mktemp("prometheus")
    port = _free_port()
    with FakeWorker() as worker:
        config = {
            "global": {
                "scrape_interval": f"{SCRAPE_SECONDS}s",
                "evaluation_interval": f"{SCRAPE_SECONDS}s",
            },
            "rule_files": [str(path) for path in RULE_FILES],
            "scrape_configs": [
                {"job_name": "cxkpi", "static_configs": [{"targets": [worker.address]}]}
            ],
        }
        (work / "prometheus.yml").write_text(yaml.safe_dump(config))
        log = open(work / "prometheus.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={work / 'prometheus.yml'}",
                f"--storage.tsdb.path={work / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            api = Prometheus(f"http://127.0.0.1:{port}")
            _wait_for_data(api, process, work)
            yield api
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()


def _wait_for_data(api: Prometheus, process: subprocess.Popen, work) -> None:
    """Until rates over 5 scrapes and the recording rules have data (at most 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prometheus exited: {(work / 'prometheus.log').read_text()}")
        try:
            if api.query("queue_channel:cx_csat:ratio1h") and api.query(
                "topic:cx_events:rate5m > 0"
            ):
                time.sleep(3 * SCRAPE_SECONDS)
                return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"no data after 60 s: {(work / 'prometheus.log').read_text()}")


QUERIES = list(panel_queries())


@pytest.mark.parametrize("name,title,expr", QUERIES, ids=lambda x: x if len(x) < 40 else None)
def test_every_panel_query_returns_data(prometheus, name, title, expr):
    expr = substitute(expr).replace("[1m]", "[10s]")  # $__rate_interval at a 1 s scrape
    assert prometheus.query(expr), f"{name} / {title}: no data for {expr}"


def test_every_variable_finds_values(prometheus):
    for board in dashboards().values():
        for variable in board["templating"]["list"]:
            if variable["type"] != "query":
                continue
            selector = variable["query"][len("label_values(") : variable["query"].rindex(",")]
            label = variable["query"].rsplit(",", 1)[1].strip(" )")
            selector = substitute(selector)
            values = prometheus.get(f"/api/v1/label/{label}/values", **{"match[]": selector})
            assert values, variable["query"]


@pytest.mark.parametrize("record", sorted(recorded_names()))
def test_every_recording_rule_returns_data(prometheus, record):
    assert prometheus.query(record), f"{record}: no data"


def test_every_rule_evaluates_without_error(prometheus):
    groups = prometheus.get("/api/v1/rules")["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert len(rules) == sum(
        len(group["rules"])
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
    )
    broken = {rule["name"]: rule.get("lastError") for rule in rules if rule["health"] != "ok"}
    assert not broken


def test_a_breach_raises_alerts(prometheus):
    """The stand-in's queue is below its service-level target and above its abandonment
    threshold (pending: those wait 10 minutes), and one label overflow fires at once."""
    alerts = prometheus.get("/api/v1/alerts")["alerts"]
    states = {(a["labels"]["alertname"], a["labels"].get("channel"), a["state"]) for a in alerts}
    for channel in ("voice", "chat"):
        assert ("CxServiceLevelBelowTarget", channel, "pending") in states
        assert ("CxAbandonmentAboveThreshold", channel, "pending") in states
    assert ("CxLabelOverflow", None, "firing") in states
