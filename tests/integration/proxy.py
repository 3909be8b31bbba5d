"""A TCP proxy in front of the embedded broker, in a thread of its own, that a test can
cut and restore (a broker outage, seen from the client) and that can terminate TLS (a
TLS listener, which Tansu 0.6's ``--cert`` does not yet serve).

The broker advertises the proxy's address, so every connection a Kafka client makes,
bootstrap and partition leaders alike, goes through it. While cut, the proxy closes
every open connection and refuses new ones, as a dead network path would look to the
client (connection refused or reset). A cut may be partial: ``cut(worker_side)`` cuts
only the clients whose Kafka client id matches (read from each connection's first
request), so that producers still reach the broker while the worker cannot, or the
other way round.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import struct
import threading
from collections.abc import Callable
from concurrent.futures import Future

from stream.runtime.broker import free_port

Clients = Callable[[str], bool]


def everyone(client_id: str) -> bool:
    return True


def worker_side(client_id: str) -> bool:
    """A worker's clients: Faust's (``faust-VERSION``), cxkpi's admin and its probe."""
    return client_id.startswith(("faust", "cxkpi-admin", "cxkpi-probe"))


def producer_side(client_id: str) -> bool:
    return not worker_side(client_id)


class Proxy:
    """``Proxy(upstream_port).start()``; ``cut(clients)`` / ``restore()``; ``stop()``."""

    def __init__(self, upstream_port: int, *, tls: ssl.SSLContext | None = None) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.tls = tls
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._pairs: dict[asyncio.StreamWriter, tuple[asyncio.StreamWriter, str]] = {}
        self._cut: Clients | None = None
        self.connections = 0  # accepted in all (a test can see the client came back)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Proxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def cut(self, clients: Clients = everyone) -> None:
        """Close the connections of ``clients`` and refuse theirs until ``restore``."""
        self._call(self._cut_off(clients))

    def restore(self) -> None:
        self._cut = None
        self._call(self._listen())

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _call(self, coroutine) -> None:
        future: Future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        future.result(10)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._serve, "127.0.0.1", self.port, ssl=self.tls, reuse_address=True
            )

    async def _cut_off(self, clients: Clients) -> None:
        self._cut = clients
        if clients is everyone and self._server is not None:
            self._server.close()  # connection refused, as with a host that is gone
            self._server = None
        for writer, (up_writer, client_id) in list(self._pairs.items()):
            if clients(client_id):
                writer.transport.abort()
                up_writer.transport.abort()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            first = await reader.readexactly(4)
            first += await reader.readexactly(struct.unpack(">i", first)[0])
            (length,) = struct.unpack(">h", first[12:14])
            client_id = first[14 : 14 + length].decode(errors="replace") if length > 0 else ""
            if self._cut is not None and self._cut(client_id):
                raise ConnectionRefusedError(client_id)
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except (OSError, asyncio.IncompleteReadError, struct.error, ssl.SSLError):
            writer.transport.abort()
            return
        up_writer.write(first)
        self._pairs[writer] = (up_writer, client_id)
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )
        self._pairs.pop(writer, None)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.transport.abort()
