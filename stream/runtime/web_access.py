"""TLS and basic auth for the worker's HTTP endpoints, configured the way Prometheus'
exporters are: a ``--web-config-file`` in the format of the exporter-toolkit
(https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md).

Operators already write this file for node_exporter and Prometheus itself, so cxkpi
reads the same keys with the same meaning:

- ``tls_server_config``: ``cert_file`` and ``key_file`` (both or neither; relative
  paths are relative to the file's directory), ``client_auth_type`` and
  ``client_ca_file`` for client certificates, ``min_version`` / ``max_version``
  (``TLS10`` .. ``TLS13``, default minimum ``TLS12``), ``prefer_server_cipher_suites``.
- ``http_server_config``: ``headers`` (the toolkit's security headers, added to every
  response) and ``http2`` (accepted; aiohttp speaks HTTP/1.1, which every client takes).
- ``basic_auth_users``: user name → bcrypt hash.

Unknown keys are refused, as the toolkit's strict YAML reading refuses them. Three of
the toolkit's keys cannot mean the same in Python's ``ssl`` (Go's cipher-suite and curve
names, and client certificates requested but not verified); they are refused with a
reason instead of being half honoured.

Checking a bcrypt hash costs tens of milliseconds by design, and the worker's event
loop also ingests, so checks run in a thread and a good (user, password) pair is
remembered, as the toolkit does, keyed by a SHA-256 of both. Unknown users are checked
against a fixed hash so that the response time does not tell which users exist.
``/healthz`` stays open for liveness probes (and TLS still applies to it).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import ConfigError

__all__ = ["OPEN_PATHS", "WebAccess", "load_web_config"]

#: Paths served without a password: a liveness probe must not need a secret.
OPEN_PATHS = frozenset({"/healthz"})

TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}
#: client_auth_type → how Python's ssl verifies; None: Go-only, refused.
CLIENT_AUTH = {
    "NoClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
    "RequestClientCert": None,
    "RequireAnyClientCert": None,
}
#: The response headers the toolkit lets a web config set (others are refused there).
HEADERS = frozenset(
    {
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "X-XSS-Protection",
        "Content-Security-Policy",
    }
)
TLS_KEYS = frozenset(
    {
        "cert_file",
        "key_file",
        "client_auth_type",
        "client_ca_file",
        "min_version",
        "max_version",
        "prefer_server_cipher_suites",
        "cipher_suites",
        "curve_preferences",
        "client_allowed_sans",
    }
)
UNSUPPORTED_TLS = {
    "cipher_suites": "Go's cipher-suite names have no exact OpenSSL equivalent; "
    "cxkpi keeps OpenSSL's defaults (use min_version to exclude old protocols)",
    "curve_preferences": "Go's curve names have no exact OpenSSL equivalent",
    "client_allowed_sans": "not supported by cxkpi; verify clients with client_ca_file",
}
#: A bcrypt hash that no password matches in practice, for users that do not exist.
DUMMY_HASH = b"$2b$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"
CACHE_LIMIT = 1024


@dataclass(slots=True)
class WebAccess:
    """What a web config file asks for: an SSL context, users, extra headers."""

    ssl_context: ssl.SSLContext | None = None
    users: dict[str, bytes] = field(default_factory=dict)  # name → bcrypt hash
    headers: dict[str, str] = field(default_factory=dict)
    _good: set[bytes] = field(default_factory=set)  # SHA-256 of pairs that matched

    @property
    def needs_password(self) -> bool:
        return bool(self.users)

    async def allowed(self, authorization: str | None) -> bool:
        """Whether an ``Authorization`` header carries a configured user's password."""
        credentials = _basic(authorization)
        if credentials is None:
            return False
        user, password = credentials
        hashed = self.users.get(user)
        key = hashlib.sha256(b"\0".join((user.encode(), hashed or b"", password))).digest()
        if hashed is not None and key in self._good:
            return True
        ok = await asyncio.get_running_loop().run_in_executor(
            None, _checkpw, password, hashed or DUMMY_HASH
        )
        if ok and hashed is not None:
            if len(self._good) >= CACHE_LIMIT:
                self._good.clear()
            self._good.add(key)
            return True
        return False

    def middleware(self) -> Callable[..., Awaitable[Any]]:
        """An aiohttp middleware: a password on every path but ``OPEN_PATHS``, and the
        configured headers on every response."""
        from aiohttp import web

        @web.middleware
        async def access(request: web.Request, handler: Callable[..., Awaitable[Any]]) -> Any:
            guarded = self.needs_password and request.path not in OPEN_PATHS
            if guarded and not await self.allowed(request.headers.get("Authorization")):
                response: Any = web.Response(
                    status=401,
                    text="401 Unauthorized: this cxkpi worker needs a user and password\n",
                    headers={"WWW-Authenticate": 'Basic realm="cxkpi"'},
                )
            else:
                response = await handler(request)
            response.headers.update(self.headers)
            return response

        return access


def load_web_config(path: Path) -> WebAccess:
    """Read and check a web config file; a ``ConfigError`` names what is wrong."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"web config {path}: {exc.strerror}") from None
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"web config {path}: not YAML: {exc}") from None
    where = f"web config {path}"
    _only(document, {"tls_server_config", "http_server_config", "basic_auth_users"}, where)
    access = WebAccess()
    tls = document.get("tls_server_config") or {}
    _only(tls, TLS_KEYS, f"{where}: tls_server_config")
    if tls:
        access.ssl_context = _ssl_context(tls, path.parent, f"{where}: tls_server_config")
    http = document.get("http_server_config") or {}
    _only(http, {"http2", "headers"}, f"{where}: http_server_config")
    if not isinstance(http.get("http2", True), bool):
        raise ConfigError(f"{where}: http_server_config.http2 must be true or false")
    headers = http.get("headers") or {}
    _mapping(headers, f"{where}: http_server_config.headers")
    for name, value in headers.items():
        if name not in HEADERS:
            raise ConfigError(
                f"{where}: http_server_config.headers: {name!r} cannot be set "
                f"(the exporter-toolkit allows {', '.join(sorted(HEADERS))})"
            )
        access.headers[name] = str(value)
    users = document.get("basic_auth_users") or {}
    _mapping(users, f"{where}: basic_auth_users")
    for user, hashed in users.items():
        if not isinstance(hashed, str) or not hashed.startswith(("$2a$", "$2b$", "$2y$")):
            raise ConfigError(
                f"{where}: basic_auth_users.{user}: not a bcrypt hash "
                "(make one with: htpasswd -nBC 10 '' | tr -d ':\\n')"
            )
        access.users[str(user)] = hashed.encode()
    return access


def _ssl_context(tls: Mapping[str, Any], directory: Path, where: str) -> ssl.SSLContext | None:
    for key, why in UNSUPPORTED_TLS.items():
        if tls.get(key):
            raise ConfigError(f"{where}.{key}: {why}")
    cert, key = tls.get("cert_file"), tls.get("key_file")
    if not cert and not key:
        return None  # the toolkit serves plain HTTP then
    if not cert or not key:
        raise ConfigError(f"{where}: missing {'cert_file' if not cert else 'key_file'}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = _version(tls.get("min_version", "TLS12"), f"{where}.min_version")
    if "max_version" in tls:
        context.maximum_version = _version(tls["max_version"], f"{where}.max_version")
    if tls.get("prefer_server_cipher_suites", True):
        context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    try:
        context.load_cert_chain(directory / cert, directory / key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"{where}: cannot load {cert} / {key}: {exc}") from None
    auth = tls.get("client_auth_type", "NoClientCert")
    if auth not in CLIENT_AUTH:
        raise ConfigError(f"{where}.client_auth_type: {auth!r} is not one of {sorted(CLIENT_AUTH)}")
    mode = CLIENT_AUTH[auth]
    if mode is None:
        raise ConfigError(
            f"{where}.client_auth_type: {auth} (client certificates taken without "
            "verification) is not supported by cxkpi; use VerifyClientCertIfGiven or "
            "RequireAndVerifyClientCert with client_ca_file"
        )
    ca = tls.get("client_ca_file")
    if mode != ssl.CERT_NONE:
        if not ca:
            raise ConfigError(f"{where}: client_auth_type {auth} needs client_ca_file")
        try:
            context.load_verify_locations(directory / ca)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"{where}: cannot load client_ca_file {ca}: {exc}") from None
    context.verify_mode = mode
    return context


def _version(name: Any, where: str) -> ssl.TLSVersion:
    if name not in TLS_VERSIONS:
        raise ConfigError(f"{where}: {name!r} is not one of {', '.join(TLS_VERSIONS)}")
    return TLS_VERSIONS[name]


def _only(section: Any, allowed: frozenset[str] | set[str], where: str) -> None:
    _mapping(section, where)
    unknown = sorted(set(section) - set(allowed))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(allowed))})"
        )


def _mapping(section: Any, where: str) -> None:
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: must be a mapping")


def _basic(authorization: str | None) -> tuple[str, bytes] | None:
    """(user, password) of a ``Basic`` authorization header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    user, colon, password = decoded.partition(b":")
    if not colon:
        return None
    return user.decode("utf-8", "replace"), password


def _checkpw(password: bytes, hashed: bytes) -> bool:
    import bcrypt

    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:  # a malformed hash: checked at load for its prefix only
        return False
