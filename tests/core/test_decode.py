"""The decoder: every event type of SPEC §3 in, typed events or an Invalid reason out."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stream.core.config import Limits
from stream.core.decode import Decoder, customer_hash
from stream.core.events import (
    INVALID_REASONS,
    TOPIC_OF_TYPE,
    AgentEvent,
    ContactEvent,
    Invalid,
    SurveyEvent,
    TicketEvent,
)
from stream.core.timeutil import TimeParser

TIME = "2024-05-02T09:30:00.250Z"
TIME_MS = 1_714_642_200_250
DECODER = Decoder()


def message(type_: str, data: dict[str, Any], **envelope: Any) -> dict[str, Any]:
    """A valid CloudEvents envelope around ``data``; keyword arguments override or add."""
    event = {
        "specversion": "1.0",
        "id": "e-1",
        "source": "/pbx/eu-1",
        "type": type_,
        "time": TIME,
        "datacontenttype": "application/json",
        "data": data,
    }
    event.update(envelope)
    return event


def raw(type_: str, data: dict[str, Any], **envelope: Any) -> bytes:
    return orjson.dumps(message(type_, data, **envelope))


def drop(event: dict[str, Any], *path: str) -> dict[str, Any]:
    """A copy of ``event`` without the field at ``path`` (e.g. "data", "queue")."""
    copy = json.loads(json.dumps(event))
    parent = copy
    for part in path[:-1]:
        parent = parent[part]
    del parent[path[-1]]
    return copy


# (type, data, family, fields expected besides the header) for every type of SPEC §3.
VALID: list[tuple[str, dict[str, Any], type, dict[str, Any]]] = []
for prefix in ("call", "chat"):
    c = {"contact_id": "c-1"}
    VALID += [
        (f"{prefix}.queued", {**c, "queue": "billing"}, ContactEvent, {"queue": "billing"}),
        (f"{prefix}.answered", {**c, "agent_id": "a-7"}, ContactEvent, {"agent": "a-7"}),
        (f"{prefix}.abandoned", c, ContactEvent, {}),
        (f"{prefix}.transferred", {**c, "to_queue": "sales"}, ContactEvent, {"queue": "sales"}),
        (f"{prefix}.ended", {**c, "resolved": False}, ContactEvent, {"resolved": False}),
        (f"{prefix}.wrapup_ended", {**c, "resolved": True}, ContactEvent, {"resolved": True}),
    ]
VALID += [
    ("call.hold_started", {"contact_id": "c-1"}, ContactEvent, {}),
    ("call.hold_ended", {"contact_id": "c-1"}, ContactEvent, {}),
    ("chat.message", {"contact_id": "c-1", "author": "bot"}, ContactEvent, {"author": "bot"}),
    (
        "ticket.created",
        {"ticket_id": "t-1", "queue": "billing", "priority": "urgent", "channel": "web"},
        TicketEvent,
        {"queue": "billing", "priority": "urgent", "channel": "web", "public": True},
    ),
    (
        "ticket.commented",
        {"ticket_id": "t-1", "author": "agent", "public": False},
        TicketEvent,
        {"author": "agent", "public": False},
    ),
    (
        "ticket.status_changed",
        {"ticket_id": "t-1", "status": "on_hold"},
        TicketEvent,
        {"status": "on_hold"},
    ),
    (
        "ticket.assigned",
        {"ticket_id": "t-1", "queue": "vip", "agent_id": "a-7"},
        TicketEvent,
        {"queue": "vip", "agent": "a-7"},
    ),
    (
        "survey.sent",
        {"survey_id": "s-1", "kind": "ces", "queue": "billing", "ticket_id": "t-1"},
        SurveyEvent,
        {"kind": "ces", "queue": "billing"},
    ),
    (
        "survey.responded",
        {"survey_id": "s-1", "kind": "nps", "score": 0, "channel": "chat", "team": "t1"},
        SurveyEvent,
        {"kind": "nps", "score": 0, "channel": "chat", "team": "t1"},
    ),
    (
        "agent.state_changed",
        {"agent_id": "a-7", "state": "after_contact_work", "queues": ["b", "a"], "team": "t1"},
        AgentEvent,
        {"state": "after_contact_work", "queues": ("b", "a"), "team": "t1"},
    ),
]
KEY_FIELD = {"call": "contact_id", "chat": "contact_id", "ticket": "ticket_id"}
KEY_FIELD |= {"survey": "survey_id", "agent": "agent_id"}


def test_every_event_type_has_a_valid_example() -> None:
    assert {type_ for type_, *_ in VALID} == set(TOPIC_OF_TYPE)


@pytest.mark.parametrize(("type_", "data", "family", "fields"), VALID, ids=[v[0] for v in VALID])
def test_a_valid_event_decodes_into_its_named_tuple(
    type_: str, data: dict[str, Any], family: type, fields: dict[str, Any]
) -> None:
    event = DECODER.decode(raw(type_, data), TOPIC_OF_TYPE[type_])
    assert type(event) is family
    prefix, action = type_.split(".")
    header = {"type": type_, "source": "/pbx/eu-1", "id": "e-1", "time_ms": TIME_MS}
    header |= {"key": data[KEY_FIELD[prefix]], "action": action}
    if family is ContactEvent:
        header["channel"] = "voice" if prefix == "call" else "chat"
    expected = family(**header, **fields)
    assert event == expected
    assert len(event) == len(family._fields)


def test_ticket_created_defaults_priority_normal_and_channel_email() -> None:
    event = DECODER.decode(raw("ticket.created", {"ticket_id": "t-1", "queue": "q"}))
    assert isinstance(event, TicketEvent)
    assert (event.priority, event.channel, event.public, event.status) == (
        "normal",
        "email",
        True,
        None,
    )


def test_ticket_comment_is_public_by_default() -> None:
    event = DECODER.decode(raw("ticket.commented", {"ticket_id": "t-1", "author": "customer"}))
    assert isinstance(event, TicketEvent)
    assert event.public is True


def test_customer_ids_are_hashed_never_kept_in_clear() -> None:
    queued = DECODER.decode(
        raw("call.queued", {"contact_id": "c-1", "queue": "q", "customer_id": "+4915112345"})
    )
    created = DECODER.decode(
        raw("ticket.created", {"ticket_id": "t-1", "queue": "q", "customer_id": "+4915112345"})
    )
    assert isinstance(queued, ContactEvent) and isinstance(created, TicketEvent)
    assert queued.customer == created.customer == customer_hash("+4915112345")
    assert "+4915112345" not in repr(queued) + repr(created)


def test_customer_hash_is_a_short_stable_hex_digest() -> None:
    digest = customer_hash("cust-42")
    assert len(digest) == 16 and int(digest, 16) >= 0
    assert digest == customer_hash("cust-42") != customer_hash("cust-43")


def test_repeating_strings_are_interned() -> None:
    one = DECODER.decode(raw("call.queued", {"contact_id": "c-1", "queue": "billing-eu"}))
    two = DECODER.decode(raw("call.queued", {"contact_id": "c-2", "queue": "billing-eu"}))
    assert isinstance(one, ContactEvent) and isinstance(two, ContactEvent)
    assert one.queue is two.queue and one.source is two.source
    assert one.type is two.type and one.channel is two.channel


def test_agent_queues_become_a_tuple_listing_each_queue_once() -> None:
    data = {"agent_id": "a-7", "state": "available", "queues": ["b", "a", "b"]}
    event = DECODER.decode(raw("agent.state_changed", data))
    assert isinstance(event, AgentEvent)
    assert event.queues == ("b", "a")
    no_queues = DECODER.decode(raw("agent.state_changed", {"agent_id": "a", "state": "away"}))
    assert isinstance(no_queues, AgentEvent) and no_queues.queues == () and no_queues.team is None


def test_a_whole_number_score_written_as_float_becomes_an_int() -> None:
    data = {"survey_id": "s", "kind": "csat", "score": 5.0}
    assert b'"score":5.0' in raw("survey.responded", data)
    event = DECODER.decode(raw("survey.responded", data))
    assert isinstance(event, SurveyEvent)
    assert event.score == 5 and type(event.score) is int


def test_times_with_any_offset_become_utc_milliseconds() -> None:
    data = {"contact_id": "c-1"}
    berlin = DECODER.decode(raw("call.abandoned", data, time="2024-05-02T11:30:00.250+02:00"))
    assert isinstance(berlin, ContactEvent) and berlin.time_ms == TIME_MS


def test_times_stay_exact_across_the_time_cache() -> None:
    decoder = Decoder()
    for second in range(TimeParser.SIZE + 50):
        time = f"2024-05-02T{9 + second // 3600:02}:{second // 60 % 60:02}:{second % 60:02}Z"
        for _ in range(2):  # a miss, then a hit
            event = decoder.decode(raw("call.abandoned", {"contact_id": "c"}, time=time))
            assert isinstance(event, ContactEvent)
            assert event.time_ms == 1_714_640_400_000 + second * 1000


def test_unknown_extra_fields_are_accepted_and_ignored() -> None:
    base = message("call.queued", {"contact_id": "c-1", "queue": "q"})
    extra = message(
        "call.queued",
        # agent_id belongs to call.answered; here it is an unchecked extra, never read
        {"contact_id": "c-1", "queue": "q", "agent_id": 5, "ivr_path": [1, {"x": None}]},
        traceparent="00-abc-def-01",
        partitionkey="c-1",
    )
    assert DECODER.decode(orjson.dumps(extra)) == DECODER.decode(orjson.dumps(base))
    assert isinstance(DECODER.decode(orjson.dumps(base)), ContactEvent)


QUEUED = message("call.queued", {"contact_id": "c-1", "queue": "billing"})
NPS = {"survey_id": "s-1", "kind": "nps", "score": 10}
# (case id, message bytes, reason, text the detail must contain, a valid neighbour)
# fmt: off
INVALID: list[tuple[str, bytes, str, str, bytes]] = [
    ("not-json", b'{"specversion": "1.0",', "not_json", "event:", orjson.dumps(QUEUED)),
    ("text", b"hello", "not_json", "event:", orjson.dumps(QUEUED)),
    ("empty", b"", "not_json", "empty", orjson.dumps(QUEUED)),
    ("bad-utf8", b'{"id": "\xff\xfe"}', "bad_utf8", "UTF-8",
     raw("call.queued", {"contact_id": "c-1", "queue": "é"})),
    ("latin-1", orjson.dumps(QUEUED).replace(b"billing", "bill\xefng".encode("latin-1")),
     "bad_utf8", "byte", orjson.dumps(QUEUED).replace(b"billing", "bill\xefng".encode())),
    ("array", b"[1, 2]", "not_an_object", "array", orjson.dumps(QUEUED)),
    ("string", b'"call.queued"', "not_an_object", "scalar", orjson.dumps(QUEUED)),
    ("null", b"null", "not_an_object", "scalar", orjson.dumps(QUEUED)),
    ("unknown-type", raw("call.teleported", {"contact_id": "c-1"}), "unknown_type",
     '"call.teleported"', raw("call.abandoned", {"contact_id": "c-1"})),
    ("type-case", raw("Call.Queued", {"contact_id": "c-1", "queue": "q"}), "unknown_type",
     "unknown event type", raw("call.queued", {"contact_id": "c-1", "queue": "q"})),
    ("chat-hold", raw("chat.hold_started", {"contact_id": "c-1"}), "unknown_type",
     "chat.hold_started", raw("call.hold_started", {"contact_id": "c-1"})),
    ("missing-queue", orjson.dumps(drop(QUEUED, "data", "queue")), "missing_field",
     "data.queue: required", orjson.dumps(QUEUED)),
    ("missing-score", raw("survey.responded", {"survey_id": "s-1", "kind": "nps"}),
     "missing_field", "data.score", raw("survey.responded", NPS)),
    ("queue-number", raw("call.queued", {"contact_id": "c-1", "queue": 7}), "wrong_type",
     "data.queue: expected string, got integer", orjson.dumps(QUEUED)),
    ("score-string", raw("survey.responded", {**NPS, "score": "10"}), "wrong_type",
     "data.score: expected integer", raw("survey.responded", NPS)),
    ("score-fraction", raw("survey.responded", {**NPS, "score": 9.5}), "wrong_type",
     "data.score", raw("survey.responded", {**NPS, "score": 9.0})),
    ("resolved-string", raw("call.ended", {"contact_id": "c", "resolved": "yes"}), "wrong_type",
     "data.resolved: expected boolean", raw("call.ended", {"contact_id": "c", "resolved": True})),
    ("queues-string", raw("agent.state_changed", {"agent_id": "a", "state": "away",
     "queues": "billing"}), "wrong_type", "data.queues: expected array",
     raw("agent.state_changed", {"agent_id": "a", "state": "away", "queues": ["billing"]})),
    ("nps-11", raw("survey.responded", {**NPS, "score": 11}), "bad_value",
     "data.score: 11 is above the maximum 10", raw("survey.responded", NPS)),
    ("nps-negative", raw("survey.responded", {**NPS, "score": -1}), "bad_value",
     "data.score: -1 is below the minimum 0", raw("survey.responded", {**NPS, "score": 0})),
    ("csat-0", raw("survey.responded", {**NPS, "kind": "csat", "score": 0}), "bad_value",
     "below the minimum 1", raw("survey.responded", {**NPS, "kind": "csat", "score": 1})),
    ("csat-6", raw("survey.responded", {**NPS, "kind": "csat", "score": 6}), "bad_value",
     "above the maximum 5", raw("survey.responded", {**NPS, "kind": "csat", "score": 5})),
    ("ces-8", raw("survey.responded", {**NPS, "kind": "ces", "score": 8}), "bad_value",
     "above the maximum 7", raw("survey.responded", {**NPS, "kind": "ces", "score": 7})),
    ("esat-6", raw("survey.responded", {**NPS, "kind": "esat", "score": 6}), "bad_value",
     "above the maximum 5", raw("survey.responded", {**NPS, "kind": "esat", "score": 5})),
    ("kind-unknown", raw("survey.sent", {"survey_id": "s", "kind": "ltr"}), "bad_value",
     "data.kind", raw("survey.sent", {"survey_id": "s", "kind": "csat"})),
    ("priority-p1", raw("ticket.created", {"ticket_id": "t", "queue": "q", "priority": "p1"}),
     "bad_value", 'data.priority: "p1" is not one of low, normal, high, urgent',
     raw("ticket.created", {"ticket_id": "t", "queue": "q", "priority": "urgent"})),
    ("status-unknown", raw("ticket.status_changed", {"ticket_id": "t", "status": "done"}),
     "bad_value", "data.status",
     raw("ticket.status_changed", {"ticket_id": "t", "status": "closed"})),
    ("author-bot-on-ticket", raw("ticket.commented", {"ticket_id": "t", "author": "bot"}),
     "bad_value", "data.author", raw("ticket.commented", {"ticket_id": "t", "author": "agent"})),
    ("state-unknown", raw("agent.state_changed", {"agent_id": "a", "state": "lunch"}),
     "bad_value", "data.state", raw("agent.state_changed", {"agent_id": "a", "state": "away"})),
    ("empty-queue", raw("call.queued", {"contact_id": "c-1", "queue": ""}), "bad_value",
     "data.queue: must not be empty", orjson.dumps(QUEUED)),
    ("long-queue", raw("call.queued", {"contact_id": "c-1", "queue": "q" * 129}), "bad_value",
     "longer than 128", raw("call.queued", {"contact_id": "c-1", "queue": "q" * 128})),
    ("long-id", raw("call.abandoned", {"contact_id": "c" * 257}), "bad_value",
     "data.contact_id: longer than 256", raw("call.abandoned", {"contact_id": "c" * 256})),
    ("empty-queue-in-list", raw("agent.state_changed", {"agent_id": "a", "state": "away",
     "queues": ["q", ""]}), "bad_value", "data.queues[1]",
     raw("agent.state_changed", {"agent_id": "a", "state": "away", "queues": ["q", "r"]})),
    ("no-offset", raw("call.abandoned", {"contact_id": "c"}, time="2024-05-02T09:30:00.250"),
     "bad_time", "no UTC offset", raw("call.abandoned", {"contact_id": "c"},
     time="2024-05-02T09:30:00+00:00")),
    ("no-offset-short", raw("call.abandoned", {"contact_id": "c"}, time="2024-05-02T09:30:00"),
     "bad_time", "no UTC offset", raw("call.abandoned", {"contact_id": "c"})),
    ("no-time-of-day", raw("call.abandoned", {"contact_id": "c"}, time="2024-05-02"),
     "bad_time", "time:", raw("call.abandoned", {"contact_id": "c"})),
    ("month-13", raw("call.abandoned", {"contact_id": "c"}, time="2024-13-02T09:30:00Z"),
     "bad_time", "time:", raw("call.abandoned", {"contact_id": "c"})),
    ("prose", raw("call.abandoned", {"contact_id": "c"}, time="yesterday at noon, roughly"),
     "bad_time", "time:", raw("call.abandoned", {"contact_id": "c"})),
    ("epoch-number", raw("call.abandoned", {"contact_id": "c"}, time=1714642200),
     "bad_time", "time: expected string", raw("call.abandoned", {"contact_id": "c"})),
    ("specversion", raw("call.abandoned", {"contact_id": "c"}, specversion="0.3"),
     "bad_envelope", 'specversion: must be "1.0"', raw("call.abandoned", {"contact_id": "c"})),
    ("no-id", orjson.dumps(drop(QUEUED, "id")), "bad_envelope", "id: required",
     orjson.dumps(QUEUED)),
    ("empty-source", orjson.dumps({**QUEUED, "source": ""}), "bad_envelope", "source",
     orjson.dumps(QUEUED)),
    ("no-time", orjson.dumps(drop(QUEUED, "time")), "bad_envelope", "time: required",
     orjson.dumps(QUEUED)),
    ("no-type", orjson.dumps(drop(QUEUED, "type")), "bad_envelope", "type: required",
     orjson.dumps(QUEUED)),
    ("type-number", orjson.dumps({**QUEUED, "type": 3}), "bad_envelope", "type: expected",
     orjson.dumps(QUEUED)),
    ("data-array", raw("call.abandoned", ["c"]), "bad_envelope",  # type: ignore[arg-type]
     "data: expected object", raw("call.abandoned", {"contact_id": "c"})),
    ("no-data", orjson.dumps(drop(QUEUED, "data")), "bad_envelope", "data: required",
     orjson.dumps(QUEUED)),
    ("content-type", orjson.dumps({**QUEUED, "datacontenttype": "text/xml"}), "bad_envelope",
     "datacontenttype", orjson.dumps(drop(QUEUED, "datacontenttype"))),
    ("envelope-before-data", orjson.dumps(drop({**QUEUED, "specversion": "2"}, "data", "queue")),
     "bad_envelope", "specversion", orjson.dumps(QUEUED)),
    ("envelope-before-type", orjson.dumps({**QUEUED, "type": "x.y", "specversion": 1}),
     "bad_envelope", "specversion", orjson.dumps(QUEUED)),
]
# fmt: on


@pytest.mark.parametrize(
    ("bad", "reason", "detail", "neighbour"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
def test_each_invalid_reason_and_its_valid_neighbour(
    bad: bytes, reason: str, detail: str, neighbour: bytes
) -> None:
    result = DECODER.decode(bad, "cx.calls")
    assert isinstance(result, Invalid)
    assert result.reason == reason
    assert detail in result.detail
    assert reason in INVALID_REASONS
    assert not isinstance(DECODER.decode(neighbour), Invalid)


def test_invalid_events_do_not_disturb_the_events_around_them() -> None:
    valid = [orjson.dumps(QUEUED), raw("survey.responded", NPS)]
    alone = [DECODER.decode(m) for m in valid]
    mixed = [DECODER.decode(m) for case in INVALID for m in (valid[0], case[1], valid[1])]
    assert mixed[0::3] == [alone[0]] * len(INVALID)
    assert mixed[2::3] == [alone[1]] * len(INVALID)


def test_oversized_messages_are_refused_before_parsing() -> None:
    body = orjson.dumps(QUEUED)
    decoder = Decoder(Limits(max_event_bytes=len(body)))
    assert isinstance(decoder.decode(body), ContactEvent)
    too_big = body[:-1] + b" }"
    result = decoder.decode(too_big, "cx.calls")
    assert result == Invalid(
        "oversized", f"{len(body) + 1} bytes; the limit is {len(body)}", "cx.calls"
    )
    assert DECODER.decode(b"{" + b" " * 70_000 + b"}").reason == "oversized"  # type: ignore[union-attr]


def test_a_tombstone_is_not_json() -> None:
    assert DECODER.decode(None, "cx.calls") == Invalid("not_json", "empty message", "cx.calls")  # type: ignore[arg-type]


def test_invalid_topic_is_the_topic_of_a_readable_type() -> None:
    bad_nps = raw("survey.responded", {**NPS, "score": 11})
    assert DECODER.decode(bad_nps, "cx.calls").topic == "cx.surveys"  # type: ignore[union-attr]
    bad_time = raw("chat.abandoned", {"contact_id": "c"}, time="soon")
    assert DECODER.decode(bad_time, None).topic == "cx.chats"  # type: ignore[union-attr]
    for unreadable in (b"nope", b"[]", raw("call.teleported", {}), b"\xff"):
        assert DECODER.decode(unreadable, "cx.calls").topic == "cx.calls"  # type: ignore[union-attr]
        assert DECODER.decode(unreadable).topic is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "data",
    [
        {"contact_id": "c", "queue": "q", "customer_id": "+4915112345" * 30},
        {"contact_id": "c", "queue": "q", "customer_id": 4915112345},
        {"contact_id": "c", "queue": "q", "customer_id": ["+4915112345"]},
    ],
)
def test_details_never_show_a_customer_id(data: dict[str, Any]) -> None:
    result = DECODER.decode(raw("call.queued", data))
    assert isinstance(result, Invalid) and result.reason in ("bad_value", "wrong_type")
    assert "4915112345" not in result.detail


def test_details_stay_short_whatever_the_input() -> None:
    data = {"ticket_id": "t", "queue": "q", "priority": "x" * 5000}
    result = DECODER.decode(raw("ticket.created", data))
    assert isinstance(result, Invalid) and len(result.detail) < 200
    result = DECODER.decode(raw("call.abandoned", {"contact_id": "c"}, time="x" * 5000))
    assert isinstance(result, Invalid) and len(result.detail) < 200


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("depth", [10, 300, 1000])
@pytest.mark.parametrize(
    ("template", "reason"),
    [
        (b'"data":{"contact_id":"c","queue":"q","extra":DEEP}', None),
        (b'"data":{"contact_id":"c","queue":DEEP}', "wrong_type"),
        (b'"data":{"contact_id":"c","extra":DEEP}', "missing_field"),
        (b'"data":{"contact_id":"c","customer_id":DEEP}', "missing_field"),
        (b'"data":DEEP', "bad_envelope"),
    ],
)
def test_deeply_nested_values_get_a_reason_not_an_exception(
    depth: int, template: bytes, reason: str | None
) -> None:
    head = raw("call.queued", {}).split(b'"data"')[0]
    result = DECODER.decode(head + template.replace(b"DEEP", nested(depth)) + b"}")
    if reason is None:
        assert isinstance(result, ContactEvent)
    else:
        assert isinstance(result, Invalid) and result.reason == reason


def check_total(result: object) -> None:
    """Whatever came in, an event or an Invalid with a known reason came out."""
    if isinstance(result, Invalid):
        assert result.reason in INVALID_REASONS and isinstance(result.detail, str)
    else:
        assert isinstance(result, ContactEvent | TicketEvent | SurveyEvent | AgentEvent)


@settings(max_examples=500)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    check_total(DECODER.decode(data, "cx.calls"))


@settings(max_examples=500)
@given(
    index=st.integers(0, len(VALID) - 1),
    edits=st.lists(st.tuples(st.integers(0, 400), st.binary(max_size=3)), min_size=1, max_size=4),
)
def test_damaged_valid_messages_never_raise(index: int, edits: list[tuple[int, bytes]]) -> None:
    body = bytearray(raw(*VALID[index][:2]))
    for position, replacement in edits:
        at = position % len(body)
        body[at : at + len(replacement)] = replacement
    check_total(DECODER.decode(bytes(body), "cx.calls"))


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300)
@given(JSON)
def test_arbitrary_json_values_never_raise(value: Any) -> None:
    check_total(DECODER.decode(json.dumps(value).encode()))


FIELD_NAMES = sorted({name for _, data, _, _ in VALID for name in data} | {"customer_id"})
FIELD_VALUES = st.sampled_from(["", "q", "nps", "csat", "agent", "solved", "away"]) | JSON


@settings(max_examples=500)
@given(
    type_=st.sampled_from(sorted(TOPIC_OF_TYPE)),
    data=st.dictionaries(st.sampled_from(FIELD_NAMES), FIELD_VALUES, max_size=6),
    envelope=st.dictionaries(
        st.sampled_from(["specversion", "id", "source", "time", "datacontenttype"]),
        st.sampled_from(["1.0", "", "2024-05-02T09:30:00Z", "application/json"]) | JSON,
        max_size=2,
    ),
)
def test_event_shaped_json_never_raises(
    type_: str, data: dict[str, Any], envelope: dict[str, Any]
) -> None:
    result = DECODER.decode(json.dumps(message(type_, data, **envelope)).encode())
    check_total(result)
    if not isinstance(result, Invalid):
        assert result.type == type_
