"""The CloudEvents Kafka binding: both content modes, as the official SDK writes them,
decode to the same events as the structured lines; hostile headers are refused."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from cloudevents.v1.http import CloudEvent
from cloudevents.v1.kafka import to_binary, to_structured
from hypothesis import given
from hypothesis import strategies as st

from stream.core.binding import envelope, read_headers
from stream.core.binding import to_binary as cxkpi_binary
from stream.core.decode import Decoder
from stream.core.events import INVALID_REASONS, Invalid

DAY = Path(__file__).resolve().parents[2] / "examples" / "day.jsonl"
DECODER = Decoder()
QUEUED = {
    "specversion": "1.0",
    "id": "e-1",
    "source": "/pbx/eu-1",
    "type": "call.queued",
    "time": "2026-05-02T11:30:00.250+02:00",
    "datacontenttype": "application/json",
    "data": {"contact_id": "C-1", "queue": "billing", "customer_id": "u-7"},
}
BINARY = [
    ("content-type", b"application/json"),
    ("ce_specversion", b"1.0"),
    ("ce_id", b"e-1"),
    ("ce_source", b"/pbx/eu-1"),
    ("ce_type", b"call.queued"),
    ("ce_time", b"2026-05-02T11:30:00.250+02:00"),
]
DATA = orjson.dumps(QUEUED["data"])


def sdk_event(line: dict) -> CloudEvent:
    attributes = {k: v for k, v in line.items() if k != "data"}
    attributes.setdefault("datacontenttype", "application/json")  # the SDK needs it
    return CloudEvent(attributes, line.get("data"))


def sdk_messages(line: dict) -> list[tuple[bytes, list[tuple[str, bytes]]]]:
    """The line as the SDK's Kafka binding writes it, in binary and structured mode."""
    event = sdk_event(line)
    out = []
    for convert in (to_binary, to_structured):
        message = convert(event, data_marshaller=orjson.dumps if convert is to_binary else None)
        out.append((message.value, list(message.headers.items())))
    return out


def day_events(limit: int = 3000) -> list[dict]:
    lines = DAY.read_bytes().splitlines()[:limit]
    return [orjson.loads(line) for line in lines]


def test_the_sdks_binary_and_structured_messages_decode_like_the_line():
    checked = 0
    for line in day_events():
        expected = DECODER.decode(orjson.dumps(line))
        if isinstance(expected, Invalid):
            continue
        for value, headers in sdk_messages(line):
            assert DECODER.decode_message(value, headers, "cx.calls") == expected, headers
        checked += 1
    assert checked > 2500


def test_cxkpi_produce_binary_mode_is_the_inverse_of_envelope():
    for line in day_events(500):
        headers, data = cxkpi_binary(line)
        binding = read_headers(headers)
        assert envelope(binding, orjson.loads(orjson.dumps(data))) == line


def test_binary_mode_reads_attributes_from_headers_and_data_from_the_value():
    event = DECODER.decode_message(DATA, BINARY, "cx.calls")
    assert event == DECODER.decode(orjson.dumps(QUEUED))
    # No content-type at all: the data is JSON, as the contract says.
    assert DECODER.decode_message(DATA, BINARY[1:], "cx.calls") == event
    # charset=utf-8 is JSON's own; a tracing header is none of our business.
    headers = [("content-type", b"application/json; charset=utf-8"), *BINARY[1:]]
    assert DECODER.decode_message(DATA, [*headers, ("traceparent", b"00-ab")]) == event


def replaced(name: str, value: bytes | None) -> list[tuple[str, bytes | None]]:
    headers = [(n, v) for n, v in BINARY if n != name]
    return headers if value is None else [*headers, (name, value)]


@pytest.mark.parametrize(
    ("headers", "value", "reason", "detail"),
    [
        (replaced("ce_type", None), DATA, "bad_envelope", "type"),
        (replaced("ce_time", b"2026-05-02 11:30:00Z"), DATA, "bad_time", "RFC 3339"),
        (replaced("ce_time", None), DATA, "bad_envelope", "time: required"),
        (replaced("ce_specversion", b"0.3"), DATA, "bad_envelope", "specversion"),
        ([*BINARY, ("ce_type", b"chat.queued")], DATA, "bad_header", "more than once"),
        ([*BINARY, ("CE_ID", b"e-2")], DATA, "bad_header", "more than once"),
        (replaced("ce_source", b"/pbx/\xff"), DATA, "bad_header", "UTF-8"),
        (replaced("content-type", b"text/plain"), b"hello", "unsupported_content_type", "text"),
        (replaced("content-type", b"application/avro"), DATA, "unsupported_content_type", ""),
        (
            replaced("content-type", b"application/json; charset=latin-1"),
            DATA,
            "unsupported_content_type",
            "latin-1",
        ),
        (BINARY, b"{not json", "not_json", ""),
        (BINARY, b"[1, 2]", "bad_envelope", "data: expected object"),
        (BINARY, orjson.dumps({"queue": "billing"}), "missing_field", "contact_id"),
    ],
)
def test_hostile_binary_headers_are_refused_with_a_reason(headers, value, reason, detail):
    result = DECODER.decode_message(value, headers, "cx.calls")
    assert isinstance(result, Invalid) and result.reason == reason, result
    assert detail in result.detail and result.topic == "cx.calls"


STRUCTURED = orjson.dumps(QUEUED)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ([("content-type", b"application/cloudevents+json"), ("ce_type", b"chat.queued")], None),
        ([("ce_specversion", b"1.0"), ("ce_id", b"e-2")], "conflicting_modes"),
        ([("content-type", b"application/cloudevents+json"), ("ce_id", b"e-1")], "ok"),
        ([("ce_specversion", b"1.0"), ("ce_source", b"/pbx/eu-1")], "ok"),
        ([("content-type", b"application/cloudevents-batch+json")], "unsupported_content_type"),
        ([("content-type", b"application/json")], "ok"),  # the SDK's to_structured
    ],
)
def test_ce_headers_beside_a_structured_event_must_agree_with_it(headers, reason):
    reason = reason or "conflicting_modes"
    result = DECODER.decode_message(STRUCTURED, headers, "cx.calls")
    if reason == "ok":
        assert result == DECODER.decode(STRUCTURED)
    else:
        assert isinstance(result, Invalid) and result.reason == reason, result


names = st.sampled_from(
    ["content-type", "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "x-trace"]
)
header_values = st.one_of(
    st.none(),
    st.binary(max_size=40),
    st.sampled_from([b"1.0", b"call.queued", b"application/json", b"2026-05-02T11:30:00Z"]),
)


@given(
    headers=st.lists(st.tuples(names, header_values), max_size=8),
    value=st.one_of(st.binary(max_size=80), st.just(DATA), st.just(STRUCTURED)),
)
def test_whatever_the_headers_decoding_never_raises(headers, value):
    result = DECODER.decode_message(value, headers, "cx.calls")
    if isinstance(result, Invalid):
        assert result.reason in INVALID_REASONS and isinstance(result.detail, str)
