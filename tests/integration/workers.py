"""Run ``cxkpi worker`` as a real subprocess in tests, and read what it serves.

Each worker runs in its own process group, so a test can SIGKILL it (and everything it
started) at any point, and the fixture that owns it always stops it: no test leaves a
worker behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from stream.core.config import Config, load_config
from stream.runtime.broker import free_port

#: Tansu quirk: ListOffsets "latest" answers the *last batch's base offset + 1*, so with
#: multi-record batches the end offsets are too low and Faust, which restores a table
#: up to those offsets, restores it only partly after a restart. A batch holding a
#: single record makes base offset + 1 the true end. aiokafka always puts the first
#: record into a batch whatever its size, so max_batch_size=1 means one record per
#: batch. Test-only: product defaults batch normally (real Kafka has no such quirk).
ONE_RECORD_BATCHES: dict[str, object] = {"max_batch_size": 1, "linger_ms": 0}
#: Tansu holds group joins for half the session timeout: 6 s makes a worker ready in
#: ~5 s. Restart and rebalance tests also need ONE record per changelog batch (Tansu's
#: ListOffsets quirk, see conftest.ONE_RECORD_BATCHES) or the restore stops short.
#: Tansu quirk: when several producers write to one partition at once (two workers'
#: facts), a fetch can return a record before an earlier one is visible, and the
#: consumer moves past the earlier one for good (1 to 6 in 9,000 records with three
#: producers: bench/tansu_quirk.py). Apache Kafka never shows a record
#: past the high watermark. consumer_reread_gaps reads such a gap again.
TEST_FLAGS = (
    "--session-timeout",
    "6",
    "--faust",
    "producer_max_batch_size=1",
    "--faust",
    "consumer_reread_gaps=true",
)


#: What python runs for a worker: cxkpi itself (a test may run a variant of it).
CXKPI = ("-m", "stream.cli.main")
#: The variant whose checkpoints pause before their progress marks (pausing_worker.py).
PAUSING = (str(Path(__file__).with_name("pausing_worker.py")),)
#: The variant that drops a poll at every seek to the committed offsets (dropping_worker.py).
DROPPING = (str(Path(__file__).with_name("dropping_worker.py")),)


def cxkpi(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run a cxkpi command as a user would (this interpreter), capturing its output."""
    return subprocess.run(
        [sys.executable, *CXKPI, *argv], capture_output=True, text=True, timeout=timeout
    )


def jsonl(path: Path, lines: list[bytes]) -> Path:
    """Write ``lines`` as a JSON Lines file for ``cxkpi produce`` or ``replay``."""
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


class WorkerProcess:
    def __init__(
        self,
        bootstrap: str,
        app_id: str,
        log_dir: Path,
        extra: Iterable[str] = (),
        env: dict[str, str] | None = None,
        program: tuple[str, ...] = CXKPI,
    ) -> None:
        self.bootstrap = bootstrap
        self.app_id = app_id
        self.port = free_port()
        self.log_dir = log_dir
        self.extra = tuple(extra)
        self.env = env
        self.program = program
        self.process: subprocess.Popen | None = None
        self.starts = 0
        # How to reach it when it runs with --web-config-file (TLS, basic auth).
        self.tls: ssl.SSLContext | None = None
        self.authorization: str | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> WorkerProcess:
        self.starts += 1
        log = open(self.log_dir / f"worker-{self.port}-{self.starts}.log", "w")  # noqa: SIM115
        command = [
            sys.executable,
            *self.program,
            "worker",
            "--broker",
            self.bootstrap,
            "--app-id",
            self.app_id,
            "--web-port",
            str(self.port),
            "--data-dir",
            str(self.log_dir / f"data-{self.port}"),
            *TEST_FLAGS,
            *self.extra,
        ]
        self.process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **self.env} if self.env else None,
        )
        return self

    def log(self) -> str:
        return (self.log_dir / f"worker-{self.port}-{self.starts}.log").read_text()

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            request = urllib.request.Request(self.url + path)
            if self.authorization:
                request.add_header("Authorization", self.authorization)
            with urllib.request.urlopen(request, timeout=10, context=self.tls) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.log()[-3000:]
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise AssertionError(f"worker not ready in {timeout} s:\n{self.log()[-3000:]}")

    def metrics(self) -> dict[tuple[str, frozenset], float]:
        """Every sample of /metrics: (name, labels) → value."""
        status, body = self.get("/metrics")
        assert status == 200, body[:500]
        return samples(body.decode())

    def kill(self) -> None:
        self._signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def far_from_midnight(directory: Path) -> tuple[tuple[str, ...], Config]:
    """Worker flags and the replay config of a timezone whose midnight is hours away.

    The late horizon is min(local midnight, T − 1 h) (SPEC §5). A worker judges by its
    wall clock and replay by the stream's own, so a scenario longer than an hour that
    starts before local midnight is partly late live and not in replay, and a `today`
    window holds only the minutes since midnight: every night from 00:00 to 01:30 UTC
    in UTC. Test-only; worker and replay get the same timezone.

    The config also sets a default business-hours calendar open the first 40 minutes
    of every hour, every day, so that the tickets' business-time clocks and histograms
    (issue 12) are compared live against replay at any time of day.
    """
    timezone = "Etc/GMT+12" if datetime.now(UTC).hour < 3 else "UTC"  # UTC−12 at night
    hours = ", ".join(f'"{h:02d}:00-{h:02d}:40"' for h in range(24))
    days = "\n".join(
        f"{day} = [{hours}]" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    )
    path = directory / "cxkpi.toml"
    path.write_text(
        f'timezone = "{timezone}"\n\n[calendars.default]\ntimezone = "{timezone}"\n'
        f"[calendars.default.hours]\n{days}\n"
    )
    return ("--config", str(path)), load_config(path)
