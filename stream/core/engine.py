"""Both stages in one process: what ``cxkpi replay`` and the benchmarks run.

``Engine`` keeps stage-1 records and stage-2 slices in dicts and hands outputs
straight from one stage to the other, in order and each once, so it folds them without
the ids and marks a worker needs to count an output it reads twice only once
(``QueueStage.fold``). A worker runs the very same
``EntityStage`` and ``QueueStage`` with its state in Faust tables and the outputs going
through a Kafka topic, so live and replay agree for the same events. The engine reads
no clock: every ingest takes the clock it judges lateness by (the replayed stream's own
progress), and ``families`` takes the evaluation time.
"""

from __future__ import annotations

from collections.abc import Iterable

from .agents_view import agents_view, merge_agents
from .config import Config
from .decode import Decoder
from .entity import Record
from .evaluate import Evaluation, Evaluator, Family, sparklines
from .events import Event, Invalid
from .gauges import LiveSet
from .health import Health
from .stages import (
    CUSTOMER,
    HEALTH,
    INVALID,
    EntityStage,
    Output,
    QueueStage,
    Slice,
    Tally,
    empty_slice,
    union,
)

#: The source replay's pipeline counts name: every message is one offset of it.
EVENTS = "replay"


class Engine:
    def __init__(self, config: Config | None = None) -> None:
        self.config = config = config or Config()
        self.decoder = Decoder(config.limits)
        self.entities = EntityStage(config)
        self.queues = QueueStage(config)
        self.records: dict[str, Record] = {}
        self.caps = self.entities.caps()  # replay is one source
        self.slices: dict[str, Slice] = {}
        #: The routes an evaluation reads (all but customers'), in the slices' order:
        #: walking every customer's route per evaluation would cost more than evaluating.
        self._evaluated_routes: dict[str, None] = {}
        self.live: dict[str, LiveSet] = {}  # route → its entities' live descriptors
        self.evaluator = Evaluator(self.queues.aggregates, config)
        self._offset = 0  # of the last message counted (the pipeline counts' marks)

    def ingest(self, raw: bytes, clock_ms: int, topic: str | None = None) -> Event | Invalid:
        """Decode, validate and apply one message: a batch of one."""
        return self.ingest_batch([(raw, clock_ms)], topic)[0]

    def ingest_batch(
        self, messages: Iterable[tuple[bytes, int]], topic: str | None = None
    ) -> list[Event | Invalid]:
        """Decode, validate and apply ``(raw, clock)`` messages in arrival order.

        Invalid messages are counted. See ``apply_batch`` for what a batch shares.
        """
        decode = self.decoder.decode
        decoded = [(decode(raw, topic), clock_ms) for raw, clock_ms in messages]
        self.apply_batch(decoded, topic)
        return [item for item, _ in decoded]

    def count_invalid(self, invalid: Invalid, topic: str | None = None) -> str:
        return self.apply_batch([(invalid, 0)], topic)[0]

    @property
    def health(self) -> Health:
        held = self.slices.get(HEALTH)
        return held.health if held is not None and held.health is not None else Health()

    def apply(self, event: Event, clock_ms: int) -> str:
        """Apply one decoded event as of ``clock_ms``; returns what happened to it."""
        return self.apply_batch([(event, clock_ms)])[0]

    def apply_batch(
        self, batch: Iterable[tuple[Event | Invalid, int]], topic: str | None = None
    ) -> list[str]:
        """Apply decoded events (or invalid messages), each judged by its own clock.

        Stage 1 takes them one by one, in order. Their outputs are then grouped by route,
        so stage 2 touches each route once per batch, as a worker's stage 2 does once
        per facts message: a batch changes how often the slices are visited, not what
        they hold. Stage 2 keeps buckets by the newest clock of the batch, which only
        drops what no evaluation at or after that clock can see.
        """
        stage, records = self.entities, self.records
        grouped: dict[str, list] = {}
        outcomes: list[str] = []
        tally = Tally()
        offset = self._offset
        clock = 0
        for event, clock_ms in batch:
            offset += 1
            if isinstance(event, Invalid):
                tally.invalid(offset, event.topic or topic or "unknown", event.reason)
                outcomes.append(INVALID)
                continue
            if clock_ms > clock:
                clock = clock_ms
            ref = stage.ref(event)
            self.caps.admit(event)
            outcome, record, outputs = stage.step(event, ref, records.get(ref), clock_ms, self.caps)
            if record is not None:
                records[ref] = record
            tally.event(offset, event, outcome)
            _group(grouped, outputs)
            outcomes.append(outcome)
        self._offset = offset
        counted = tally.output(EVENTS)
        if counted is not None:
            route, ident, fact = counted
            grouped[route] = [(ident, fact)]  # counted once per offset, as a worker's
        self._fold(grouped, clock)
        return outcomes

    def _fold(self, grouped: dict[str, list], clock_ms: int) -> None:
        """Stage 2: each route's outputs into its slice; derived FCR outputs after them.

        Outputs go as they are (``QueueStage.fold``), each once; the pipeline counts with
        their ids, which say how far each source was counted (``QueueStage.apply``)."""
        derived: dict[str, list] = {}
        slices, live, fold = self.slices, self.live, self.queues.fold
        for route, items in grouped.items():
            held = slices.get(route)
            new = held is None
            if new:
                held = empty_slice()
            if route == HEALTH:
                folded = self.queues.apply(route, held, items, clock_ms)
            else:
                folded = fold(route, held, items, clock_ms)
            kept, more, changes = folded
            if kept is not held:
                slices[route] = kept
                if new and not route.startswith(CUSTOMER):
                    self._evaluated_routes[route] = None
            if changes:
                live_set = live.get(route)
                if live_set is None:
                    live_set = live[route] = LiveSet()
                for ref, descriptor in changes:
                    live_set.put(ref, descriptor)
                if not live_set.entries:
                    del live[route]
            _group(derived, more)
        if derived:
            self._fold(derived, clock_ms)

    def prune(self, clock_ms: int) -> None:
        """Drop what can no longer change any window; compact what can't be reordered.

        Safe to call at any time and as often as wanted: it never changes a result.
        """
        removals: dict[str, list] = {}
        for ref, record in list(self.records.items()):
            kept, outputs = self.entities.expire(ref, record, clock_ms)
            if kept is None:
                del self.records[ref]
            else:
                self.records[ref] = kept
            _group(removals, outputs)
        self._fold(removals, clock_ms)
        for route, slice_ in list(self.slices.items()):
            kept_slice = self.queues.prune(slice_, clock_ms)
            if kept_slice is None:
                del self.slices[route]
                self._evaluated_routes.pop(route, None)
            else:
                self.slices[route] = kept_slice

    def families(self, at_ms: int) -> list[Family]:
        return self.evaluation(at_ms).families()

    def evaluation(self, at_ms: int) -> Evaluation:
        """``families`` in steps (``evaluate.Evaluation``)."""
        return begin_evaluation(self.evaluator, self._evaluated(), self.live.values(), at_ms)

    def sparklines(self, at_ms: int) -> dict[tuple[str, str], list[float | None]]:
        return sparklines(union(self._evaluated())[0], self.config, at_ms)

    def agents_view(self, at_ms: int) -> list[dict]:
        series = union(self._evaluated())[0]
        days = self.queues.aggregates.days
        return merge_agents([agents_view(series, self.live.values(), days, at_ms)])

    def _evaluated(self) -> list[Slice]:
        """The slices an evaluation reads: a customer's holds its FCR history only."""
        return [self.slices[route] for route in self._evaluated_routes]


def _group(grouped: dict[str, list], outputs: list[Output]) -> None:
    """Add ``(route, fact)`` outputs to their routes' lists, in order."""
    for route, fact in outputs:
        facts = grouped.get(route)
        if facts is None:
            grouped[route] = [fact]
        else:
            facts.append(fact)


def begin_evaluation(
    evaluator: Evaluator, slices: Iterable[Slice], live: Iterable[LiveSet], at_ms: int
) -> Evaluation:
    """The KPI families over some slices and live sets (all, or a worker's own), as an
    evaluation whose searches may still run in steps (``evaluate.Evaluation``)."""
    series, health = union(slices)
    return evaluator.begin(series, live, health, at_ms)
