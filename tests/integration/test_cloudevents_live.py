"""The CloudEvents Kafka binding through a live worker (issue 15), with the official SDK
as the producer: both content modes count like their structured replay, hostile
headers are dead-lettered with their headers kept, and ``cxkpi dump`` records a
binary-mode topic so that replay of the recording equals what the worker serves.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from pathlib import Path

import orjson
from cloudevents.v1.http import CloudEvent
from cloudevents.v1.kafka import to_binary, to_structured
from test_worker_e2e import differences, scenario, wait_consistent
from workers import cxkpi, jsonl

from stream.core.decode import Decoder
from stream.core.events import Invalid
from stream.runtime.producer import Router

DECODER = Decoder()


def sdk_message(line: bytes, binary: bool) -> tuple[bytes, list[tuple[str, bytes]]]:
    """A valid line as the SDK's Kafka binding writes it (the SDK needs a data type)."""
    event = orjson.loads(line)
    attributes = {k: v for k, v in event.items() if k != "data"}
    attributes.setdefault("datacontenttype", "application/json")
    sdk_event = CloudEvent(attributes, event["data"])
    if binary:
        message = to_binary(sdk_event, data_marshaller=orjson.dumps)
    else:
        message = to_structured(sdk_event)
    return message.value, list(message.headers.items())


async def send_with_the_sdk(producer, lines: list[bytes], prefix: str) -> None:
    """Valid events alternately in binary and structured mode; invalid lines raw."""
    router = Router(topic_prefix=prefix)
    for number, line in enumerate(lines):
        route = router.route(line)
        if isinstance(DECODER.decode(line), Invalid):
            await producer.send(route.topic, line, key=route.key)
            continue
        value, headers = sdk_message(line, binary=number % 2 == 0)
        await producer.send(route.topic, value, key=route.key, headers=headers)
    await producer.flush()


def dump(bootstrap: str, prefix: str, path: Path) -> list[bytes]:
    done = cxkpi("dump", "--broker", bootstrap, "--topic-prefix", prefix, "-o", str(path))
    assert done.returncode == 0, done.stderr
    return path.read_bytes().splitlines()


async def test_both_modes_from_the_sdk_count_like_replay_and_dump_records_them(
    broker, start_worker, topic_prefix, make_producer, tmp_path
):
    lines = scenario(seed=15, minutes=15)
    worker = start_worker(("--topic-prefix", topic_prefix))
    worker.wait_ready()
    await send_with_the_sdk(await make_producer(), lines, topic_prefix)
    wait_consistent(lines, worker)

    recorded = dump(broker.bootstrap, topic_prefix, tmp_path / "recorded.jsonl")
    assert len(recorded) == len(lines)
    before = time.time()
    live = worker.metrics()
    assert not differences(live, recorded, before, time.time())


async def test_cxkpi_produce_binary_mode_counts_like_structured(
    broker, start_worker, topic_prefix, tmp_path
):
    lines = scenario(seed=16, minutes=5)
    events = jsonl(tmp_path / "events.jsonl", lines)
    worker = start_worker(("--topic-prefix", topic_prefix))
    worker.wait_ready()
    # One record per batch: Tansu's ListOffsets "latest" is wrong after multi-record
    # batches, and the dump below reads each topic up to that offset.
    produced = cxkpi("produce", str(events), "-q", "--broker", broker.bootstrap,
                     "--topic-prefix", topic_prefix, "--batch-bytes", "1",
                     "--content-mode", "binary")  # fmt: skip
    assert produced.returncode == 0, produced.stderr
    wait_consistent(lines, worker)
    recorded = dump(broker.bootstrap, topic_prefix, tmp_path / "recorded.jsonl")
    valid = [line for line in lines if not isinstance(DECODER.decode(line), Invalid)]
    missing = canonical(valid) - canonical(recorded)
    assert not missing, list(missing)[:3]  # each valid event, as it was written


def canonical(lines: list[bytes]) -> Counter:
    """Lines as a multiset of their JSON, whatever the key order and spacing."""
    out: Counter = Counter()
    for line in lines:
        with contextlib.suppress(orjson.JSONDecodeError):
            out[orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS)] += 1
    return out


QUEUED = {
    "contact_id": "C-hostile",
    "queue": "billing",
}
HEADERS = [
    ("content-type", b"application/json"),
    ("ce_specversion", b"1.0"),
    ("ce_id", b"h-1"),
    ("ce_source", b"/pbx"),
    ("ce_type", b"call.queued"),
    ("ce_time", b"2026-05-02T11:30:00Z"),
]


def without(name: str, *extra: tuple[str, bytes]) -> list[tuple[str, bytes]]:
    return [(n, v) for n, v in HEADERS if n != name] + list(extra)


async def test_hostile_headers_go_to_dead_letters_with_their_headers(
    broker, start_worker, topic_prefix, make_producer, read_topic
):
    data = orjson.dumps(QUEUED)
    structured = orjson.dumps({"specversion": "1.0", "id": "h-9", "source": "/pbx",
                               "type": "call.queued", "time": "2026-05-02T11:30:00Z",
                               "data": QUEUED})  # fmt: skip
    hostile = {
        "missing ce_type": (without("ce_type"), data, "bad_envelope"),
        "bad ce_time": (without("ce_time", ("ce_time", b"yesterday")), data, "bad_time"),
        "duplicate": ([*HEADERS, ("ce_type", b"chat.queued")], data, "bad_header"),
        "not UTF-8": (without("ce_source", ("ce_source", b"/\xff")), data, "bad_header"),
        "XML data": (
            without("content-type", ("content-type", b"application/xml")),
            b"<queued/>",
            "unsupported_content_type",
        ),
        "disagrees": (
            [("ce_specversion", b"1.0"), ("ce_id", b"h-2")],
            structured,
            "conflicting_modes",
        ),
    }
    worker = start_worker(("--topic-prefix", topic_prefix))
    worker.wait_ready()
    producer = await make_producer()
    for name, (headers, value, _) in hostile.items():
        headers = [*headers, ("x-case", name.encode())]
        await producer.send(topic_prefix + "cx.calls", value, key=b"C-hostile", headers=headers)
    await producer.flush()
    records = await read_topic(topic_prefix + "cx.deadletter", len(hostile), timeout=30)
    assert len(records) == len(hostile)
    for record in records:
        case = dict(record.headers)["x-case"].decode()
        headers, value, reason = hostile[case]
        assert record.value == value
        assert list(record.headers[: len(headers) + 1]) == [*headers, ("x-case", case.encode())]
        assert dict(record.headers)["reason"] == reason.encode(), (case, record.headers)
    assert worker.process.poll() is None

    def invalid() -> float:  # counted by stage 2, a moment after the dead letters went
        metrics = worker.metrics().items()
        return sum(value for (name, _), value in metrics if name == "cx_events_invalid_total")

    deadline = time.monotonic() + 30
    while invalid() < len(hostile) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert invalid() == len(hostile)
