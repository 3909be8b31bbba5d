"""A TCP proxy in front of the embedded broker, in a thread of its own, that a test can
cut and restore (a broker outage, seen from the client) and that can terminate TLS (a
TLS listener, which Tansu 0.6's ``--cert`` does not yet serve).

The broker advertises the proxy's address, so every connection a Kafka client makes,
bootstrap and partition leaders alike, goes through it. While cut, the proxy closes
every open connection and refuses new ones, as a dead network path would look to the
client (connection refused or reset).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
from concurrent.futures import Future


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Proxy:
    """``Proxy(upstream_port).start()``; ``cut()`` / ``restore()``; ``stop()``."""

    def __init__(self, upstream_port: int, *, tls: ssl.SSLContext | None = None) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.tls = tls
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._pairs: set[asyncio.StreamWriter] = set()
        self.connections = 0  # accepted in all (a test can see the client came back)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Proxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def cut(self) -> None:
        """Close every connection and stop listening, until ``restore``."""
        self._call(self._cut())

    def restore(self) -> None:
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

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._pairs):
            writer.transport.abort()
        self._pairs.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.transport.abort()
            return
        self._pairs.update((writer, up_writer))
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )
        self._pairs.discard(writer)
        self._pairs.discard(up_writer)

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
