"""Kafka over TLS (issue 10, item 4, the TLS half): the worker, `cxkpi produce` and
`cxkpi simulate --broker` count through a TLS listener exactly as in plain text; an
untrusted certificate and a wrong protocol each end in one clear error line and exit
status 2, never a retry loop or a traceback.

Tansu 0.6 accepts ``--cert`` but still serves plain text on its listener (checked:
a TLS client gets no handshake), so the TLS listener here is a TLS-terminating proxy
in front of it (proxy.py), and the broker advertises the proxy's address: every
connection of every client goes through TLS. The SASL half is blocked on Tansu: its
SCRAM users are created through the broker, which refuses that request once
``--authentication`` is on, and its in-memory store forgets them across a restart.
"""

from __future__ import annotations

import os
import re
import signal
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from certificates import self_signed
from proxy import Proxy
from test_demo import _kill_leftovers, _offered, _start_demo
from test_worker_e2e import scenario, wait_consistent
from workers import cxkpi, jsonl

from stream.runtime.broker import EmbeddedBroker, free_port

pytestmark = pytest.mark.integration


class TlsKafka:
    def __init__(self, bootstrap: str, ca: Path) -> None:
        self.bootstrap = bootstrap
        self.ca = ca

    def flags(self) -> tuple[str, ...]:
        return (
            "--broker",
            self.bootstrap,
            "--security-protocol",
            "SSL",
            "--ssl-cafile",
            str(self.ca),
        )


@pytest.fixture
def tls_kafka(broker, tmp_path):
    """A broker whose only advertised listener is TLS. (``broker``: for its rule that a
    missing Tansu skips on a laptop and fails in CI.)"""
    cert, key = self_signed(tmp_path)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    upstream = free_port()
    proxy = Proxy(upstream, tls=server).start()
    embedded = EmbeddedBroker(upstream, advertise=proxy.bootstrap, log=tmp_path / "tls.log")
    try:
        embedded.start()
        yield TlsKafka(proxy.bootstrap, cert)
    finally:
        embedded.stop()
        proxy.stop()


def one_clear_line(done: subprocess.CompletedProcess, *needles: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr[-3000:])
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, done.stderr[-3000:]
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def test_worker_produce_and_simulate_count_through_tls_as_in_plain_text(
    tls_kafka, start_worker, topic_prefix, tmp_path
):
    lines = scenario(seed=10, minutes=5)
    events = jsonl(tmp_path / "events.jsonl", lines)
    # The worker's own connection flags come last, so they win over the fixture's.
    worker = start_worker(("--topic-prefix", topic_prefix, *tls_kafka.flags()))
    worker.wait_ready()
    # One record per batch: Tansu's ListOffsets quirk (workers.ONE_RECORD_BATCHES).
    produced = cxkpi("produce", str(events), "-q", "--topic-prefix", topic_prefix,
                   "--batch-bytes", "1", *tls_kafka.flags())  # fmt: skip
    assert produced.returncode == 0, produced.stderr
    wait_consistent(lines, worker)

    simulated = cxkpi("simulate", "--broker", tls_kafka.bootstrap, "--security-protocol", "SSL",
                    "--ssl-cafile", str(tls_kafka.ca), "--topic-prefix", topic_prefix + "sim.",
                    "--queues", "2", "--duration", "120", "-q")  # fmt: skip
    assert simulated.returncode == 0, simulated.stderr


def test_the_demo_runs_against_a_tls_kafka(tls_kafka, tmp_path):
    port = free_port()
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    demo = _start_demo(*tls_kafka.flags(), "--web-port", str(port), "--duration", "120",
                       "--interval", "2", out=out, err=err)  # fmt: skip
    pids: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and demo.poll() is None and not _offered(port):
            time.sleep(0.5)
        assert _offered(port) > 0, f"{out.read_text()}\n{err.read_text()}"
        worker = re.search(r"starting the worker \(pid (\d+)\)", out.read_text())
        pids = [int(worker.group(1))] if worker else []
        os.killpg(demo.pid, signal.SIGINT)
        assert demo.wait(60) == 0, err.read_text()
    finally:
        _kill_leftovers(demo, pids)
    assert "(SSL)" in out.read_text()  # the demo says which Kafka it uses, and how


@pytest.mark.parametrize("command", ["worker", "produce"])
def test_an_untrusted_certificate_is_one_clear_error(tls_kafka, tmp_path, command):
    argv = ["--broker", tls_kafka.bootstrap, "--security-protocol", "SSL"]  # system CAs only
    if command == "produce":
        (tmp_path / "none.jsonl").write_text("")
        argv = [str(tmp_path / "none.jsonl"), *argv]
    one_clear_line(cxkpi(command, *argv), "certificate is not trusted", "--ssl-cafile")


def test_a_plain_client_at_the_tls_listener_is_told_to_use_tls(tls_kafka):
    one_clear_line(cxkpi("worker", "--broker", tls_kafka.bootstrap), "TLS listener", "SSL")


def test_a_tls_client_at_a_plain_listener_is_told_it_is_plain(broker, tls_kafka):
    done = cxkpi("worker", "--broker", broker.bootstrap, "--security-protocol", "SSL",
               "--ssl-cafile", str(tls_kafka.ca))  # fmt: skip
    one_clear_line(done, "does not speak TLS", "--security-protocol")
