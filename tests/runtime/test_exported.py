"""The exported view kept between scrapes equals one built afresh from the table."""

from __future__ import annotations

import random

from tables import Table

from stream.core.live import AgentPresence, Waiting
from stream.runtime.state import Exported, TableState
from stream.runtime.values import LIVE, HeldLive, HeldSlice


def view(exported: Exported) -> tuple[list[str], dict[str, tuple]]:
    live = {k: d for s in exported.live.values() for k, d in s.entries.items()}
    return dict(exported.routes), live


def test_updates_keep_the_view_equal_to_a_fresh_one():
    rnd = random.Random(7)
    slices = TableState(Table())
    owned = {0, 1}
    kept = Exported(slices, owned)
    for _ in range(2_000):
        number = rnd.randrange(6)
        queue, partition = f"q{number}", number % 3  # a route lives in one partition
        if rnd.random() < 0.3:
            route = f"q:{queue}"
            value = HeldSlice(partition, f"slice {rnd.random()}")
            slices.put(route, value)
            kept.put_route(route, value)
            continue
        key = f"{LIVE}q:{queue}/contact/c{rnd.randrange(50)}"
        if rnd.random() < 0.3:
            slices.delete(key, partition)
            kept.put_live(key, partition, None)
        else:
            descriptor = rnd.choice(
                [Waiting(queue, "voice", 1), AgentPresence("available", (queue,), None, 2)]
            )
            slices.put(key, HeldLive(partition, descriptor))
            kept.put_live(key, partition, descriptor)
    routes, live = view(kept)
    fresh_routes, fresh_live = view(Exported(slices, owned))
    assert routes == fresh_routes and live == fresh_live
