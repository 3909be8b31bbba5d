"""Both stages in one process: what ``cxkpi replay`` and the benchmarks run.

``Engine`` keeps stage-1 records and stage-2 slices in dicts and hands outputs
straight from one stage to the other, in order. A worker runs the very same
``EntityStage`` and ``QueueStage`` with its state in Faust tables and the outputs going
through a Kafka topic, so live and replay agree for the same events. The engine reads
no clock: every ingest takes the clock it judges lateness by (the replayed stream's own
progress), and ``families`` takes the evaluation time.
"""

from __future__ import annotations

from collections.abc import Iterable

from .config import Config
from .decode import Decoder
from .entity import Record
from .evaluate import Family, evaluate
from .events import Event, Invalid
from .health import Health
from .stages import (
    HEALTH,
    INVALID,
    EntityStage,
    Output,
    QueueStage,
    Slice,
    empty_slice,
    invalid_output,
    union,
)

#: Replay numbers outputs like a worker: events as one source, FCR outputs derived
#: by customer routes as another (a worker's facts topic), each counting its own offsets.
EVENTS, DERIVED = "replay", "replay/derived"


class Engine:
    def __init__(self, config: Config | None = None) -> None:
        self.config = config = config or Config()
        self.decoder = Decoder(config.limits)
        self.entities = EntityStage(config)
        self.queues = QueueStage(config)
        self.records: dict[str, Record] = {}
        self.slices: dict[str, Slice] = {}
        self.live: dict[tuple[str, str], tuple] = {}  # (route, entity ref) → descriptor
        self._offsets = {EVENTS: 0, DERIVED: 0}

    def ingest(self, raw: bytes, clock_ms: int, topic: str | None = None) -> Event | Invalid:
        """Decode, validate and apply one message. Invalid messages are counted."""
        decoded = self.decoder.decode(raw, topic)
        if isinstance(decoded, Invalid):
            self.count_invalid(decoded, topic)
            return decoded
        self.apply(decoded, clock_ms)
        return decoded

    def count_invalid(self, invalid: Invalid, topic: str | None = None) -> str:
        self._route([invalid_output(invalid.topic or topic or "unknown", invalid.reason)], 0)
        return INVALID

    @property
    def health(self) -> Health:
        held = self.slices.get(HEALTH)
        return held.health if held is not None and held.health is not None else Health()

    def apply(self, event: Event, clock_ms: int) -> str:
        """Apply one decoded event as of ``clock_ms``; returns what happened to it."""
        ref = self.entities.ref(event)
        step = self.entities.step(event, self.records.get(ref), clock_ms)
        if step.record is not None:
            self.records[ref] = step.record
        self._route(step.outputs, clock_ms)
        return step.outcome

    def _route(self, outputs: list[Output], clock_ms: int, source: str = EVENTS) -> None:
        offset = self._offsets[source] = self._offsets[source] + 1
        for ordinal, (route, fact) in enumerate(outputs):
            slice_ = self.slices.get(route) or empty_slice()
            folded = self.queues.apply(
                route, slice_, (((source, offset, ordinal), fact),), clock_ms
            )
            self.slices[route] = folded.slice
            for ref, descriptor in folded.live:
                if descriptor is None:
                    self.live.pop((route, ref), None)
                else:
                    self.live[(route, ref)] = descriptor
            if folded.derived:
                self._route(folded.derived, clock_ms, DERIVED)

    def prune(self, clock_ms: int) -> None:
        """Drop what can no longer change any window; compact what can't be reordered.

        Safe to call at any time and as often as wanted: it never changes a result.
        """
        for ref, record in list(self.records.items()):
            kept, outputs = self.entities.expire(ref, record, clock_ms)
            if kept is None:
                del self.records[ref]
            else:
                self.records[ref] = kept
            self._route(outputs, clock_ms)
        for route, slice_ in list(self.slices.items()):
            kept_slice = self.queues.prune(slice_, clock_ms)
            if kept_slice is None:
                del self.slices[route]
            else:
                self.slices[route] = kept_slice

    def families(self, at_ms: int) -> list[Family]:
        return evaluate_slices(self.queues, self.slices.values(), list(self.live.values()), at_ms)


def evaluate_slices(
    queues: QueueStage, slices: Iterable[Slice], live: list[tuple], at_ms: int
) -> list[Family]:
    """Every KPI family over some slices and live descriptors (all, or a worker's own)."""
    aggregates = queues.aggregates
    aggregates.series, health = union(slices)
    return evaluate(aggregates, live, health, queues.config, at_ms)
