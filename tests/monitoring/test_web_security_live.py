"""A worker behind --web-config-file (TLS and basic auth, issue 10 item 5), scraped by a
real Prometheus over TLS with a password: right password up, wrong password 401, plain
HTTP refused, and /healthz open for liveness probes."""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request

import bcrypt
import pytest
import yaml
from certificates import self_signed
from integration.workers import WorkerProcess

from .prom import running_prometheus

pytestmark = pytest.mark.integration
PASSWORD = "wallboard-on-the-tv"


def scrape_job(name: str, port: int, ca: str, **extra) -> dict:
    return {
        "job_name": name,
        "scheme": extra.pop("scheme", "https"),
        "tls_config": {"ca_file": ca},
        "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
        **extra,
    }


def test_prometheus_scrapes_over_tls_with_a_password_and_nothing_else_gets_in(broker, tmp_path):
    cert, _ = self_signed(tmp_path)
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(10)).decode()
    web_config = tmp_path / "web.yml"
    web_config.write_text(
        yaml.safe_dump(
            {
                "tls_server_config": {"cert_file": "server.crt", "key_file": "server.key"},
                "basic_auth_users": {"prometheus": hashed},
            }
        )
    )
    worker = WorkerProcess(
        broker.bootstrap,
        "web-security",
        tmp_path,
        ("--web-config-file", str(web_config), "--agents-view"),  # agent ids: behind it
    )
    worker.tls = ssl.create_default_context(cafile=str(cert))
    worker.authorization = "Basic " + base64.b64encode(f"prometheus:{PASSWORD}".encode()).decode()
    worker.start()
    try:
        worker.wait_ready(timeout=90)
        assert "metrics at https://127.0.0.1" in worker.log()

        status, body = worker.get("/metrics")
        assert status == 200 and b"cx_build_info" in body
        status, body = worker.get("/api/wallboard")
        assert status == 200 and json.loads(body)["agents"] == []  # on, and no agent yet
        worker.authorization = "Basic " + base64.b64encode(b"prometheus:guess").decode()
        assert worker.get("/metrics")[0] == 401
        assert worker.get("/wallboard")[0] == 401
        assert worker.get("/api/wallboard")[0] == 401
        assert worker.get("/readyz")[0] == 401
        worker.authorization = None
        assert worker.get("/metrics")[0] == 401
        assert worker.get("/healthz")[0] == 200  # liveness needs no secret
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            urllib.request.urlopen(f"http://127.0.0.1:{worker.port}/healthz", timeout=5)

        ca = str(cert)
        jobs = [
            scrape_job("tls-auth", worker.port, ca,
                       basic_auth={"username": "prometheus", "password": PASSWORD}),
            scrape_job("wrong-password", worker.port, ca,
                       basic_auth={"username": "prometheus", "password": "guess"}),
            scrape_job("no-password", worker.port, ca),
            scrape_job("plain-http", worker.port, ca, scheme="http"),
        ]  # fmt: skip
        with running_prometheus(tmp_path, [], [], scrape_configs=jobs) as api:
            api.wait_until(
                lambda: (
                    len(api.get("/api/v1/targets")["activeTargets"]) == 4
                    and all(
                        t["health"] != "unknown"
                        for t in api.get("/api/v1/targets")["activeTargets"]
                    )
                ),
                60,
                "every job scraped once",
            )
            targets = {t["labels"]["job"]: t for t in api.get("/api/v1/targets")["activeTargets"]}
            assert targets["tls-auth"]["health"] == "up", targets["tls-auth"]["lastError"]
            assert api.query('cx_build_info{job="tls-auth"}')
            for job in ("wrong-password", "no-password"):
                assert targets[job]["health"] == "down"
                assert "401" in targets[job]["lastError"], targets[job]["lastError"]
            assert targets["plain-http"]["health"] == "down"
    finally:
        worker.stop()
