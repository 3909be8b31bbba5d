"""JSON Lines: one CloudEvent per line, exactly the JSON a producer puts on the wire.

The topic is not written: it follows from the event type (SPEC §3). Invalid messages
are written as the raw bytes they are (none of them contains a newline), so a file
replays the same dead-letter traffic as the live simulator.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, BinaryIO

import orjson

from .builder import Record


def to_json_line(value: dict[str, Any] | bytes) -> bytes:
    """One line, newline included: the serialised event, or invalid bytes as they are."""
    if isinstance(value, bytes):
        return value + b"\n"
    return orjson.dumps(value, option=orjson.OPT_APPEND_NEWLINE)


def write_jsonl(records: Iterable[Record], out: BinaryIO) -> int:
    """Write records to a binary file as JSON Lines; returns how many were written."""
    count = 0
    for record in records:
        out.write(to_json_line(record.value))
        count += 1
    return count
