"""Hostile messages for tests and benchmarks: every way a broken or malicious producer
can spoil a message, made from valid events so that they reach the topics real ones do.

The simulator's own faults (``faults.py``) are the few a real integration makes now and
then; these are the catalogue an attacker or a fuzzer would try: random bytes, invalid
UTF-8, empty values, JSON that is not an object, nesting 10,000 deep, numbers that
overflow a double, values just under and just over the size limit, every required
field missing or of the wrong type, unknown types, extreme or offset-less or non-time
timestamps, raw NUL bytes and ``data: null``. Pure: a seed in, the same bytes out.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import orjson

from ..core.events import KEY_FIELD_OF_PREFIX

__all__ = ["KINDS", "hostile", "interleave"]

ENVELOPE = ("specversion", "id", "source", "type", "time", "data")
WRONG = (123, 1.5, True, None, [], {}, "")
BAD_TIMES = (
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "2026-05-02T11:30:00",
    "2026-05-02 11:30:00Z",
    "yesterday",
    "",
    "2026-05-02T11:30:00\x00Z",
)
Spoil = Callable[[dict[str, Any], random.Random, int], bytes]


def _dumps(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event)


def _key_field(event: dict[str, Any]) -> str:
    return KEY_FIELD_OF_PREFIX[str(event["type"]).partition(".")[0]]


def _random_bytes(event: dict[str, Any], rng: random.Random, limit: int) -> bytes:
    return rng.randbytes(rng.randint(1, 300))


def _invalid_utf8(event: dict[str, Any], rng: random.Random, limit: int) -> bytes:
    raw = _dumps(event)
    at = raw.index(b'"id":"') + 6
    return raw[:at] + rng.choice((b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88")) + raw[at:]


def _empty(event: dict[str, Any], rng: random.Random, limit: int) -> bytes:
    return rng.choice((b"", b" ", b"\n"))


def _not_an_object(event: dict[str, Any], rng: random.Random, limit: int) -> bytes:
    return rng.choice(
        (b"[1,2,3]", b'"call.queued"', b"42", b"null", b"true", b"[" + _dumps(event) + b"]")
    )


def _deep(event: dict[str, Any], rng: random.Random, limit: int) -> bytes:
    depth = 10_000
    if rng.random() < 0.5:
        return b"[" * depth + b"]" * depth
    raw = _dumps({**event, "data": None})
    return raw.replace(b'"data":null', b'"data":' + b'{"a":' * depth + b"1" + b"}" * depth)


def _huge_number(event: dict[str, Any], rng: random.Random, limit: int) -> bytes:
    raw = _dumps({**event, "id": 0})
    return raw.replace(b'"id":0', b'"id":' + rng.choice((b"1e309", b"-1e309", b"9" * 400)))


def _oversized(event: dict[str, Any], rng: random.Random, limit: int) -> bytes:
    """One byte over the limit; its twin one byte under is valid (see ``interleave``)."""
    return _padded(event, limit + 1)


def _missing_field(event: dict[str, Any], rng: random.Random, limit: int) -> bytes:
    """An envelope field or the entity id: required whatever the type."""
    spoilt = dict(event)
    if rng.random() < 0.5:
        del spoilt[rng.choice(ENVELOPE)]
    else:
        spoilt["data"] = {k: v for k, v in event["data"].items() if k != _key_field(event)}
    return _dumps(spoilt)


def _wrong_type(event: dict[str, Any], rng: random.Random, limit: int) -> bytes:
    spoilt = dict(event)
    if rng.random() < 0.5:
        name = rng.choice(ENVELOPE)
        spoilt[name] = rng.choice([w for w in WRONG if type(w) is not type(event[name])])
    else:
        name = _key_field(event)
        spoilt["data"] = {**event["data"], name: rng.choice([w for w in WRONG if w != ""])}
    return _dumps(spoilt)


def _unknown_type(event: dict[str, Any], rng: random.Random, limit: int) -> bytes:
    kind = rng.choice(("call.teleported", "chat.", "ticket", "", "CALL.QUEUED", "call.queued "))
    return _dumps({**event, "type": kind})


def _bad_time(event: dict[str, Any], rng: random.Random, limit: int) -> bytes:
    return _dumps({**event, "time": rng.choice(BAD_TIMES)})


def _nul_byte(event: dict[str, Any], rng: random.Random, limit: int) -> bytes:
    raw = _dumps(event)
    at = rng.randrange(1, len(raw) - 1)
    return raw[:at] + b"\x00" + raw[at:]


def _data_null(event: dict[str, Any], rng: random.Random, limit: int) -> bytes:
    return _dumps({**event, "data": rng.choice((None, [], "x", 1))})


KINDS: dict[str, Spoil] = {
    "random_bytes": _random_bytes,
    "invalid_utf8": _invalid_utf8,
    "empty": _empty,
    "not_an_object": _not_an_object,
    "deep": _deep,
    "huge_number": _huge_number,
    "oversized": _oversized,
    "missing_field": _missing_field,
    "wrong_type": _wrong_type,
    "unknown_type": _unknown_type,
    "bad_time": _bad_time,
    "nul_byte": _nul_byte,
    "data_null": _data_null,
}


def hostile(
    event: dict[str, Any], rng: random.Random, limit: int, kind: str | None = None
) -> bytes:
    """One hostile message made from a valid ``event`` (``kind``: one of ``KINDS``)."""
    return KINDS[kind or rng.choice(tuple(KINDS))](event, rng, limit)


def interleave(valid: list[bytes], count: int, seed: int, limit: int = 65_536) -> list[bytes]:
    """``valid`` lines in order with ``count`` hostile ones spread among them, each kind
    in turn, each made from an event of the stream. Every oversized one comes with a
    twin one byte under the limit (a fresh id), as valid as the event it was made from:
    the size limit itself must not refuse it."""
    rng = random.Random(seed)
    events = [event for event in map(_event, valid) if event is not None]
    after: dict[int, list[bytes]] = {}
    kinds = tuple(KINDS)
    for made in range(count):
        kind = kinds[made % len(kinds)]
        event = rng.choice(events)
        spoilt = [hostile(event, rng, limit, kind)]
        if kind == "oversized":
            spoilt.append(_padded({**event, "id": f"{event['id']}-twin-{made}"}, limit - 1))
        after.setdefault(rng.randrange(len(valid)), []).extend(spoilt)
    out: list[bytes] = []
    for number, line in enumerate(valid):
        out.append(line)
        out.extend(after.get(number, ()))
    return out


def _event(line: bytes) -> dict[str, Any] | None:
    """A stream line as an event to spoil, or None for the stream's own broken lines."""
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return event if type(event) is dict and type(event.get("data")) is dict else None


def _padded(event: dict[str, Any], size: int) -> bytes:
    """``event`` with an unknown extra field that makes it exactly ``size`` bytes."""
    base = _dumps({**event, "padding": ""})
    return _dumps({**event, "padding": "x" * (size - len(base))})
