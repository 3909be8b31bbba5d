"""The whole center on every worker's wallboard: the other workers are asked for theirs.

Each worker owns some queues (their partitions). ``/api/wallboard`` asks every other
member of the consumer group for its own part (``/api/wallboard?local=1``) at the web
address Faust's partition assignor advertises for it (``app.router.tables_metadata()``,
the map Faust's own request routing uses: no registry of ours), and merges the parts
(``export.wallboard.merge_wallboards``). ``/metrics`` stays per worker: Prometheus
sums.

A worker that does not answer within ``TIMEOUT_S`` is named in ``workers.missing``
and its queues are absent, which the page says; the board never waits for long on
one. The browser's ``Authorization`` header is passed on, so with a web config file
(every worker of a group shares it) the same password opens every part.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import orjson

from ..export.wallboard import merge_wallboards

TIMEOUT_S = 2.0


async def gather_wallboard(
    local: bytes, peers: list[str], authorization: str | None = None
) -> dict[str, Any]:
    """This worker's board (``local``, its JSON) merged with the ``peers``' boards."""
    parts = [orjson.loads(local)]
    missing: list[str] = []
    if peers:
        headers = {"Authorization": authorization} if authorization else {}
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
            answers = await asyncio.gather(*(_ask(session, url) for url in peers))
        for url, answer in zip(peers, answers, strict=True):
            if answer is None:
                missing.append(url)
            else:
                parts.append(answer)
    board = merge_wallboards(parts)
    board["workers"] = {"asked": len(peers) + 1, "answered": len(parts), "missing": missing}
    return board


async def _ask(session: aiohttp.ClientSession, url: str) -> dict[str, Any] | None:
    try:
        async with session.get(f"{url.rstrip('/')}/api/wallboard", params={"local": "1"}) as got:
            if got.status != 200:
                return None
            return orjson.loads(await got.read())
    except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError):
        return None
