"""A real Prometheus (Debian's package) for the tests: started on a free port with a
given scrape target and rule files, queried through its HTTP API, always stopped."""

from __future__ import annotations

import json
import math
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from stream.runtime.broker import free_port

from .tools import GRAFANA_VARIABLES, dashboards, need_tool, substitute

#: Scrape and rule-evaluation interval of the test Prometheus.
SCRAPE_SECONDS = 1
#: What $__rate_interval stands for at a 1 s scrape: Grafana makes it at least four
#: scrapes; 10 s leaves room for a late scrape or two.
RATE_INTERVAL = "10s"


class Prometheus:
    """The HTTP API of a running Prometheus."""

    def __init__(self, url: str, process: subprocess.Popen, log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log

    def get(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=10) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query; an invalid expression fails the test with Prometheus' error."""
        try:
            return self.get("/api/v1/query", query=expr)["result"]
        except urllib.error.HTTPError as exc:
            pytest.fail(f"{expr}: {exc.read().decode(errors='replace')}")

    def alerts(self) -> list[dict[str, Any]]:
        return self.get("/api/v1/alerts")["alerts"]

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def wait_until(self, ready: Callable[[], bool], timeout: float, what: str) -> float:
        """Poll ``ready`` until true; returns the seconds waited, fails on timeout."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                pytest.fail(f"prometheus exited:\n{self.log_tail()}")
            try:
                if ready():
                    return time.monotonic() - started
            except OSError:
                pass  # not listening yet
            time.sleep(0.25)
        pytest.fail(f"{what}: not within {timeout:g} s\n{self.log_tail()}")


@contextmanager
def running_prometheus(
    work: Path,
    targets: Sequence[str],
    rule_files: Sequence[Path],
    scrape_configs: Sequence[dict[str, Any]] = (),
) -> Iterator[Prometheus]:
    """Prometheus scraping ``targets`` (job ``cxkpi``) every second with ``rule_files``;
    ``scrape_configs`` adds jobs of its own (TLS, basic auth ...)."""
    binary = need_tool("prometheus")
    port = free_port()
    config = {
        "global": {
            "scrape_interval": f"{SCRAPE_SECONDS}s",
            "evaluation_interval": f"{SCRAPE_SECONDS}s",
        },
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [
            {"job_name": "cxkpi", "static_configs": [{"targets": list(targets)}]},
            *scrape_configs,
        ],
    }
    (work / "prometheus.yml").write_text(yaml.safe_dump(config))
    log_path = work / "prometheus.log"
    with open(log_path, "w") as log:
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
            api = Prometheus(f"http://127.0.0.1:{port}", process, log_path)
            api.wait_until(lambda: bool(api.get("/api/v1/status/buildinfo")), 30, "start")
            yield api
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def panel_expr(expr: str, rate_interval: str = RATE_INTERVAL) -> str:
    """A panel query as Grafana sends it, with ``rate_interval`` for $__rate_interval."""
    default = GRAFANA_VARIABLES["$__rate_interval"]
    return substitute(expr).replace(f"[{default}]", f"[{rate_interval}]")


def finite(result: list[dict[str, Any]]) -> list[float]:
    """The values of an instant-query result that are numbers (not NaN or ±Inf)."""
    values = (float(sample["value"][1]) for sample in result)
    return [value for value in values if math.isfinite(value)]


def variable_queries() -> Iterator[tuple[str, str, str]]:
    """(dashboard, selector, label) of every ``label_values(selector, label)`` variable."""
    for name, board in dashboards().items():
        for variable in board["templating"]["list"]:
            if variable["type"] != "query":
                continue
            query = variable["query"]
            selector = query[len("label_values(") : query.rindex(",")]
            label = query.rsplit(",", 1)[1].strip(" )")
            yield name, substitute(selector), label


def label_values(api: Prometheus, selector: str, label: str) -> list[str]:
    return api.get(f"/api/v1/label/{label}/values", **{"match[]": selector})


def rule_health(api: Prometheus) -> tuple[int, dict[str, str]]:
    """(number of rules loaded, {rule name: last error} of the unhealthy ones)."""
    groups = api.get("/api/v1/rules")["groups"]
    loaded = [rule for group in groups for rule in group["rules"]]
    broken = {rule["name"]: rule.get("lastError", "") for rule in loaded if rule["health"] != "ok"}
    return len(loaded), broken
