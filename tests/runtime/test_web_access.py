"""--web-config-file: the exporter-toolkit's format read with its meaning, and the
middleware that asks for a password everywhere but /healthz."""

from __future__ import annotations

import base64
import ssl
from pathlib import Path

import bcrypt
import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from certificates import self_signed

from stream.core.errors import ConfigError
from stream.runtime import web_access
from stream.runtime.web_access import WebAccess, load_web_config

HASH = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4)).decode()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def written(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "web.yml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_an_empty_file_changes_nothing(tmp_path):
    access = load_web_config(written(tmp_path, {}))
    assert access.ssl_context is None and not access.needs_password


def test_tls_paths_are_relative_to_the_file_and_tls12_is_the_minimum(tmp_path):
    (tmp_path / "certs").mkdir()
    self_signed(tmp_path / "certs")
    config = {
        "tls_server_config": {"cert_file": "certs/server.crt", "key_file": "certs/server.key"}
    }
    access = load_web_config(written(tmp_path, config))
    assert isinstance(access.ssl_context, ssl.SSLContext)
    assert access.ssl_context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert access.ssl_context.verify_mode == ssl.CERT_NONE


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"basic_auth_user": {}}, "unknown key 'basic_auth_user'"),
        ({"tls_server_config": {"cert_file": "x.crt"}}, "missing key_file"),
        ({"tls_server_config": {"key_file": "x.key"}}, "missing cert_file"),
        ({"tls_server_config": {"certfile": "x"}}, "unknown key 'certfile'"),
        ({"tls_server_config": {"cipher_suites": ["TLS_AES_128_GCM_SHA256"]}}, "cipher_suites"),
        ({"basic_auth_users": {"alice": "plain"}}, "basic_auth_users.alice: not a bcrypt hash"),
        ({"basic_auth_users": ["alice"]}, "basic_auth_users: must be a mapping"),
        ({"http_server_config": {"headers": {"Server": "x"}}}, "'Server' cannot be set"),
        ({"http_server_config": {"http2": "yes"}}, "http2 must be true or false"),
    ],
)
def test_bad_files_are_refused_with_the_key_named(tmp_path, document, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_web_config(written(tmp_path, document))


@pytest.mark.parametrize(
    ("tls", "message"),
    [
        ({"client_auth_type": "RequestClientCert"}, "not supported by cxkpi"),
        ({"client_auth_type": "Maybe"}, "'Maybe' is not one of"),
        ({"client_auth_type": "RequireAndVerifyClientCert"}, "needs client_ca_file"),
        ({"min_version": "TLS14"}, "min_version: 'TLS14' is not one of"),
    ],
)
def test_tls_settings_that_cannot_mean_the_toolkits_are_refused(tmp_path, tls, message):
    self_signed(tmp_path)
    tls = {"cert_file": "server.crt", "key_file": "server.key", **tls}
    with pytest.raises(ConfigError, match=message):
        load_web_config(written(tmp_path, {"tls_server_config": tls}))


def test_client_certificates_are_verified_against_the_ca(tmp_path):
    cert, _ = self_signed(tmp_path)
    tls = {"cert_file": "server.crt", "key_file": "server.key", "client_ca_file": cert.name}
    tls["client_auth_type"] = "RequireAndVerifyClientCert"
    access = load_web_config(written(tmp_path, {"tls_server_config": tls}))
    assert access.ssl_context is not None
    assert access.ssl_context.verify_mode == ssl.CERT_REQUIRED


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="No such file"):
        load_web_config(tmp_path / "absent.yml")


async def test_passwords_are_checked_once_and_unknown_users_cost_the_same(monkeypatch):
    calls: list[bytes] = []
    real = web_access._checkpw

    def counting(password: bytes, hashed: bytes) -> bool:
        calls.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(web_access, "_checkpw", counting)
    access = WebAccess(users={"alice": HASH.encode()})
    assert await access.allowed(basic("alice", "s3cret"))
    assert await access.allowed(basic("alice", "s3cret"))
    assert len(calls) == 1  # the second time from the cache
    assert not await access.allowed(basic("alice", "wrong"))
    assert not await access.allowed(basic("mallory", "s3cret"))
    assert calls[-1] == web_access.DUMMY_HASH  # a bcrypt check all the same
    for header in (None, "", "Bearer x", "Basic !!!", "Basic " + base64.b64encode(b"x").decode()):
        assert not await access.allowed(header)


def test_hashes_of_htpasswd_2y_are_accepted():
    hashed = HASH.replace("$2b$", "$2y$", 1).encode()
    assert web_access._checkpw(b"s3cret", hashed)


async def test_the_middleware_guards_everything_but_healthz():
    headers = {"X-Frame-Options": "DENY"}
    access = WebAccess(users={"alice": HASH.encode()}, headers=headers)
    app = web.Application(middlewares=[access.middleware()])

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    for path in ("/metrics", "/healthz", "/readyz"):
        app.router.add_get(path, ok)
    async with TestClient(TestServer(app)) as client:
        refused = await client.get("/metrics")
        assert refused.status == 401
        assert refused.headers["WWW-Authenticate"].startswith("Basic")
        assert refused.headers["X-Frame-Options"] == "DENY"
        assert (
            await client.get("/readyz", headers={"Authorization": basic("alice", "no")})
        ).status == 401
        assert (await client.get("/nowhere")).status == 401  # no probing for paths either
        good = await client.get("/metrics", headers={"Authorization": basic("alice", "s3cret")})
        assert good.status == 200 and await good.text() == "ok"
        assert good.headers["X-Frame-Options"] == "DENY"
        open_ = await client.get("/healthz")
        assert open_.status == 200
