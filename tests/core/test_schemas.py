"""schemas/: well-formed 2020-12 documents, one per event type, agreeing with the decoder.

The reference validator (python-jsonschema) is run next to jsonschema-rs on the
examples the schemas carry, so the contract means the same thing to every consumer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
import referencing

from stream.core.decode import Decoder
from stream.core.events import INVALID_REASONS, TOPIC_OF_TYPE, Invalid
from stream.core.schema import (
    BASE_URI,
    ENVELOPE_ID,
    SCHEMA_DIR,
    Schemas,
    compiled,
    explain,
    load_schemas,
)

DOCUMENTS = load_schemas()
TYPES = sorted(TOPIC_OF_TYPE)
REGISTRY: referencing.Registry = referencing.Registry().with_resources(
    (doc["$id"], referencing.Resource.from_contents(doc)) for doc in DOCUMENTS.values()
)


def reference_validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(DOCUMENTS[name], registry=REGISTRY)


def test_the_package_sees_the_top_level_schemas() -> None:
    assert SCHEMA_DIR.is_dir()
    assert (SCHEMA_DIR / "envelope.schema.json").is_file()


def test_one_schema_per_event_type_and_the_envelope() -> None:
    assert set(DOCUMENTS) == {"envelope", *TOPIC_OF_TYPE}
    assert len(TYPES) == 22  # 8 call, 7 chat, 4 ticket, 2 survey, 1 agent


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_schema_is_a_valid_2020_12_schema(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(DOCUMENTS[name])
    assert DOCUMENTS[name]["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_schema_has_an_id_title_and_description(name: str) -> None:
    document = DOCUMENTS[name]
    assert document["$id"] == f"{BASE_URI}{name}.schema.json"
    assert document["title"] and document["description"]


@pytest.mark.parametrize("type_", TYPES)
def test_a_type_schema_extends_the_envelope_with_its_type_and_documented_data(type_: str) -> None:
    document = DOCUMENTS[type_]
    assert document["$ref"] == ENVELOPE_ID
    assert document["properties"]["type"] == {"const": type_}
    data = document["properties"]["data"]
    assert data["type"] == "object" and "additionalProperties" not in data
    assert set(data["required"]) <= set(data["properties"])
    for field, spec in data["properties"].items():
        assert spec.get("description"), f"{type_}: data.{field} has no description"


@pytest.mark.parametrize("type_", TYPES)
def test_the_examples_are_valid_for_both_validators_and_decode(type_: str) -> None:
    examples = DOCUMENTS[type_]["examples"]
    assert examples
    for example in examples:
        assert example["type"] == type_
        reference_validator(type_).validate(example)
        assert compiled().by_type[type_].is_valid(example)
        assert not isinstance(Decoder().decode(orjson.dumps(example)), Invalid)


def _survey(kind: str, score: Any) -> dict[str, Any]:
    example = dict(DOCUMENTS["survey.responded"]["examples"][0])
    example["data"] = {"survey_id": "s", "kind": kind, "score": score}
    return example


@pytest.mark.parametrize(
    ("kind", "low", "high"), [("csat", 1, 5), ("nps", 0, 10), ("ces", 1, 7), ("esat", 1, 5)]
)
def test_score_ranges_depend_on_the_kind_in_both_validators(kind: str, low: int, high: int) -> None:
    fast, reference = (
        compiled().by_type["survey.responded"],
        reference_validator("survey.responded"),
    )
    for score in range(-2, 13):
        expected = low <= score <= high
        assert fast.is_valid(_survey(kind, score)) is expected, (kind, score)
        assert reference.is_valid(_survey(kind, score)) is expected, (kind, score)
    assert not fast.is_valid(_survey(kind, True))
    assert not fast.is_valid(_survey(kind, float(high) + 0.5))


def test_both_validators_refuse_what_the_decoder_refuses() -> None:
    queued = DOCUMENTS["call.queued"]["examples"][0]
    refused = [
        {**queued, "specversion": "0.3"},
        {**queued, "id": ""},
        {**queued, "data": {"contact_id": "c"}},
        {**queued, "data": {"contact_id": "c", "queue": 5}},
        {**queued, "data": {"contact_id": "c", "queue": "q" * 129}},
        {**queued, "datacontenttype": "text/plain"},
        {key: value for key, value in queued.items() if key != "source"},
    ]
    for instance in refused:
        assert not reference_validator("call.queued").is_valid(instance)
        assert not compiled().by_type["call.queued"].is_valid(instance)
        reason, detail = explain(instance)
        assert reason in INVALID_REASONS and detail


def test_extra_fields_are_allowed_everywhere() -> None:
    queued = DOCUMENTS["call.queued"]["examples"][0]
    extra = {**queued, "traceparent": "00-1-2-01", "data": {**queued["data"], "vip": True}}
    assert reference_validator("call.queued").is_valid(extra)
    assert compiled().by_type["call.queued"].is_valid(extra)


def test_schemas_compile_once_per_process() -> None:
    assert compiled() is compiled()
    assert set(Schemas().by_type) == set(TOPIC_OF_TYPE)


def test_a_missing_schema_file_fails_loudly(tmp_path: Path) -> None:
    for name, document in DOCUMENTS.items():
        if name != "chat.message":
            (tmp_path / f"{name}.schema.json").write_bytes(orjson.dumps(document))
    with pytest.raises(RuntimeError, match=r"chat\.message"):
        Schemas(tmp_path)
