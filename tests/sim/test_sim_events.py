"""Every generated event is a valid CloudEvent of SPEC §3, on its topic, with its key."""

from __future__ import annotations

from collections import Counter

import pytest

from stream.core.decode import Decoder
from stream.core.events import TOPIC_OF_TYPE, Invalid
from stream.core.timeutil import parse_time
from stream.sim import Record, to_json_line
from stream.sim.builder import KEY_FIELD_OF_PREFIX, SOURCE_OF_PREFIX

DECODER = Decoder()


def test_every_event_type_appears_in_a_day(clean_day: list[tuple[int, Record]]) -> None:
    seen = Counter(record.value["type"] for _, record in clean_day)
    assert set(seen) == set(TOPIC_OF_TYPE)


def test_every_event_validates_against_the_schemas(clean_day: list[tuple[int, Record]]) -> None:
    for _, record in clean_day:
        raw = to_json_line(record.value).rstrip(b"\n")
        event = DECODER.decode(raw, record.topic)
        assert not isinstance(event, Invalid), (event, raw)
        assert event.type == record.value["type"]
        assert event.key == record.key


def test_envelope_topic_and_key(clean_day: list[tuple[int, Record]]) -> None:
    for _, record in clean_day:
        event = record.value
        assert isinstance(event, dict)
        prefix = event["type"].partition(".")[0]
        assert event["specversion"] == "1.0"
        assert event["datacontenttype"] == "application/json"
        assert event["source"] == SOURCE_OF_PREFIX[prefix]
        assert record.topic == TOPIC_OF_TYPE[event["type"]]
        assert record.key == event["data"][KEY_FIELD_OF_PREFIX[prefix]]
        assert event["time"].endswith("Z")


def test_ids_are_unique_per_source_without_faults(clean_day: list[tuple[int, Record]]) -> None:
    pairs = [(record.value["source"], record.value["id"]) for _, record in clean_day]
    assert len(pairs) == len(set(pairs))


def test_events_come_in_event_time_order(clean_day: list[tuple[int, Record]]) -> None:
    times = [parse_time(record.value["time"]) for _, record in clean_day]
    assert times == sorted(times)
    assert [emit for emit, _ in clean_day] == times


@pytest.mark.parametrize(
    ("type_", "field", "allowed"),
    [
        ("survey.responded", "kind", {"csat", "nps", "ces", "esat"}),
        ("ticket.created", "priority", {"low", "normal", "high", "urgent"}),
        ("ticket.status_changed", "status", {"open", "pending", "on_hold", "solved", "closed"}),
        ("ticket.commented", "author", {"customer", "agent"}),
        ("chat.message", "author", {"customer", "agent", "bot"}),
        (
            "agent.state_changed",
            "state",
            {"available", "on_contact", "after_contact_work", "away", "offline"},
        ),
    ],
)
def test_enumerations_are_fully_used(
    clean_day: list[tuple[int, Record]], type_: str, field: str, allowed: set[str]
) -> None:
    values = {r.value["data"][field] for _, r in clean_day if r.value["type"] == type_}
    assert values == allowed


def test_surveys_carry_their_labels(clean_day: list[tuple[int, Record]]) -> None:
    for _, record in clean_day:
        data = record.value["data"]
        if record.value["type"].startswith("survey."):
            if data["kind"] == "esat":
                assert data["team"]
            else:
                assert data["queue"] and data["channel"]
        if record.value["type"] == "survey.responded":
            low, high = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7), "esat": (1, 5)}[
                data["kind"]
            ]
            assert low <= data["score"] <= high
