"""The shared world of one run: settings, clock, random streams, ids and the outbox.

Each part of the model draws from its own named random stream. Changing how tickets
unfold then leaves the calls of the same seed untouched, which keeps example files and
test expectations stable while the model evolves.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Sequence
from typing import Any, TypeVar

from .builder import EventBuilder, Record
from .scheduler import Scheduler
from .settings import SimSettings, queue_names, queue_weights

T = TypeVar("T")


class World:
    """Everything the model parts share; ``emit`` stamps events with the current time."""

    def __init__(self, settings: SimSettings, start_ms: int) -> None:
        self.settings = settings
        self.behaviour = settings.behaviour
        self.start_ms = start_ms
        end = settings.end_offset_ms
        self.sched = Scheduler(start_ms, None if end is None else start_ms + end)
        self._seed = f"{settings.seed}:{start_ms}"
        self._rngs: dict[str, random.Random] = {}
        self.builder = EventBuilder(self.rng("ids"))
        #: Six hex digits naming this run inside entity ids, so runs never share an id.
        self.run_tag = f"{zlib.crc32(self._seed.encode()):08x}"[:6]
        self.queues = queue_names(settings.queues)
        self.weights = queue_weights(self.queues)
        self.outbox: list[Record] = []
        self._counters: dict[str, int] = {}

    def rng(self, stream: str) -> random.Random:
        """The random stream of one model part, seeded from seed, start and name."""
        if stream not in self._rngs:
            self._rngs[stream] = random.Random(f"{self._seed}:{stream}")
        return self._rngs[stream]

    def next_id(self, kind: str) -> str:
        """A new entity id such as ``call-1a2b3c-000042``."""
        n = self._counters.get(kind, 0) + 1
        self._counters[kind] = n
        return f"{kind}-{self.run_tag}-{n:06d}"

    def emit(self, type_: str, data: dict[str, Any]) -> None:
        """Emit an event that happens now."""
        self.outbox.append(self.builder.build(type_, self.sched.now, data))

    def pick_queue(self, rng: random.Random, other_than: str | None = None) -> str:
        """A queue drawn by volume weight, optionally excluding one."""
        pairs = [(q, w) for q, w in zip(self.queues, self.weights, strict=True) if q != other_than]
        if not pairs:
            return self.queues[0]
        names, weights = zip(*pairs, strict=True)
        return rng.choices(names, weights)[0]


def lognormal_ms(rng: random.Random, median_s: float, sigma: float) -> int:
    """A lognormal duration in ms given its median in seconds (the mean is higher)."""
    return round(rng.lognormvariate(math.log(median_s), sigma) * 1000)


def uniform_ms(rng: random.Random, bounds: tuple[float, float]) -> int:
    """A uniform duration in ms between two bounds in seconds."""
    return round(rng.uniform(*bounds) * 1000)


def choose(rng: random.Random, options: Sequence[T], weights: Sequence[float]) -> T:
    """One option drawn by weight."""
    return rng.choices(options, weights)[0]
