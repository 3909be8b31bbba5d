"""The demo supervisor's pure parts: the worker's command line and environment from a
plan, and the port probe. (tests/integration/test_demo.py runs the whole demo.)"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from stream.runtime.demo import (
    TANSU_SESSION_TIMEOUT,
    DemoPlan,
    port_in_use,
    worker_command,
    worker_environment,
)
from stream.runtime.kafka_settings import KafkaSettings
from stream.runtime.producer import TopicLayout
from stream.sim import SimSettings

KAFKA = KafkaSettings(bootstrap=("k1:9092", "k2:9092"))


def plan(**changes) -> DemoPlan:
    return DemoPlan(
        kafka=None,
        topics=TopicLayout("demo.", 4, 2),
        traffic=SimSettings(queues=2, agents=10, duration_s=0),
        **changes,
    )


def flags(argv: list[str]) -> dict[str, str]:
    return dict(zip(argv[4::2], argv[5::2], strict=True))


def test_the_worker_runs_as_a_module_of_this_interpreter_with_the_plans_topics():
    argv = worker_command(plan(web_port=7070), KAFKA, embedded=False, data_dir=Path("/d"))
    assert argv[:4] == [sys.executable, "-m", "stream.cli.main", "worker"]
    assert flags(argv) == {
        "--broker": "k1:9092,k2:9092",
        "--web-host": "127.0.0.1",
        "--web-port": "7070",
        "--partitions": "4",
        "--replication-factor": "2",
        "--app-id": "cxkpi-demo",
        "--topic-prefix": "demo.",
        "--data-dir": "/d",
    }


def test_the_embedded_broker_gets_a_short_session_and_a_config_is_passed_on():
    argv = worker_command(plan(config="cx.toml"), KAFKA, embedded=True, data_dir=Path("/d"))
    assert flags(argv)["--session-timeout"] == str(TANSU_SESSION_TIMEOUT)
    assert flags(argv)["--config"] == "cx.toml"


def test_credentials_travel_in_the_environment_and_stale_ones_are_dropped():
    settings = KafkaSettings(
        bootstrap=("k:9093",),
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="cx",
        sasl_password="secret",
    )
    env = worker_environment(settings, {"PATH": "/bin", "CXKPI_SSL_CAFILE": "/old/ca.pem"})
    assert env["CXKPI_BROKER"] == "k:9093"
    assert env["CXKPI_SASL_PASSWORD"] == "secret"
    assert "CXKPI_SSL_CAFILE" not in env  # not part of these settings
    assert env["PATH"] == "/bin" and env["PYTHONUNBUFFERED"] == "1"
    assert "secret" not in " ".join(worker_command(plan(), settings, False, Path("/d")))


def test_port_in_use_sees_a_listening_socket():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        assert port_in_use("127.0.0.1", taken)
