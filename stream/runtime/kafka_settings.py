"""Kafka connection settings shared by ``cxkpi produce``, ``simulate`` and ``worker``.

One place turns flags and environment variables into a ``KafkaSettings`` value, and
that value into keyword arguments for aiokafka clients (``aiokafka_kwargs``) or for a
Faust app (``faust_kwargs``). A flag beats its environment variable, which beats the
default::

    --broker HOST:PORT[,HOST:PORT]  CXKPI_BROKER              localhost:9092
    --security-protocol P           CXKPI_SECURITY_PROTOCOL   PLAINTEXT (or SSL, SASL_*)
    --sasl-mechanism M              CXKPI_SASL_MECHANISM      PLAIN (or SCRAM-SHA-256/512)
    --sasl-username U               CXKPI_SASL_USERNAME
    --sasl-password P               CXKPI_SASL_PASSWORD       (prefer the variable)
    --ssl-cafile F                  CXKPI_SSL_CAFILE          system CAs
    --ssl-certfile F, --ssl-keyfile CXKPI_SSL_CERTFILE/KEYFILE client certificate (mTLS)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import ConfigError

__all__ = ["DEFAULT_BROKER", "MECHANISMS", "PROTOCOLS", "KafkaSettings", "settings_from_flags"]

DEFAULT_BROKER = "localhost:9092"
PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")

#: (option name, environment variable) of every option, in --help order.
OPTIONS = (
    ("broker", "CXKPI_BROKER"),
    ("security_protocol", "CXKPI_SECURITY_PROTOCOL"),
    ("sasl_mechanism", "CXKPI_SASL_MECHANISM"),
    ("sasl_username", "CXKPI_SASL_USERNAME"),
    ("sasl_password", "CXKPI_SASL_PASSWORD"),
    ("ssl_cafile", "CXKPI_SSL_CAFILE"),
    ("ssl_certfile", "CXKPI_SSL_CERTFILE"),
    ("ssl_keyfile", "CXKPI_SSL_KEYFILE"),
)


@dataclass(frozen=True, slots=True)
class KafkaSettings:
    """Where the brokers are and how to authenticate; validated on construction."""

    bootstrap: tuple[str, ...] = (DEFAULT_BROKER,)
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "PLAIN"
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None

    def __post_init__(self) -> None:
        if not self.bootstrap:
            raise ConfigError("no broker address given; use --broker HOST:PORT")
        for address in self.bootstrap:
            host, _, port = address.rpartition(":")
            if not host or not port.isdigit():
                raise ConfigError(f"broker address {address!r} is not HOST:PORT")
        if self.security_protocol not in PROTOCOLS:
            raise ConfigError(
                f"security protocol {self.security_protocol!r} is not one of "
                + ", ".join(PROTOCOLS)
            )
        if self.sasl and self.sasl_mechanism not in MECHANISMS:
            raise ConfigError(
                f"SASL mechanism {self.sasl_mechanism!r} is not one of " + ", ".join(MECHANISMS)
            )
        if self.sasl and (not self.sasl_username or self.sasl_password is None):
            raise ConfigError(
                f"{self.security_protocol} needs --sasl-username and a password "
                "(CXKPI_SASL_PASSWORD)"
            )
        for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            path = getattr(self, name)
            if path and not os.path.isfile(path):
                raise ConfigError(f"--{name.replace('_', '-')} {path!r}: no such file")

    @property
    def sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    def describe(self) -> str:
        """For logs and errors: addresses and protocol, never the password."""
        text = ",".join(self.bootstrap)
        if self.security_protocol != "PLAINTEXT":
            text += f" ({self.security_protocol}"
            text += f", {self.sasl_mechanism} as {self.sasl_username})" if self.sasl else ")"
        return text

    def ssl_context(self) -> Any:
        if not self.tls:
            return None
        from aiokafka.helpers import create_ssl_context

        return create_ssl_context(
            cafile=self.ssl_cafile, certfile=self.ssl_certfile, keyfile=self.ssl_keyfile
        )

    def aiokafka_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``AIOKafkaProducer`` / ``AIOKafkaConsumer`` / admin."""
        kwargs: dict[str, Any] = {
            "bootstrap_servers": list(self.bootstrap),
            "security_protocol": self.security_protocol,
        }
        if self.tls:
            kwargs["ssl_context"] = self.ssl_context()
        if self.sasl:
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            kwargs["sasl_plain_username"] = self.sasl_username
            kwargs["sasl_plain_password"] = self.sasl_password
        return kwargs

    def faust_kwargs(self, scheme: str = "kafka") -> dict[str, Any]:
        """``broker`` and ``broker_credentials`` settings for ``faust.App``.

        ``scheme`` picks the Faust transport: the worker passes its own (``cxkpi``).
        """
        kwargs: dict[str, Any] = {"broker": [f"{scheme}://{a}" for a in self.bootstrap]}
        if self.sasl:
            from faust import SASLCredentials

            kwargs["broker_credentials"] = SASLCredentials(
                username=self.sasl_username,
                password=self.sasl_password,
                mechanism=self.sasl_mechanism,
                ssl_context=self.ssl_context(),  # None → SASL_PLAINTEXT
            )
        elif self.tls:
            from faust import SSLCredentials

            kwargs["broker_credentials"] = SSLCredentials(self.ssl_context())
        return kwargs


def settings_from_flags(
    flags: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> KafkaSettings:
    """Flags (by option name, None: not given) over environment over defaults.

    ConfigError on a bad value. The CLI's parser (``cli/args.py``) supplies the flags.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for dest, variable in OPTIONS:
        value = flags.get(dest)
        if value is None:
            value = environ.get(variable) or None
        if value is not None:
            values[dest] = value
    broker = values.pop("broker", DEFAULT_BROKER)
    values["bootstrap"] = tuple(a.strip() for a in broker.split(",") if a.strip())
    for key in ("security_protocol", "sasl_mechanism"):
        if key in values:
            values[key] = values[key].upper()
    return KafkaSettings(**values)
