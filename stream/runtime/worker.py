"""The live worker: a Faust app running the core's two stages on Kafka.

Stage 1 consumes the five event topics (co-partitioned, keyed by entity id) in
batches, one per poll (``App.batch_agent``, see transport.py); each event goes
through ``EntityStage`` against its record in the ``entities`` table; invalid
messages go to the dead-letter topic. The outputs, grouped
by route (queue, team, customer), go to one internal topic, a message per partition
and batch, each route in the partition its key picks. Stage 2 consumes that topic in
batches and folds outputs into the route's ``Slice`` in the ``slices`` table; FCR
outputs derived by customer routes go back to the same topic, to their queues'
partitions. The KPI logic is all in ``stream.core``; this module moves bytes.

At-least-once, made exact: Kafka redelivers events after a crash or a rebalance (Tansu
and most clusters run without transactions). Per batch the worker sends outputs
(pipeline-health counts included) and dead letters and waits until the broker has
them, then changes its tables in memory; a checkpoint (checkpoint.py) writes the
changes to the changelog, entity records (each with the offset of its last event)
before progress marks, and only then are the offsets committed. A redelivered event is
skipped by the progress mark or its entity's offset; outputs sent again carry the same
ids ``(source partition, offset, ordinal)``, and every slice skips ids it has applied.
The pipeline-health counts go as one tally per source partition and batch, which
names each message's offset: the health route counts only offsets past its mark,
however a source is cut into batches when read again (``stages.Tally``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web as aioweb
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..core.agents_view import agents_view, merge_agents
from ..core.config import Config
from ..core.decode import Decoder
from ..core.engine import begin_evaluation
from ..core.evaluate import Evaluation, Evaluator, sparklines
from ..core.events import DEADLETTER, SOURCE_TOPICS, Invalid
from ..core.live import Descriptor
from ..core.stages import (
    EntityStage,
    QueueStage,
    RouteCaps,
    Slice,
    Tally,
    empty_slice,
    ordinals,
    union,
)
from . import transport
from .checkpoint import checkpoint
from .codec import decode_routes, encode_routes
from .gathering import gather_wallboard
from .gc_tuning import Survivors
from .housekeeping import Walk
from .kafka_probe import reachable
from .kafka_settings import KafkaSettings
from .producer import BrokerUnreachable, ensure_topics
from .serving import Exposition
from .state import Exported, TableState, owned_partitions
from .values import (
    CAPS,
    ENTITIES,
    LIVE,
    PROGRESS,
    ROUTES,
    HeldCaps,
    HeldLive,
    HeldRecord,
    HeldSlice,
    Mark,
)
from .web_access import WebAccess

log = logging.getLogger("cxkpi.worker")
_new = tuple.__new__  # a named tuple without its constructor's overhead, once per event

#: How often the worker probes Kafka, and how often the log repeats that it cannot.
KAFKA_CHECK_S = 5.0
KAFKA_REMIND_S = 30.0
#: A derived output's ordinal: its route's place in the facts message, shifted by this,
#: plus its place among the route's derived outputs (never 2**32 of them).
DERIVED_BITS = 32
#: cx_worker_render_seconds' buckets: fine around the 50 ms a scrape may stall ingestion.
RENDER_BUCKETS_S = (0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0)


@dataclass(frozen=True)
class WorkerSettings:
    kafka: KafkaSettings
    config: Config = field(default_factory=Config)
    app_id: str = "cxkpi"
    topic_prefix: str = ""
    partitions: int = 8
    replication_factor: int = 1
    web_host: str = "127.0.0.1"
    #: How the group's other workers reach this one (None: web_host, or the host name
    #: when web_host binds every address).
    web_advertised_host: str | None = None
    web_port: int = 6066
    store: str = "memory://"
    #: TLS, passwords and headers of the HTTP endpoints (--web-config-file); None: none.
    web_access: WebAccess | None = None
    #: Faust's data directory (table metadata; the RocksDB files with a rocksdb://
    #: store). None: per app id under the user's state directory, never the cwd.
    data_dir: Path | None = None
    session_timeout: float = 10.0
    #: How often changed state goes to the changelog and offsets are committed (seconds).
    commit_interval_s: float = 1.0
    #: How long a fetch may wait on the broker for data (Faust's own driver: 1,500 ms).
    fetch_max_wait_ms: int = 100
    #: /metrics and /wallboard evaluate the KPIs at most this often (seconds).
    render_interval_s: float = 0.25
    #: Messages per poll at most: the latency one batch adds, and the size of its facts
    #: messages (codec.FACTS_PER_MESSAGE splits them under Kafka's 1 MB limit).
    batch: int = 2000
    #: How often state that can change no window any more is dropped (seconds).
    sweep_every_s: float = 60.0
    #: How often a full garbage collection frees cycles among frozen objects (seconds;
    #: 0: never). gc_tuning.py says why the worker freezes at checkpoints.
    gc_full_every_s: float = 600.0
    #: Further Faust settings, e.g. {"producer_max_batch_size": 1} in tests on Tansu;
    #: they override the worker's own.
    faust: dict[str, Any] = field(default_factory=dict)

    @property
    def facts_topic(self) -> str:
        return f"{self.app_id}-facts"

    @property
    def advertised_host(self) -> str:
        if self.web_advertised_host:
            return self.web_advertised_host
        if self.web_host in ("0.0.0.0", "::", ""):
            return socket.gethostname()
        return self.web_host

    @property
    def web_scheme(self) -> str:
        tls = self.web_access is not None and self.web_access.ssl_context is not None
        return "https" if tls else "http"

    @property
    def datadir(self) -> Path:
        return self.data_dir or default_data_dir(self.app_id)


def default_data_dir(app_id: str, environ: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_STATE_HOME/cxkpi/APP_ID`` (``~/.local/state`` without it): Faust's own
    default, ``APP_ID-data`` in the working directory, litters wherever a worker starts."""
    state = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "cxkpi" / app_id


def now_ms() -> int:
    return int(time.time() * 1000)


class Worker:
    """The Faust app, its topics and tables, and the two batch handlers."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = s = settings
        faust_settings: dict[str, Any] = {
            "store": s.store,
            "datadir": str(s.datadir),
            "topic_partitions": s.partitions,
            "topic_replication_factor": s.replication_factor,
            "topic_disable_leader": True,
            "table_standby_replicas": 0,
            "consumer_auto_offset_reset": "earliest",
            "broker_session_timeout": s.session_timeout,
            "broker_heartbeat_interval": min(3.0, s.session_timeout / 3),
            "broker_commit_interval": s.commit_interval_s,
            "consumer_fetch_max_wait_ms": s.fetch_max_wait_ms,
            "broker_max_poll_records": s.batch,
            # A checkpoint writes thousands of records at once: fewer, larger batches.
            "producer_max_batch_size": 256 * 1024,
            "web_enabled": True,
            "web_bind": s.web_host,
            "web_host": s.web_host,
            "web_port": s.web_port,
            # Where the group's other workers reach this one's wallboard part (gathering.py).
            "canonical_url": f"{s.web_scheme}://{s.advertised_host}:{s.web_port}",
        }
        if s.web_access is not None:
            faust_settings["web_ssl_context"] = s.web_access.ssl_context
            faust_settings["web_application_options"] = {"middlewares": [s.web_access.middleware()]}
        self.app = app = transport.App(
            s.app_id, **s.kafka.faust_kwargs(scheme=transport.SCHEME), **faust_settings | s.faust
        )
        raw = {"key_type": bytes, "value_type": bytes}
        raw_codecs = {"key_serializer": "raw", "value_serializer": "raw"}
        self.source_names = {s.topic_prefix + t: t for t in SOURCE_TOPICS}
        self.sources = app.topic(*self.source_names, partitions=s.partitions, **raw, **raw_codecs)
        self.deadletter = app.topic(
            s.topic_prefix + DEADLETTER, partitions=s.partitions, **raw, **raw_codecs
        )
        self.facts = app.topic(
            s.facts_topic, partitions=s.partitions, internal=True, **raw, **raw_codecs
        )
        table = {"partitions": s.partitions, "default": None, **raw}  # bytes: raw codec
        self.entities = TableState(app.Table("entities", **table))
        self.slices = TableState(app.Table("slices", **table))
        self.decoder = Decoder(s.config.limits)
        self.entity_stage = EntityStage(s.config)
        self.queue_stage = QueueStage(s.config)
        # Its own aggregates (label caps, days): scrapes never race the stage that ingests.
        self.evaluator = Evaluator(
            QueueStage(s.config).aggregates, s.config, caps=self.queue_stage.aggregates
        )
        self.processed: dict[tuple[str, int], int] = {}  # (topic, partition) → last offset
        #: Route caps of source partitions (stages.RouteCaps), as read from or written to
        #: the entities table; read again after a rebalance.
        self._caps: dict[tuple[str, int], RouteCaps] = {}
        self._told_full: set[tuple[str, int]] = set()  # the log said its caps are full
        self.kafka_down_since: float | None = None  # monotonic time of the first failed probe
        self._kafka_told = 0.0  # when the log last said so
        self._walks = {name: Walk(s.sweep_every_s) for name in ("entities", "slices")}
        self._sweep_ids = 0  # the offset of the last sweep step's removals (see below)
        self._background: set[asyncio.Future] = set()
        #: Stage-2 polls held back while an evaluation reads the slices (serving.Gate),
        #: in order, and the task that applies them when the read ends.
        self._deferred: list[list[Any]] = []
        self._catching_up: asyncio.Future | None = None
        self.survivors = Survivors(s.gc_full_every_s)
        # The KPI families are written by cxkpi's text writer (export/text.py says why),
        # the worker's own two families by prometheus_client, in that order.
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(RuntimeCollector(self))
        self._exported: Exported | None = None  # what /metrics evaluates, between scrapes
        held = Histogram(
            "cx_worker_render_seconds",
            "How long each step of an evaluation and each page rendering held the event "
            "loop (ingestion waits meanwhile).",
            buckets=RENDER_BUCKETS_S,
            registry=self.registry,
        )
        self.exposition = Exposition(
            self.evaluation,
            s.render_interval_s,
            now_ms,
            min_sample=s.config.wallboard_min_sample,
            sparklines=self.sparklines,
            agents=self.agents_view if s.config.agents_view else None,
            observe_hold=held.observe,
        )
        self._wire()

    def create_topics(self, retry_every_s: float = 5.0) -> list[str]:
        """Create missing event, dead-letter and facts topics with explicit partitions.

        Faust would subscribe to a missing source topic and the broker would create it
        with its own default partition count (Tansu: 4), breaking co-partitioning.
        Waits for the broker: in a compose stack Kafka often comes up after us.
        """
        s = self.settings
        names = [*self.source_names, s.topic_prefix + DEADLETTER, s.facts_topic]
        while True:
            try:
                return asyncio.run(
                    ensure_topics(s.kafka, names, s.partitions, s.replication_factor)
                )
            except BrokerUnreachable as exc:
                log.warning("waiting: %s; next try in %g s", exc, retry_every_s)
            time.sleep(retry_every_s)

    # -- wiring --------------------------------------------------------------------

    def _wire(self) -> None:
        app, s = self.app, self.settings

        app.batch_agent(self.sources)(self.on_events)
        app.batch_agent(self.facts)(self.on_outputs)
        app.checkpoint_handler(self.checkpoint)
        app.timer(KAFKA_CHECK_S)(self.watch_kafka)

        @app.page("/metrics")
        async def metrics(web: Any, request: Any) -> aioweb.Response:
            body = await self.exposition.metrics() + generate_latest(self.registry)
            return aioweb.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

        @app.page("/wallboard")
        async def wallboard(web: Any, request: Any) -> aioweb.Response:
            body = self.exposition.wallboard()
            return aioweb.Response(body=body, headers={"Content-Type": "text/html; charset=utf-8"})

        @app.page("/api/wallboard")
        async def wallboard_api(web: Any, request: Any) -> aioweb.Response:
            body = await self.exposition.wallboard_json()
            if not request.query.get("local"):  # the whole center: ask the others too
                auth = request.headers.get("Authorization")
                body = orjson.dumps(await gather_wallboard(body, self.peer_urls(), auth))
            headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
            return aioweb.Response(body=body, headers=headers)

        @app.page("/healthz")
        async def healthz(web: Any, request: Any) -> Any:
            return web.text("ok\n")

        @app.page("/readyz")
        async def readyz(web: Any, request: Any) -> Any:
            ready = self.ready()
            body = {"ready": ready, "partitions": sorted(self.owned_sources())}
            if self.kafka_down_since is not None:
                down = time.monotonic() - self.kafka_down_since
                body["kafka"] = f"unreachable for {down:.0f} s ({self.settings.kafka.describe()})"
            return web.json(body, status=200 if ready else 503)

        async def forget_exported(sender: Any, *args: Any, **kwargs: Any) -> None:
            self._exported = None  # tables change under a rebalance: build it again
            self._caps.clear()

        app.on_partitions_revoked.connect(forget_exported)
        app.on_partitions_assigned.connect(forget_exported)
        for state in (self.entities, self.slices):
            if state.mirror is not None:
                state.table.on_recover(partial(self._load_owned, state))

        @app.on_rebalance_complete.connect
        async def announce(sender: Any, **kwargs: Any) -> None:
            log.info(
                "cxkpi worker ready: partitions %s, metrics at %s://%s:%s/metrics",
                sorted(self.owned_sources()),
                s.web_scheme,
                s.web_host,
                s.web_port,
            )

    async def _load_owned(self, state: TableState) -> None:
        """With RocksDB: Faust's recovery brought the files up to date; memory becomes
        what they hold for the partitions this worker owns (durable.py)."""
        partitions = owned_partitions(self.app, state.changelog)
        began = time.monotonic()
        async with self.app.consumer.batches:
            state.reload(partitions)
        log.info(
            "loaded %s keys of %s partitions %s from RocksDB in %.1f s",
            f"{len(state.data):,}",
            state.changelog,
            sorted(partitions),
            time.monotonic() - began,
        )

    # -- stage 1 -------------------------------------------------------------------

    async def on_events(self, batch: list[Any]) -> None:
        """Stage 1 for one poll of event messages (in order per partition)."""
        clock = now_ms()
        stage, entities = self.entity_stage, self.entities
        records: dict[str, HeldRecord] = {}  # this batch's
        ends: dict[tuple[str, int], int] = {}  # (topic, partition) → last offset handled
        outputs: dict[str, list] = defaultdict(list)
        dead: list[Any] = []
        admitted: set[tuple[str, int]] = set()  # source partitions whose caps grew
        decode = self.decoder.decode_message
        tallies: dict[str, Tally] = {}  # source → its pipeline counts
        topic, partition, done = "", -1, -1
        for message in batch:  # a partition's messages come together, in order
            if message.partition != partition or message.topic != topic:
                topic, partition = message.topic, message.partition
                tp = (topic, partition)
                done = ends.get(tp, -1)
                if tp not in ends:
                    mark = entities.get(f"{PROGRESS}{topic}/{partition}")
                    done = -1 if mark is None else mark.offset
                source = f"{topic}/{partition}"
                tally = tallies.get(source)
                if tally is None:
                    tally = tallies[source] = Tally()
                logical = self.source_names[topic]
                caps = self._source_caps(tp)
            offset = message.offset
            if offset <= done:
                continue  # redelivered: its whole batch was done before
            ends[tp] = done = offset
            decoded = decode(message.value, message.headers, logical)
            if type(decoded) is Invalid:
                dead.append(self._dead_letter(message, decoded))
                tally.invalid(offset, decoded.topic or logical, decoded.reason)
                continue
            if caps.admit(decoded):
                admitted.add(tp)
            ref = stage.ref(decoded)
            held = records.get(ref) or entities.get(ref)
            if held is not None and held.offset >= offset:
                continue  # applied before a crash; its outputs were delivered then
            step = stage.step(decoded, ref, held.record if held else None, clock, caps)
            if step.record is not None:
                records[ref] = _new(HeldRecord, (partition, offset, step.record))
            tally.event(offset, decoded, step.outcome)
            for ordinal, (route, fact) in enumerate(step.outputs):  # ordinals(), inlined
                outputs[route].append(((source, offset, ordinal), fact))
        for source, tally in tallies.items():
            counted = tally.output(source)
            if counted is not None:
                route, ident, fact = counted
                outputs[route].append((ident, fact))
        self.processed.update(ends)
        await self._deliver(outputs, dead)
        for ref, value in records.items():
            entities.put(ref, value)
        for topic, partition in admitted:
            caps = self._caps[(topic, partition)]
            held_caps = HeldCaps(partition, tuple(caps.queues), tuple(caps.teams))
            entities.put(f"{CAPS}{topic}/{partition}", held_caps)
            if caps.full and (topic, partition) not in self._told_full:
                self._told_full.add((topic, partition))
                log.warning(
                    "%s/%s brought %d queue and %d team names, its limits (limits.max_queues, "
                    "max_teams): further names are summed in one route and shown as __other__",
                    self.source_names[topic],
                    partition,
                    len(caps.queues),
                    len(caps.teams),
                )
        for (topic, partition), offset in ends.items():
            entities.put(f"{PROGRESS}{topic}/{partition}", Mark(partition, offset))
        self._sweep_entities_step(clock)

    def _source_caps(self, tp: tuple[str, int]) -> RouteCaps:
        """A source partition's route caps, from the table on first use (restored with
        it: the same names keep their routes after a restart or a rebalance)."""
        caps = self._caps.get(tp)
        if caps is None:
            stage, (topic, partition) = self.entity_stage, tp
            held = self.entities.get(f"{CAPS}{topic}/{partition}")
            caps = self._caps[tp] = (
                stage.caps()
                if held is None
                else RouteCaps(stage.max_queues, stage.max_teams, held.queues, held.teams)
            )
        return caps

    def _dead_letter(self, message: Any, invalid: Invalid) -> Any:
        """The original key, value and headers (a binary-mode event's attributes are
        headers), and where it came from and why, as headers after them."""
        headers = [
            *(message.headers or ()),
            ("source_topic", message.topic.encode()),
            ("source_partition", str(message.partition).encode()),
            ("source_offset", str(message.offset).encode()),
            ("reason", invalid.reason.encode()),
            ("detail", invalid.detail[:500].encode(errors="replace")),
        ]
        return self.deadletter.send(key=message.key, value=message.value, headers=headers)

    async def _send_outputs(self, outputs: dict[str, list]) -> list[asyncio.Future]:
        """Queue the outputs as facts messages, one per facts partition (more when
        large, codec.FACTS_PER_MESSAGE); the futures say when the broker has them.

        A route goes to the partition its key picks (one route, one partition, in
        order), the partition whose slices this stage 2 holds it in.
        """
        if not outputs:
            return []
        topic, producer = self.settings.facts_topic, self.app.producer
        partition_of = await producer.key_partitions(topic)
        routed: dict[int, list] = defaultdict(list)
        for route, items in outputs.items():
            routed[partition_of(route.encode())].append((route, items))
        futures = []
        for partition, routes in routed.items():
            values = [(None, value) for value in encode_routes(routes)]
            futures += await producer.send_records(topic, partition, values)
        return futures

    async def _deliver(self, outputs: dict[str, list], dead: list[Any] | None = None) -> None:
        """Wait until the broker has every output and dead letter: state is stored only
        after."""
        queued = await self._send_outputs(outputs)
        queued += await asyncio.gather(*(dead or ()))  # Faust's sends: a future each
        await asyncio.gather(*queued)

    def _sweep_entities_step(self, clock: int) -> None:
        """Housekeeping of stage 1: drop finished entities, compact old events."""
        removals: dict[int, list] = defaultdict(list)

        def visit(ref: str, value: HeldRecord) -> str | None:
            partition, offset, record = value
            kept, changes = self.entity_stage.expire(ref, record, clock)
            removals[partition].extend(changes)
            if kept is None:
                self.entities.delete(ref, partition)
                # Still waiting, open or present, but silent past the stale horizon.
                return "dropped stale open entities" if changes else "dropped finished entities"
            if kept is not record:
                self.entities.put(ref, HeldRecord(partition, offset, kept))
                return "compacted"
            return None

        self._sweep_step("entities", self.entities, self.owned_sources(), ENTITIES, visit)
        # Numbered per partition and step: offsets only grow, ordinals order the rest.
        step_id = self._sweep_ids = max(self._sweep_ids + 1, clock)
        outputs: dict[str, list] = defaultdict(list)
        for partition, changes in removals.items():
            for route, ident, fact in ordinals(changes, f"sweep/{partition}", step_id):
                outputs[route].append((ident, fact))
        if outputs:  # queued in the background: nothing waits for a sweep's outputs
            task = asyncio.ensure_future(self._send_outputs(outputs))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def _sweep_step(
        self,
        name: str,
        table: TableState,
        partitions: set[int],
        prefixes: tuple[str, ...],
        visit: Callable[[str, tuple], str | None],
    ) -> None:
        """Visit this batch's slice of a table walk; log what the walk did when it ends."""
        walk = self._walks[name]
        for key, value in list(table.owned(partitions, prefixes, walk.step(table.keys))):
            done = visit(key, value)
            if done is not None:
                walk.count(done)
        totals = walk.ended()
        if totals:
            log.info("housekeeping: %s", ", ".join(f"{what} {n}" for what, n in totals.items()))

    # -- stage 2 -------------------------------------------------------------------

    async def on_outputs(self, batch: list[Any]) -> None:
        """Stage 2 for one poll of facts messages (in order per partition).

        A poll that comes while an evaluation reads the slices in steps (serving.py)
        waits until the read ends, so that the read sees one moment; stage 1 goes on
        meanwhile. Its offsets are committed only after it is applied: a checkpoint
        applies what waits first."""
        self._deferred.append(batch)
        await self._apply_deferred()
        if self._deferred and self._catching_up is None:
            self._catching_up = asyncio.ensure_future(self._catch_up())

    async def _apply_deferred(self) -> None:
        """Apply the polls that wait, in order, while no evaluation reads."""
        gate, deferred = self.exposition.gate, self._deferred
        while deferred and not gate.read.under_way:
            gate.write.begin()
            try:
                await self._apply_outputs(deferred.pop(0))
            finally:
                gate.write.end()

    async def _catch_up(self) -> None:
        """When the read that held polls back ends, apply them, holding the consumer's
        batch lock like any batch (never while waiting for the read)."""
        try:
            while self._deferred:
                await self.exposition.gate.read.over()
                async with self.app.consumer.batches:
                    await self._apply_deferred()
        finally:
            self._catching_up = None

    async def _apply_outputs(self, batch: list[Any]) -> None:
        clock = now_ms()
        stage, slices = self.queue_stage, self.slices
        touched: dict[str, HeldSlice] = {}
        live: dict[str, tuple[int, Descriptor | None]] = {}  # live key → (partition, descriptor)
        derived: dict[str, list] = defaultdict(list)
        for message in batch:
            partition, offset = message.partition, message.offset
            self.processed[(message.topic, partition)] = offset
            source = f"{message.topic}/{partition}"
            routed = decode_routes(message.key, message.value)
            for position, (route, items) in enumerate(routed):
                held = touched.get(route) or slices.get(route)
                if held is None:
                    held = HeldSlice(partition, empty_slice())
                folded = stage.apply(route, held.slice, items, clock)
                if folded.slice is not held.slice:  # else nothing new to store
                    touched[route] = HeldSlice(partition, folded.slice)
                for ref, descriptor in folded.live:
                    live[f"{LIVE}{route}/{ref}"] = (partition, descriptor)
                # A route's derived outputs are numbered after its place in the message,
                # so that they keep their ids when the message is read again.
                numbered = ordinals(folded.derived, source, offset, position << DERIVED_BITS)
                for out_route, ident, fact in numbered:
                    derived[out_route].append((ident, fact))
        await self._deliver(derived)
        # Live entries first: a slice stored means its batch's live changes are too.
        exported = self._exported
        for key, (partition, descriptor) in live.items():
            if descriptor is None:
                slices.delete(key, partition)
            else:
                slices.put(key, HeldLive(partition, descriptor))
            if exported is not None:
                exported.put_live(key, partition, descriptor)
        for route, value in touched.items():
            slices.put(route, value)
            if exported is not None:
                exported.put_route(route, value)
        self._sweep_slices_step(clock)

    def _sweep_slices_step(self, clock: int) -> None:
        """Housekeeping of stage 2: drop empty routes, prune expired buckets."""

        def visit(route: str, value: HeldSlice) -> str | None:
            partition, slice_ = value
            kept = self.queue_stage.prune(slice_, clock)
            if kept is None:
                self.slices.delete(route, partition)
                if self._exported is not None:
                    self._exported.drop_route(route)
                return "dropped empty routes"
            if kept is not slice_:
                pruned = HeldSlice(partition, kept)
                self.slices.put(route, pruned)
                if self._exported is not None:
                    self._exported.put_route(route, pruned)
                return "pruned routes"
            return None

        self._sweep_step("slices", self.slices, self.owned_facts(), ROUTES, visit)

    # -- checkpoints -------------------------------------------------------------

    async def checkpoint(self) -> None:
        """Write what changed since the last checkpoint, in checkpoint.py's order."""
        while self._deferred:  # handled polls held back by a read: applied first
            await self.exposition.gate.read.over()
            await self._apply_deferred()
        await asyncio.gather(*self._background)  # housekeeping's outputs come first too
        entities, slices = self.entities, self.slices
        steps = (
            [(slices, (LIVE,))],
            [(entities, (*ENTITIES, CAPS)), (slices, ROUTES)],
            [(entities, (PROGRESS,))],
        )
        await checkpoint(self.app.producer, steps)
        self.survivors.settle()  # the state stays out of the collector's walks

    # -- what this worker owns and exports ---------------------------------------

    def peer_urls(self) -> list[str]:
        """The web addresses of the group's other workers, as Faust's assignor knows them."""
        own = str(self.app.conf.canonical_url).rstrip("/")
        urls = (str(url).rstrip("/") for url in self.app.router.tables_metadata())
        return sorted({url for url in urls if url != own})

    def owned_sources(self) -> set[int]:
        first = next(iter(self.source_names))
        return owned_partitions(self.app, first)

    def owned_facts(self) -> set[int]:
        return owned_partitions(self.app, self.settings.facts_topic)

    def ready(self) -> bool:
        app = self.app
        recovery = app.tables.recovery
        recovered = recovery.completed.is_set() and not recovery.in_recovery
        return recovered and not app.rebalancing and self.kafka_down_since is None

    async def watch_kafka(self) -> None:
        """Probe Kafka and say, in the log and in readiness, when it cannot be reached.

        aiokafka reconnects by itself and Faust waits; without this a broker outage
        would only show as a wallboard that stops moving."""
        now = time.monotonic()
        where = self.settings.kafka.describe()
        if await reachable(self.settings.kafka):
            if self.kafka_down_since is not None:
                log.warning(
                    "Kafka at %s is reachable again after %.0f s: catching up",
                    where,
                    now - self.kafka_down_since,
                )
            self.kafka_down_since = None
            return
        if self.kafka_down_since is None:
            self.kafka_down_since = self._kafka_told = now
            log.warning(
                "cannot reach Kafka at %s: not ready; /metrics and /wallboard show the "
                "state as of the last events read, and the worker catches up when it is back",
                where,
            )
        elif now - self._kafka_told >= KAFKA_REMIND_S:
            self._kafka_told = now
            log.warning(
                "still cannot reach Kafka at %s (%.0f s)", where, now - self.kafka_down_since
            )

    def evaluation(self, at_ms: int) -> Evaluation:
        """Every KPI family over what this worker owns, evaluated at ``at_ms``: all
        still to do, in the exposition's steps, which keep stage 2 waiting while they
        read (``serving.Gate``)."""
        exported, slices = self._exported_view()
        return begin_evaluation(self.evaluator, slices, exported.live.values(), at_ms)

    def _exported_view(self) -> tuple[Exported, list[Slice]]:
        """The routes and live sets this worker exports (kept between scrapes), and the
        slices of those routes."""
        owned = self.owned_facts()
        exported = self._exported
        if exported is None or exported.partitions != owned or not self.ready():
            exported = Exported(self.slices, owned)
            # Kept only once recovered: a restore in progress writes the table alone.
            self._exported = exported if self.ready() else None
        slices = [held.slice for held in exported.routes.values()]
        return exported, slices

    def sparklines(self, at_ms: int) -> dict[tuple[str, str], list[float | None]]:
        """The wallboard's minute service levels over what this worker owns."""
        _, slices = self._exported_view()
        return sparklines(union(slices)[0], self.settings.config, at_ms)

    def agents_view(self, at_ms: int) -> list[dict]:
        """The opt-in agents view over what this worker owns (agents_view.py)."""
        exported, slices = self._exported_view()
        days = self.evaluator.aggregates.days
        rows = agents_view(union(slices)[0], exported.live.values(), days, at_ms)
        return merge_agents([rows])

    def lag(self) -> Iterable[tuple[str, int, int]]:
        """(topic, partition, messages behind) for every owned input partition."""
        consumer = self.app.consumer
        for tp in self.app.assignor.assigned_actives():
            if tp.topic not in self.source_names and tp.topic != self.settings.facts_topic:
                continue
            try:
                highwater = consumer.highwater(tp)
            except Exception:  # no fetch yet: the broker has not told us
                continue
            if highwater is None:
                continue
            done = self.processed.get((tp.topic, tp.partition), -1) + 1
            # Logical names (cx.calls) like every other pipeline family.
            yield self.source_names.get(tp.topic, tp.topic), tp.partition, max(0, highwater - done)


class RuntimeCollector(Collector):
    """What only a live worker knows: readiness and consumer lag."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    def collect(self) -> Iterable[Metric]:
        ready = GaugeMetricFamily(
            "cx_worker_ready", "1 when recovered and assigned partitions, else 0."
        )
        ready.add_metric([], float(self.worker.ready()))
        yield ready
        kafka = GaugeMetricFamily(
            "cx_kafka_reachable", "1 while the worker's Kafka probe gets answers, else 0."
        )
        kafka.add_metric([], float(self.worker.kafka_down_since is None))
        yield kafka
        lag = GaugeMetricFamily(
            "cx_consumer_lag_messages",
            "Messages in owned input partitions not processed yet.",
            labels=("topic", "partition"),
        )
        for topic, partition, behind in self.worker.lag():
            lag.add_metric([topic, str(partition)], behind)
        yield lag
