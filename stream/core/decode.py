"""Raw Kafka message bytes → a typed event, or an ``Invalid`` with a reason (SPEC §3, §8).

The pipeline runs the cheapest checks first and stops at the first failure:
size → JSON → object → known type → schema → time → typed event. A valid event costs
one ``orjson.loads``, one compiled ``is_valid`` and one time parse; the schema errors are
only walked, to name a reason, for the rare refused event. ``decode`` never raises:
whatever a producer sends becomes an event or an ``Invalid`` for the dead-letter topic.
``decode_message`` reads the CloudEvents binding's headers first, when a message has
any (binding.py), and a binary-mode event joins the same path as its envelope.

Strings that repeat across events (queue, channel, team, source, enum values) are
interned, so the many events held in tables share one copy of each.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from hashlib import blake2b
from typing import Any

from orjson import JSONDecodeError, loads

from .binding import Headers, envelope, read_headers
from .config import Limits
from .events import (
    CHANNEL_OF_PREFIX,
    TOPIC_OF_TYPE,
    AgentEvent,
    ContactEvent,
    Event,
    Invalid,
    SurveyEvent,
    TicketEvent,
)
from .schema import Schemas, compiled, explain
from .timeutil import TimeParser

__all__ = ["Decoder", "customer_hash"]

_intern = sys.intern
_new = tuple.__new__
#: Builds an event from (source, id, time_ms, data) of an already validated object.
Builder = Callable[[str, str, int, dict[str, Any]], Event]


def customer_hash(customer_id: str) -> str:
    """Pseudonymise a customer id: the hex BLAKE2b-64 digest of its UTF-8 bytes.

    The FCR repeat check only needs to know whether two contacts share a customer, so
    the clear id is dropped at the edge and never reaches state, logs or labels. The
    hash is unkeyed: stable across workers and replays, but a guessable id (a phone
    number) can be found by trying candidates, so treat it as pseudonymous, not
    anonymous.
    """
    return blake2b(customer_id.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


class Decoder:
    """Decodes and validates messages with the schemas compiled once per process."""

    __slots__ = ("_max_bytes", "_routes", "_schemas", "_times")

    def __init__(self, limits: Limits | None = None, schemas: Schemas | None = None) -> None:
        self._max_bytes = (limits or Limits()).max_event_bytes
        self._schemas = schemas or compiled()
        self._routes = {
            type_: (self._schemas.by_type[type_], _builder(type_), topic)
            for type_, topic in TOPIC_OF_TYPE.items()
        }
        self._times = TimeParser()

    def decode(self, raw: bytes, topic: str | None = None) -> Event | Invalid:
        """One message value → an event, or ``Invalid`` (its reason, detail and topic).

        ``topic`` is where the message was read from; an ``Invalid`` whose type was
        readable reports the topic of that type instead (SPEC §4, replay).
        """
        obj = self._load(raw, topic)
        if type(obj) is Invalid:
            return obj
        return self._decode_object(obj, topic)

    def decode_message(
        self, raw: bytes, headers: Headers | None, topic: str | None = None
    ) -> Event | Invalid:
        """One Kafka message in either content mode of the CloudEvents binding
        (binding.py) → an event, or ``Invalid``. Without binding headers this is
        ``decode``; a binary-mode message becomes its envelope and takes the same path."""
        binding = read_headers(headers) if headers else None
        if binding is None:
            return self.decode(raw, topic)
        if type(binding) is Invalid:
            return binding._replace(topic=topic)
        obj = self._load(raw, topic)
        if type(obj) is Invalid:
            return obj
        event = envelope(binding, obj)
        if type(event) is Invalid:
            return event._replace(topic=topic)
        return self._decode_object(event, topic)

    def _load(self, raw: bytes, topic: str | None) -> Any:
        """Size check and JSON parse: the value, or ``Invalid``."""
        if not raw:  # empty, or a Kafka tombstone (None)
            return Invalid("not_json", "empty message", topic)
        if len(raw) > self._max_bytes:
            return Invalid("oversized", f"{len(raw)} bytes; the limit is {self._max_bytes}", topic)
        try:
            return loads(raw)
        except JSONDecodeError as exc:
            return _not_json(raw, exc, topic)

    def _decode_object(self, obj: Any, topic: str | None) -> Event | Invalid:
        """A parsed envelope → an event: type dispatch, schema, time."""
        if type(obj) is not dict:
            kind = "an array" if type(obj) is list else "a scalar"
            return Invalid("not_an_object", f"event: JSON {kind}, not an object", topic)
        type_ = obj.get("type")
        route = self._routes.get(type_) if type(type_) is str else None
        if route is None:
            reason, detail = explain(obj, self._schemas)
            return Invalid(reason, detail, topic)
        validator, build, type_topic = route
        if not validator.is_valid(obj):
            reason, detail = explain(obj, self._schemas)
            return Invalid(reason, detail, type_topic)
        try:
            time_ms = self._times(obj["time"])
        except (ValueError, OverflowError) as exc:
            return Invalid("bad_time", f"time: {_clip(str(exc))}", type_topic)
        return build(_intern(obj["source"]), obj["id"], time_ms, obj["data"])


def _not_json(raw: bytes, exc: JSONDecodeError, topic: str | None) -> Invalid:
    """Tell bytes that are not UTF-8 from UTF-8 text that is not JSON."""
    try:
        bytes(raw).decode("utf-8")
    except UnicodeDecodeError as bad:
        return Invalid("bad_utf8", f"event: invalid UTF-8 at byte {bad.start}", topic)
    return Invalid("not_json", f"event: {_clip(str(exc))}", topic)


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _opt(value: str | None) -> str | None:
    return None if value is None else _intern(value)


def _builder(type_: str) -> Builder:
    """The function that turns validated ``data`` of one event type into its event.

    It reads only the fields the type's schema defines (and so has checked): an
    unknown extra field, even one named like another type's field, is ignored.
    Events are built with ``tuple.__new__`` and every field in order, which is
    three times cheaper than the NamedTuple constructor with keywords; the field
    order is checked against events.py when this module is imported.
    """
    prefix, action = type_.split(".", 1)
    type_, action = _intern(type_), _intern(action)
    if prefix in CHANNEL_OF_PREFIX:
        return _contact_builder(type_, action, _intern(CHANNEL_OF_PREFIX[prefix]))
    family = {"ticket": _ticket_builder, "survey": _survey_builder, "agent": _agent_builder}
    return family[prefix](type_, action)


def _contact_builder(t: str, a: str, channel: str) -> Builder:
    def queued(src: str, id_: str, ms: int, d: dict[str, Any]) -> Event:
        c = d.get("customer_id")
        c = None if c is None else customer_hash(c)
        q = _intern(d["queue"])
        return _new(
            ContactEvent, (t, src, id_, ms, d["contact_id"], a, channel, q, c, None, None, None)
        )

    def transferred(src: str, id_: str, ms: int, d: dict[str, Any]) -> Event:
        q = _intern(d["to_queue"])
        return _new(
            ContactEvent, (t, src, id_, ms, d["contact_id"], a, channel, q, None, None, None, None)
        )

    def answered(src: str, id_: str, ms: int, d: dict[str, Any]) -> Event:
        ag = d["agent_id"]
        return _new(
            ContactEvent, (t, src, id_, ms, d["contact_id"], a, channel, None, None, ag, None, None)
        )

    def message(src: str, id_: str, ms: int, d: dict[str, Any]) -> Event:
        au = _intern(d["author"])
        return _new(
            ContactEvent, (t, src, id_, ms, d["contact_id"], a, channel, None, None, None, au, None)
        )

    def ended(src: str, id_: str, ms: int, d: dict[str, Any]) -> Event:
        r = d.get("resolved")
        return _new(
            ContactEvent, (t, src, id_, ms, d["contact_id"], a, channel, None, None, None, None, r)
        )

    def plain(src: str, id_: str, ms: int, d: dict[str, Any]) -> Event:
        return _new(
            ContactEvent,
            (t, src, id_, ms, d["contact_id"], a, channel, None, None, None, None, None),
        )

    special = {
        "queued": queued,
        "transferred": transferred,
        "answered": answered,
        "message": message,
        "ended": ended,
        "wrapup_ended": ended,
    }
    return special.get(a, plain)


def _ticket_builder(t: str, a: str) -> Builder:
    def created(src: str, id_: str, ms: int, d: dict[str, Any]) -> Event:
        c = d.get("customer_id")
        c = None if c is None else customer_hash(c)
        q, p = _intern(d["queue"]), _intern(d.get("priority", "normal"))
        ch = _intern(d.get("channel", "email"))
        return _new(
            TicketEvent, (t, src, id_, ms, d["ticket_id"], a, q, p, ch, c, None, True, None, None)
        )

    def commented(src: str, id_: str, ms: int, d: dict[str, Any]) -> Event:
        au, pub = _intern(d["author"]), d.get("public", True)
        return _new(
            TicketEvent,
            (t, src, id_, ms, d["ticket_id"], a, None, None, None, None, au, pub, None, None),
        )

    def status_changed(src: str, id_: str, ms: int, d: dict[str, Any]) -> Event:
        st = _intern(d["status"])
        return _new(
            TicketEvent,
            (t, src, id_, ms, d["ticket_id"], a, None, None, None, None, None, True, st, None),
        )

    def assigned(src: str, id_: str, ms: int, d: dict[str, Any]) -> Event:
        q, ag = _opt(d.get("queue")), d.get("agent_id")
        return _new(
            TicketEvent,
            (t, src, id_, ms, d["ticket_id"], a, q, None, None, None, None, True, None, ag),
        )

    actions = {
        "created": created,
        "commented": commented,
        "status_changed": status_changed,
        "assigned": assigned,
    }
    return actions[a]


def _survey_builder(t: str, a: str) -> Builder:
    responded = a == "responded"

    def survey(src: str, id_: str, ms: int, d: dict[str, Any]) -> Event:
        k = _intern(d["kind"])
        score = int(d["score"]) if responded else None  # 5.0 is a valid JSON integer
        q, ch, tm = _opt(d.get("queue")), _opt(d.get("channel")), _opt(d.get("team"))
        return _new(SurveyEvent, (t, src, id_, ms, d["survey_id"], a, k, score, q, ch, tm))

    return survey


def _agent_builder(t: str, a: str) -> Builder:
    def state_changed(src: str, id_: str, ms: int, d: dict[str, Any]) -> Event:
        st, qs, tm = _intern(d["state"]), d.get("queues"), _opt(d.get("team"))
        qs = tuple(dict.fromkeys(map(_intern, qs))) if qs else ()  # each queue once, in order
        return _new(AgentEvent, (t, src, id_, ms, d["agent_id"], a, st, qs, tm))

    return state_changed


#: The field order every builder above writes, checked against events.py at import.
_HEAD = ("type", "source", "id", "time_ms", "key", "action")
_LAYOUT = {
    ContactEvent: (*_HEAD, "channel", "queue", "customer", "agent", "author", "resolved"),
    TicketEvent: (
        *_HEAD,
        "queue",
        "priority",
        "channel",
        "customer",
        "author",
        "public",
        "status",
        "agent",
    ),
    SurveyEvent: (*_HEAD, "kind", "score", "queue", "channel", "team"),
    AgentEvent: (*_HEAD, "state", "queues", "team"),
}
for _cls, _fields in _LAYOUT.items():
    if _cls._fields != _fields:
        raise RuntimeError(
            f"decode.py builds {_cls.__name__} as {_fields}; events.py has {_cls._fields}"
        )
