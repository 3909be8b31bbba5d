"""The worker's two batch handlers without a broker: a real ``Worker`` (Faust app,
tables, stages), with only its two output topics replaced by recorders at the Kafka
boundary. What the handlers send, store and skip, and that stage 1 then stage 2 give
the numbers replay gives. (tests/integration runs the same through Tansu.)"""

from __future__ import annotations

import asyncio
from typing import Any, NamedTuple

import orjson
import pytest
from helpers import call, ms, ticket

from stream.core.config import Config, config_from_dict
from stream.core.engine import begin_evaluation
from stream.core.replay import replay
from stream.runtime import worker as worker_module
from stream.runtime.kafka_settings import KafkaSettings
from stream.runtime.state import Exported
from stream.runtime.values import PROGRESS, HeldRecord, Mark
from stream.runtime.worker import Worker, WorkerSettings

AT = 120  # evaluation time, seconds after helpers.BASE


class Sent(NamedTuple):
    key: bytes | None
    value: bytes
    headers: list


def acknowledged() -> asyncio.Future:
    done = asyncio.get_running_loop().create_future()
    done.set_result(None)
    return done


class RecordingTopic:
    """Stands in for a Faust topic (the dead letters): keeps what is sent and
    acknowledges it at once."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    async def send(self, key: Any = None, value: Any = None, headers: Any = None) -> Any:
        self.sent.append(Sent(key, value, list(headers or ())))
        return acknowledged()


class RecordingProducer:
    """Stands in for the app's producer, as far as the facts go: keeps what stage 1
    and stage 2 send and acknowledges it at once."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    async def key_partitions(self, topic: str) -> Any:
        return lambda key: 0  # the worker's one partition

    async def send_records(
        self, topic: str, partition: int, records: list[tuple[bytes | None, bytes]]
    ) -> list[Any]:
        self.sent += [Sent(key, value, []) for key, value in records]
        return [acknowledged()]


class Message(NamedTuple):
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple = ()


class Clock:
    """The worker's wall clock, set by the test."""

    def __init__(self, at_ms: int) -> None:
        self.at_ms = at_ms

    def __call__(self) -> int:
        return self.at_ms


def new_worker(tmp_path, monkeypatch, clock: Clock, config: Config | None = None) -> Worker:
    """A worker on ``clock``, with its facts and dead letters recorded."""
    monkeypatch.setattr(worker_module, "now_ms", clock)
    settings = WorkerSettings(
        KafkaSettings(("127.0.0.1:9",)), config or Config(), partitions=1, data_dir=tmp_path
    )
    made = Worker(settings)
    made.app.producer = RecordingProducer()  # type: ignore[assignment]
    made.deadletter = RecordingTopic()  # type: ignore[assignment]
    return made


@pytest.fixture
def worker(tmp_path, monkeypatch) -> Worker:
    return new_worker(tmp_path, monkeypatch, Clock(ms(AT)))


LINES = [
    call("queued", 0, "c1", queue="sales"),
    call("answered", 5, "c1", agent_id="a1"),
    call("queued", 25, "c2", queue="sales"),
    b'{"not": "an event"',
    call("queued", 30, "c3", queue="support"),
]


def calls(lines: list[bytes], first_offset: int = 0) -> list[Message]:
    return [Message("cx.calls", 0, first_offset + i, b"k", line) for i, line in enumerate(lines)]


async def run_both_stages(worker: Worker, batch: list[Message]) -> None:
    """Stage 1 on ``batch``, then stage 2 on every facts message until none is left."""
    facts: RecordingProducer = worker.app.producer  # type: ignore[assignment]
    done = len(facts.sent)  # facts offsets go on from earlier batches
    await worker.on_events(batch)
    while done < len(facts.sent):
        pending = facts.sent[done:]
        messages = [
            Message(worker.settings.facts_topic, 0, done + i, sent.key, sent.value)
            for i, sent in enumerate(pending)
        ]
        done = len(facts.sent)
        await worker.on_outputs(messages)


def families_of(worker: Worker, at_ms: int | None = None) -> dict:
    exported = Exported(worker.slices, {0})
    slices = [held.slice for held in exported.routes.values()]
    at = ms(AT) if at_ms is None else at_ms
    found = begin_evaluation(worker.evaluator, slices, exported.live.values(), at).families()
    return {family.name: sorted(family.samples) for family in found}


def replayed(lines: list[bytes], config: Config | None = None) -> dict:
    """Replay's families, but for the invalid line's topic: a file has none, the worker
    knows which topic a message came from."""
    replayed_ = replay(lines, at_ms=ms(AT), config=config)
    found = {f.name: sorted(f.samples) for f in replayed_.families()}
    invalid = found["cx_events_invalid_total"]
    found["cx_events_invalid_total"] = [(("cx.calls", reason), n) for (_, reason), n in invalid]
    return found


async def test_both_stages_give_the_numbers_replay_gives(worker):
    await run_both_stages(worker, calls(LINES))
    assert families_of(worker) == replayed(LINES)
    assert dict(families_of(worker)["cx_contacts_waiting"]) == {
        ("sales", "voice"): 1,
        ("support", "voice"): 1,
    }


async def test_an_invalid_message_is_dead_lettered_with_its_reason_and_origin(worker):
    await worker.on_events(calls(LINES))
    (dead,) = worker.deadletter.sent  # type: ignore[attr-defined]
    assert dead.value == LINES[3] and dead.key == b"k"
    headers = dict(dead.headers)
    assert headers["reason"] == b"not_json"
    assert (headers["source_topic"], headers["source_partition"], headers["source_offset"]) == (
        b"cx.calls",
        b"0",
        b"3",
    )


async def test_state_and_the_progress_mark_are_stored_after_the_outputs(worker):
    await worker.on_events(calls(LINES))
    held = worker.entities.get("contact/c1")
    assert isinstance(held, HeldRecord) and (held.partition, held.offset) == (0, 1)
    assert worker.entities.get(f"{PROGRESS}cx.calls/0") == Mark(0, 4)
    assert worker.processed[("cx.calls", 0)] == 4


async def test_a_redelivered_batch_changes_nothing_and_sends_nothing(worker):
    await run_both_stages(worker, calls(LINES))
    before = families_of(worker)
    sent = len(worker.app.producer.sent), len(worker.deadletter.sent)  # type: ignore[attr-defined]
    await run_both_stages(worker, calls(LINES))  # the same offsets again, e.g. after a crash
    assert (len(worker.app.producer.sent), len(worker.deadletter.sent)) == sent  # type: ignore[attr-defined]
    assert families_of(worker) == before


async def test_a_later_batch_continues_where_the_first_ended(worker):
    await run_both_stages(worker, calls(LINES[:2]))
    await run_both_stages(worker, calls(LINES[2:], first_offset=2))
    assert families_of(worker) == replayed(LINES)


async def test_stage_2_waits_while_an_evaluation_reads_and_catches_up_after(worker):
    """A facts poll that comes while an evaluation reads the slices in steps changes
    nothing until the read ends (stage 1 goes on); then it is applied, in order."""
    empty = families_of(worker)
    gate = worker.exposition.gate
    gate.read.begin()
    await run_both_stages(worker, calls(LINES[:2]))
    await run_both_stages(worker, calls(LINES[2:], first_offset=2))
    assert worker.entities.get("contact/c3") is not None  # stage 1 went on
    assert families_of(worker) == empty and len(worker._deferred) == 2
    gate.read.end()
    await worker._catching_up
    assert not worker._deferred and families_of(worker) == replayed(LINES)


async def test_a_checkpoint_applies_the_polls_a_read_held_back_first(worker):
    gate = worker.exposition.gate
    gate.read.begin()
    await run_both_stages(worker, calls(LINES))
    checkpoint = asyncio.ensure_future(worker.checkpoint())
    for _ in range(3):
        await asyncio.sleep(0)
    assert not checkpoint.done()  # it waits for the read, then applies, then writes
    gate.read.end()
    await checkpoint
    assert not worker._deferred and families_of(worker) == replayed(LINES)
    assert not worker.slices.take_changes(("",))  # all of it went to the changelog


BERLIN_OFFICE = config_from_dict(
    {
        "calendars": {
            "default": {
                "timezone": "Europe/Berlin",
                "hours": {d: ["09:00-12:00", "13:00-17:00"] for d in ("mon", "tue", "fri")},
                "local_today": True,  # today from Berlin's midnight, the centre's is UTC's
            }
        }
    }
)
TICKETS = [
    ticket("created", "2026-11-27T16:30:00+01:00", "t1", queue="billing", priority="urgent"),
    ticket("created", "2026-11-27T11:00:00+01:00", "t2", queue="billing", priority="high"),
    ticket("status_changed", "2026-11-27T11:30:00+01:00", "t2", status="pending"),
    ticket("status_changed", "2026-11-30T08:00:00+01:00", "t2", status="open"),
    ticket("commented", "2026-11-30T10:00:00+01:00", "t2", author="agent"),
    ticket("status_changed", "2026-11-30T12:30:00+01:00", "t2", status="solved"),
]


@pytest.mark.parametrize(
    ("at", "sent", "overdue"),
    [
        ("2026-11-28T12:00:00+01:00", 3, 0),  # Saturday: t1 has used 30 of its 60 minutes
        ("2026-11-30T13:31:00+01:00", 6, 1),  # Monday: and 30 more from 09:00
    ],
)
async def test_business_hours_clocks_live_equal_replay(tmp_path, monkeypatch, at, sent, overdue):
    """Each event as it happens (the worker's clock at its time), then a scrape at ``at``."""
    lines = TICKETS[:sent]
    clock = Clock(0)
    worker = new_worker(tmp_path, monkeypatch, clock, BERLIN_OFFICE)
    for offset, line in enumerate(lines):
        clock.at_ms = ms(orjson.loads(line)["time"])
        await run_both_stages(worker, [Message("cx.tickets", 0, offset, b"k", line)])
    live = families_of(worker, ms(at))
    expected = replay(lines, at_ms=ms(at), config=BERLIN_OFFICE).families()
    assert live == {f.name: sorted(f.samples) for f in expected}
    assert dict(live["cx_tickets_first_reply_overdue"])[("billing", "urgent")] == overdue


CAPPED = config_from_dict({"limits": {"max_queues": 2}})
FLOOD = [
    line
    for i, queue in enumerate(("a", "b", "c", "d", "e"))
    for line in (
        call("queued", i, f"f{i}", queue=queue),
        call("answered", i + 5, f"f{i}", agent_id="x"),
        call("wrapup_ended", i + 60, f"f{i}", resolved=True),
    )
]


async def test_queue_names_past_a_sources_route_caps_share_one_route(tmp_path, monkeypatch):
    """Stage 1 admits the first names of each source partition; the facts of the rest
    go to one route (stages.RouteCaps): the numbers replay gives, three routes."""
    worker = new_worker(tmp_path, monkeypatch, Clock(ms(AT)), CAPPED)
    await run_both_stages(worker, calls(FLOOD))
    assert families_of(worker) == replayed(FLOOD, CAPPED)
    held = worker.entities.get("caps/cx.calls/0")
    assert held is not None and sorted(held.queues) == ["a", "b"]
    routes = {key for key in worker.slices.table.data if key.startswith(b"q:")}
    assert {r for r in routes if worker.slices.get(r.decode()).slice.series} == {
        b"q:a",
        b"q:b",
        b"q:__other__",
    }


async def test_route_caps_are_restored_with_the_table(tmp_path, monkeypatch):
    """A source's caps are a changelog record like its entities': a worker restored from
    it routes a name the source never admitted where the first worker did."""
    first = new_worker(tmp_path / "1", monkeypatch, Clock(ms(AT)), CAPPED)
    await run_both_stages(first, calls(FLOOD[:6]))  # a and b: the caps are full
    (raw,) = [
        value
        for records in first.entities.take_changes(("caps/",)).values()
        for key, value in records
    ]
    second = new_worker(tmp_path / "2", monkeypatch, Clock(ms(AT)), CAPPED)
    second.entities.table.data[b"caps/cx.calls/0"] = raw  # as a changelog restore leaves it
    await run_both_stages(second, calls([call("queued", 30, "late1", queue="z")], 6))
    own = second.slices.get("q:z")  # its live entry's route: who waits goes by entity
    assert own is None or not own.slice.series
    assert second.slices.get("q:__other__").slice.series  # its offer
