"""The CloudEvents Kafka protocol binding: a message's content mode, and the structured
event a binary-mode message stands for (SPEC §3).

The binding defines two ways to carry one event in a Kafka message:

- *structured*: the whole event is a JSON envelope in the value; the ``content-type``
  header, if any, is ``application/cloudevents+json``. This is what cxkpi always read.
- *binary*: the attributes are headers (``ce_specversion``, ``ce_id``, ``ce_source``,
  ``ce_type``, ``ce_time``, extensions), the value is the data alone, and
  ``content-type`` is the data's media type. The official SDKs' Kafka binding and
  Knative's Kafka sink write this mode by default.

A message with a ``ce_specversion`` header and no ``application/cloudevents`` content
type is binary; every other message is structured. ``envelope`` turns a binary one into
the envelope a structured producer would have written, and from there both modes take
one path: the same schemas, the same decoder, the same KPIs, and ``cxkpi dump`` writes
that envelope for replay.

Headers a producer gets wrong are refused with a reason, never trusted halfway: a
``ce_*`` or ``content-type`` header that appears twice or is not UTF-8 is
``bad_header``; data (or an event format) that is not JSON is
``unsupported_content_type``; ``ce_*`` headers that contradict the structured event
they travel with are ``conflicting_modes``. Other headers (tracing, routing) are none
of cxkpi's business and are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from .events import Invalid

__all__ = ["Binding", "envelope", "read_headers", "to_binary"]

CE_PREFIX = "ce_"
CONTENT_TYPE = "content-type"
#: The media type of a structured event in JSON (the binding's structured mode).
STRUCTURED = "application/cloudevents+json"
#: The only data media type cxkpi reads (SPEC §3: data is a JSON object).
JSON = "application/json"

Headers = Iterable[tuple[str, bytes | None]]


class Binding(NamedTuple):
    """What a message's headers say about the event it carries."""

    binary: bool
    attributes: dict[str, str]  # ce_* headers by attribute name (ce_type → type)
    content_type: str | None


def read_headers(headers: Headers) -> Binding | Invalid | None:
    """The binding headers of a message; None when it has none (the common case)."""
    attributes: dict[str, str] = {}
    content_type: str | None = None
    seen: set[str] = set()
    for name, value in headers:
        lower = name.lower()
        if lower != CONTENT_TYPE and not lower.startswith(CE_PREFIX):
            continue
        if lower in seen:
            return Invalid("bad_header", f"header {name!r} appears more than once")
        seen.add(lower)
        try:
            text = bytes(value or b"").decode("utf-8")
        except UnicodeDecodeError as bad:
            return Invalid("bad_header", f"header {name!r}: invalid UTF-8 at byte {bad.start}")
        if lower == CONTENT_TYPE:
            content_type = text
        else:
            attributes[lower[len(CE_PREFIX) :]] = text
    if not seen:
        return None
    media = _media_type(content_type)
    if media is not None and media.startswith("application/cloudevents"):
        if media != STRUCTURED:
            return Invalid("unsupported_content_type", f"content-type: {_show(content_type)}")
        return Binding(False, attributes, content_type)
    binary = "specversion" in attributes
    if binary and media is not None and (media != JSON or not _utf8(content_type)):
        return Invalid("unsupported_content_type", f"content-type: {_show(content_type)}")
    return Binding(binary, attributes, content_type)


def envelope(binding: Binding, value: Any) -> dict[str, Any] | Invalid:
    """The structured envelope of a message whose headers are ``binding`` and whose
    value parsed as the JSON ``value``; an ``Invalid`` where they disagree."""
    body_is_event = type(value) is dict and "specversion" in value and "data" in value
    if not binding.binary or body_is_event:
        # Structured; ce_* headers beside it (some producers send both) must agree.
        if type(value) is dict:
            for name, text in binding.attributes.items():
                held = value.get(name)
                if held is not None and (held if type(held) is str else str(held)) != text:
                    return Invalid(
                        "conflicting_modes",
                        f"header ce_{name} {_show(text)} but the event says {_show(held)}",
                    )
        return value
    event: dict[str, Any] = dict(binding.attributes)
    if binding.content_type is not None:  # JSON: read_headers refused anything else
        event["datacontenttype"] = JSON
    event["data"] = value
    return event


def to_binary(event: dict[str, Any]) -> tuple[list[tuple[str, bytes]], Any]:
    """Headers and data of a structured envelope in binary mode, the exact inverse of
    ``envelope``: every attribute but ``data`` becomes a ``ce_*`` header, except
    ``datacontenttype``, which the binding carries as ``content-type``. An event without
    one gets no ``content-type`` header, so that its recording reads as it was written."""
    headers = []
    for name, value in event.items():
        if name == "data":
            continue
        text = value if type(value) is str else str(value)
        header = CONTENT_TYPE if name == "datacontenttype" else CE_PREFIX + name
        headers.append((header, text.encode("utf-8", "surrogatepass")))
    return headers, event.get("data")


def _media_type(content_type: str | None) -> str | None:
    if content_type is None:
        return None
    return content_type.partition(";")[0].strip().lower()


def _utf8(content_type: str | None) -> bool:
    """Whether a content type's charset parameter, if any, is UTF-8 (JSON's own)."""
    for parameter in (content_type or "").split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() != "utf-8":
            return False
    return True


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
