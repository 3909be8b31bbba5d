"""The event schemas of ``schemas/``: loaded and compiled once, and failures explained.

``schemas/`` is the single source of truth for the event contract (SPEC §3): one
``envelope.schema.json`` and one ``<type>.schema.json`` per event type, which references
the envelope by its ``$id``. This module compiles one validator per type at start-up so
the decoder's hot path is a single ``is_valid`` call, and only for a refused event walks
the errors to name one reason of ``INVALID_REASONS``.

Why jsonschema-rs: it is the fastest maintained validator with JSON Schema 2020-12
support (a Rust core; ``fastjsonschema`` would be quick too but stops at draft-07).
Measured on a realistic ``call.queued`` event (CPython 3.11, one core of the
development VM): ``is_valid`` takes 0.85 µs with jsonschema-rs 0.61 against 200 µs
with python-jsonschema 4.26 ``Draft202012Validator`` and a ``referencing`` registry —
over 200 times faster, which keeps validation a small part of the few µs per event
the whole core may spend.

Schema ``format`` keywords are annotations only (``validate_formats=False``): the
decoder parses ``time`` itself, which both checks it and yields the epoch milliseconds.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson

from .events import INVALID_REASONS, TOPIC_OF_TYPE

#: ``stream/schemas`` is a symlink to the top-level ``schemas/``, shipped as package data.
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
BASE_URI = "https://cxkpi.dev/schemas/"
ENVELOPE_ID = f"{BASE_URI}envelope.schema.json"
SUFFIX = ".schema.json"

#: Data fields whose values must never appear in a detail: it goes to logs and headers.
PRIVATE_FIELDS = frozenset({"customer_id", "agent_id"})
_RANK = {reason: rank for rank, reason in enumerate(INVALID_REASONS)}
_JSON_TYPE = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


class Schemas:
    """The compiled validators: the envelope alone, and one per event type."""

    __slots__ = ("by_type", "envelope")

    def __init__(self, directory: Path = SCHEMA_DIR) -> None:
        documents = load_schemas(directory)
        missing = set(TOPIC_OF_TYPE) - set(documents)
        if missing:  # our bug, not a producer's: fail loudly at start-up
            raise RuntimeError(f"no schema for event types {sorted(missing)} in {directory}")
        registry = jsonschema_rs.Registry([(doc["$id"], doc) for doc in documents.values()])

        def compile_one(document: dict[str, Any]) -> jsonschema_rs.Validator:
            return jsonschema_rs.Draft202012Validator(
                document, registry=registry, validate_formats=False, offline=True
            )

        self.envelope = compile_one(documents["envelope"])
        self.by_type = {name: compile_one(documents[name]) for name in TOPIC_OF_TYPE}


def load_schemas(directory: Path = SCHEMA_DIR) -> dict[str, dict[str, Any]]:
    """Every schema document by name: ``"envelope"`` and each event type."""
    return {
        path.name.removesuffix(SUFFIX): orjson.loads(path.read_bytes())
        for path in sorted(directory.glob(f"*{SUFFIX}"))
    }


@functools.cache
def compiled() -> Schemas:
    """The process-wide compiled schemas (compiling all of them takes a few ms)."""
    return Schemas()


def explain(instance: dict[str, Any], schemas: Schemas | None = None) -> tuple[str, str]:
    """(reason, detail) for an event object its schema refused, or whose type is unknown.

    Every error is mapped to a reason and the most basic one (first in
    ``INVALID_REASONS``) wins, so one event always gets the same reason however
    many things are wrong with it. Only called off the hot path.
    """
    schemas = schemas or compiled()
    type_ = instance.get("type")
    validator = schemas.by_type.get(type_) if type(type_) is str else None
    found: list[tuple[str, str]] = []
    if validator is None:
        validator = schemas.envelope
        if type(type_) is str:
            found.append(("unknown_type", f"type: unknown event type {_show(type_)}"))
    try:
        found.extend(_reason(error) for error in validator.iter_errors(instance))
    except ValueError:  # jsonschema-rs reports errors only up to a nesting depth of ~255
        found.extend(_reason(error) for error in validator.iter_errors(_prune(instance)))
    if not found:  # cannot happen for a refused instance; stay total anyway
        return "bad_value", "refused by its schema"
    return min(found, key=lambda pair: _RANK[pair[0]])


def _reason(error: jsonschema_rs.ValidationError) -> tuple[str, str]:
    """One validation error → (reason, detail)."""
    path = list(error.instance_path)
    kind = error.kind.name
    args = error.kind.as_dict()
    if kind == "required":
        path.append(args["property"])
    where = _path(path)
    head = path[0] if path else ""
    if head == "data" and len(path) > 1:
        reason = {"required": "missing_field", "type": "wrong_type"}.get(kind, "bad_value")
    elif head == "time" and kind != "required":
        reason = "bad_time"
    else:  # envelope attributes, a missing attribute, or data that is not an object
        reason = "bad_envelope"
    private = any(part in PRIVATE_FIELDS for part in path)
    return reason, f"{where}: {_describe(kind, args, error, private)}"


def _describe(kind: str, args: dict[str, Any], error: Any, private: bool) -> str:
    """What was wrong, in words; never echoes a private value."""
    if kind == "required":
        return "required field is missing"
    if kind == "type":
        got = _JSON_TYPE.get(type(error.instance), "value")
        return f"expected {' or '.join(args['types'])}, got {got}"
    if kind == "const":
        return f"must be {_show(args['expected_value'])}"
    if kind == "minLength":
        return "must not be empty" if args["limit"] == 1 else f"shorter than {args['limit']}"
    if kind == "maxLength":
        return f"longer than {args['limit']} characters"
    value = "value" if private else _show(error.instance)
    if kind == "enum":
        return f"{value} is not one of {', '.join(map(str, args['options']))}"
    if kind == "minimum":
        return f"{value} is below the minimum {args['limit']}"
    if kind == "maximum":
        return f"{value} is above the maximum {args['limit']}"
    return kind if private else _clip(error.message)


def _prune(value: Any, depth: int = 8) -> Any:
    """A copy with containers deeper than ``depth`` emptied (kept as array or object).

    No schema looks deeper than ``data.queues[i]``, so the errors, and the reason, of
    the pruned copy are those of the original.
    """
    if type(value) is dict:
        return {k: _prune(v, depth - 1) for k, v in value.items()} if depth else {}
    if type(value) is list:
        return [_prune(v, depth - 1) for v in value] if depth else []
    return value


def _path(parts: list[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "event"


def _show(value: Any) -> str:
    """A JSON rendering of a value, clipped so a detail stays one short line."""
    try:
        text = orjson.dumps(value).decode()
    except TypeError:  # nested too deep for orjson; repr could recurse just as deep
        text = f"(an {_JSON_TYPE.get(type(value), 'value')})"
    return _clip(text)


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
