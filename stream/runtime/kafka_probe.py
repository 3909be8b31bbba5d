"""Whether Kafka answers, and why a Kafka that answers TCP does not answer the client.

aiokafka reports a TLS certificate it does not trust, a TLS client at a plain listener
and a plain client at a TLS listener all as "unable to bootstrap", with the reason in a
log line at best. Retrying cannot fix any of them, so cxkpi's commands must not wait
for a broker that will never answer; they must say which setting is wrong. When the
client cannot reach Kafka, ``diagnose`` opens one connection to the first bootstrap
address the way the settings say and returns the fix, or None when the broker is
simply not there (then waiting is right: compose stacks start Kafka late).
"""

from __future__ import annotations

import asyncio
import ssl
import struct

from ..core.errors import ConfigError
from .kafka_settings import KafkaSettings

__all__ = ["KafkaAccessError", "diagnose", "reachable"]

PROBE_TIMEOUT_S = 3.0
#: ApiVersions v0 with correlation id 1 and client id "cxkpi-probe": every Kafka
#: listener answers it before authentication.
_CLIENT = b"cxkpi-probe"
_BODY = struct.pack(">hhih", 18, 0, 1, len(_CLIENT)) + _CLIENT
API_VERSIONS = struct.pack(">i", len(_BODY)) + _BODY
#: First byte of a TLS record (alert 21, handshake 22): what a TLS listener may send
#: back to a request it cannot read.
TLS_RECORDS = (21, 22)


class KafkaAccessError(ConfigError):
    """Kafka is there but these settings cannot talk to it: fix them, do not retry."""


async def diagnose(settings: KafkaSettings) -> KafkaAccessError | None:
    """The settings error that keeps the client from Kafka, or None if none is seen."""
    host, _, port = settings.bootstrap[0].rpartition(":")
    where = f"Kafka at {host}:{port}"
    tls = settings.security_protocol in ("SSL", "SASL_SSL")
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, int(port)), PROBE_TIMEOUT_S
        )
    except (OSError, TimeoutError, ValueError):
        return None  # not there (yet): waiting is right
    try:
        if tls:
            return await _tls_problem(settings, reader, writer, host, where)
        return await _plain_problem(reader, writer, where)
    finally:
        writer.transport.abort()


async def _tls_problem(
    settings: KafkaSettings,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    host: str,
    where: str,
) -> KafkaAccessError | None:
    context = settings.ssl_context()
    try:
        await asyncio.wait_for(writer.start_tls(context, server_hostname=host), PROBE_TIMEOUT_S)
    except ssl.SSLCertVerificationError as exc:
        return KafkaAccessError(
            f"{where}: its TLS certificate is not trusted ({exc.verify_message}); pass "
            "--ssl-cafile (CXKPI_SSL_CAFILE) with the CA that signed it"
        )
    except (ssl.SSLError, TimeoutError, ConnectionError) as exc:
        # A TLS listener answers a ClientHello at once. A plain Kafka listener reads it
        # as a huge request and closes (Apache Kafka) or keeps waiting for it (Tansu).
        why = getattr(exc, "reason", None) or str(exc) or "no answer to the TLS handshake"
        return KafkaAccessError(
            f"{where} does not speak TLS ({why}); is it a PLAINTEXT listener? check "
            "--security-protocol (CXKPI_SECURITY_PROTOCOL)"
        )
    except OSError:
        return None
    return None


async def _plain_problem(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, where: str
) -> KafkaAccessError | None:
    writer.write(API_VERSIONS)
    try:
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(5), PROBE_TIMEOUT_S)
    except TimeoutError:
        return None  # no answer yet: a broker still starting, say; waiting is right
    except (OSError, ConnectionError):
        answer = b""
    if answer and answer[0] not in TLS_RECORDS:
        return None  # a Kafka answer: the problem is elsewhere
    return KafkaAccessError(
        f"{where} closed the connection without answering a plain Kafka request; is "
        "it a TLS listener? pass --security-protocol SSL (or SASL_SSL) and --ssl-cafile"
    )


async def reachable(settings: KafkaSettings) -> bool:
    """Whether a bootstrap broker answers an ApiVersions request now, connected as the
    settings say (TLS included). A running worker asks this every few seconds: its
    Kafka clients reconnect on their own and would not say that they cannot."""
    context = settings.ssl_context()
    for address in settings.bootstrap:
        host, _, port = address.rpartition(":")
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    host, int(port), ssl=context, server_hostname=host if context else None
                ),
                PROBE_TIMEOUT_S,
            )
        except (OSError, TimeoutError, ValueError):
            continue
        try:
            writer.write(API_VERSIONS)
            await writer.drain()
            await asyncio.wait_for(reader.readexactly(4), PROBE_TIMEOUT_S)
            return True
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            continue
        finally:
            writer.transport.abort()
    return False
