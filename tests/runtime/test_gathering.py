"""Gathering the whole center's wallboard from the other workers over HTTP (real aiohttp
servers standing in for them): their parts are merged, one that does not answer is
named, and the browser's password is passed on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
import pytest
from aiohttp import web
from helpers import call, ms

from stream.core.replay import replay
from stream.export.wallboard import wallboard_data
from stream.runtime.broker import free_port
from stream.runtime.gathering import gather_wallboard

AT = ms(120)


def board(lines: list[bytes]) -> dict:
    return wallboard_data(replay(lines, at_ms=AT).families(), AT)


SALES = [call("queued", 0, "c1", queue="sales"), call("answered", 5, "c1", agent_id="a1")]
SUPPORT = [call("queued", 30, "c2", queue="support")]


@pytest.fixture
async def peer() -> AsyncIterator[tuple[str, list]]:
    """A worker owning the support queue; it records the Authorization it was sent."""
    seen: list = []

    async def part(request: web.Request) -> web.Response:
        seen.append((request.query.get("local"), request.headers.get("Authorization")))
        return web.Response(body=orjson.dumps(board(SUPPORT)), content_type="application/json")

    app = web.Application()
    app.router.add_get("/api/wallboard", part)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


async def test_the_other_workers_parts_are_merged(peer):
    url, seen = peer
    gathered = await gather_wallboard(orjson.dumps(board(SALES)), [url], "Basic dHY6cHc=")
    assert {t["queue"] for t in gathered["tiles"]} == {"sales", "support"}
    assert gathered["totals"]["offered_today"] == 2
    assert gathered["workers"] == {"asked": 2, "answered": 2, "missing": []}
    assert seen == [("1", "Basic dHY6cHc=")]  # its own part only, with the password


async def test_a_worker_that_does_not_answer_is_named_and_the_rest_is_shown(peer):
    url, _ = peer
    dead = f"http://127.0.0.1:{free_port()}"
    gathered = await gather_wallboard(orjson.dumps(board(SALES)), [url, dead])
    assert gathered["workers"] == {"asked": 3, "answered": 2, "missing": [dead]}
    assert {t["queue"] for t in gathered["tiles"]} == {"sales", "support"}


async def test_alone_a_worker_shows_its_own_board():
    alone = await gather_wallboard(orjson.dumps(board(SALES)), [])
    assert alone["tiles"] == board(SALES)["tiles"]
    assert alone["workers"] == {"asked": 1, "answered": 1, "missing": []}
