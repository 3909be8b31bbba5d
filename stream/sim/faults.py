"""Producer faults: duplicates, late stragglers, out-of-order delivery, invalid messages.

Real producers retry (the same event twice), flush old outboxes (events from days ago),
race each other (an ``answered`` overtaking its ``queued``) and have bugs (garbage on
the wire). This layer wraps the clean, time-ordered stream and adds those faults at the
configured shares, so every valid event of the clean stream is still delivered exactly
once (duplicates aside) and the pipeline's health counters have something to count.

- duplicate: the same record (same source and id) again, up to a minute later;
- late: a copy with a fresh id, its time 26–50 h in the past and its entity id
  suffixed ``-late`` so it never joins a live lifecycle (agent events excepted: a ghost
  agent would show on the wallboard);
- out of order: an event held back until the next event of the same entity has been
  sent (at most five minutes; one whose entity stays silent is merely delayed);
- invalid: an extra undecodable message built from the current event, one of
  ``INVALID_KINDS``, yielded as raw bytes with the topic of the event it came from.
"""

from __future__ import annotations

import copy
import heapq
import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..core.timeutil import HOUR_MS, MINUTE_MS, format_time, parse_time
from .builder import KEY_FIELD_OF_PREFIX, Record
from .settings import SimSettings

#: (emit_ms, record): the moment a producer sends the record, and the record.
Timed = tuple[int, Record]
HOLD_MS = 5 * MINUTE_MS
DUPLICATE_DELAY_MS = (0, MINUTE_MS)
LATE_BY_MS = (26 * HOUR_MS, 50 * HOUR_MS)
LATE_SUFFIX = "-late"


@dataclass
class FaultCounts:
    """How many faults were injected, for a run summary and for tests."""

    duplicates: int = 0
    late: int = 0
    out_of_order: int = 0
    invalid: Counter[str] = field(default_factory=Counter)


def _key_field(event: dict[str, Any]) -> str:
    return KEY_FIELD_OF_PREFIX[event["type"].partition(".")[0]]


def _not_json(event: dict[str, Any], rng: random.Random) -> bytes:
    text = orjson.dumps(event)
    return text[: rng.randrange(10, len(text) - 1)]  # a truncated write


def _missing_field(event: dict[str, Any], rng: random.Random) -> bytes:
    del event["data"][_key_field(event)]
    return orjson.dumps(event)


def _wrong_type(event: dict[str, Any], rng: random.Random) -> bytes:
    data = event["data"]
    if "score" in data:
        data["score"] = str(data["score"])
    elif "resolved" in data:
        data["resolved"] = "yes"
    else:
        data[_key_field(event)] = rng.randrange(10_000, 99_999)
    return orjson.dumps(event)


def _bad_time(event: dict[str, Any], rng: random.Random) -> bytes:
    text = event["time"]
    moment = parse_time(text)
    event["time"] = rng.choice(
        (text.removesuffix("Z"), f"{text[8:10]}/{text[5:7]}/{text[:4]} {text[11:19]}", str(moment))
    )
    return orjson.dumps(event)


def _unknown_type(event: dict[str, Any], rng: random.Random) -> bytes:
    event["type"] = rng.choice(("call.parked", "chat.typing", "ticket.merged", "agent.login"))
    return orjson.dumps(event)


#: Kind of invalid message → how to spoil a copy of a valid event.
INVALID_KINDS: dict[str, Callable[[dict[str, Any], random.Random], bytes]] = {
    "not_json": _not_json,
    "missing_field": _missing_field,
    "wrong_type": _wrong_type,
    "bad_time": _bad_time,
    "unknown_type": _unknown_type,
}


class _Faults:
    def __init__(self, settings: SimSettings, rng: random.Random, counts: FaultCounts) -> None:
        self.s, self.rng, self.counts = settings, rng, counts
        self.pending: list[tuple[int, int, Record, str | None]] = []
        self.held: dict[str, Record] = {}
        self.seq = 0

    def push(self, release_ms: int, record: Record, held_key: str | None = None) -> None:
        self.seq += 1
        heapq.heappush(self.pending, (release_ms, self.seq, record, held_key))

    def release(self, until_ms: int, final: bool = False) -> Iterator[Timed]:
        """Pending records due by ``until_ms``; all of them, sent then, when ``final``."""
        while self.pending and (final or self.pending[0][0] <= until_ms):
            release_ms, _, record, held_key = heapq.heappop(self.pending)
            if held_key is not None:
                if self.held.get(held_key) is not record:
                    continue  # already sent after a later event of its entity
                del self.held[held_key]
            yield min(release_ms, until_ms) if final else release_ms, record

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def straggler(self, record: Record, event: dict[str, Any]) -> Record:
        old = copy.deepcopy(event)
        old["id"] = self.new_id()
        old["time"] = format_time(parse_time(event["time"]) - self.rng.randrange(*LATE_BY_MS))
        key_field = _key_field(old)
        old["data"][key_field] = f"{old['data'][key_field]}{LATE_SUFFIX}"
        return Record(record.topic, old["data"][key_field], old)

    def invalid(self, record: Record, event: dict[str, Any]) -> Record:
        kind = self.rng.choice(tuple(INVALID_KINDS))
        self.counts.invalid[kind] += 1
        spoiled = copy.deepcopy(event)
        spoiled["id"] = self.new_id()
        return Record(record.topic, record.key, INVALID_KINDS[kind](spoiled, self.rng))

    def run(self, stream: Iterable[Timed]) -> Iterator[Timed]:
        s, rng, counts = self.s, self.rng, self.counts
        emit_ms = 0
        for emit_ms, record in stream:
            yield from self.release(emit_ms)
            event = record.value
            assert isinstance(event, dict)
            key = record.key
            if key is not None and key in self.held:
                yield emit_ms, record
                yield emit_ms, self.held.pop(key)
                counts.out_of_order += 1
            elif key is not None and rng.random() < s.out_of_order:
                self.held[key] = record
                self.push(emit_ms + HOLD_MS, record, key)
            else:
                yield emit_ms, record
            if rng.random() < s.duplicates:
                self.push(emit_ms + rng.randrange(*DUPLICATE_DELAY_MS), record)
                counts.duplicates += 1
            if rng.random() < s.late and not event["type"].startswith("agent."):
                yield emit_ms, self.straggler(record, event)
                counts.late += 1
            if rng.random() < s.invalid:
                yield emit_ms, self.invalid(record, event)
        yield from self.release(emit_ms, final=True)  # the run ends: flush, no later


def inject_faults(
    stream: Iterable[Timed],
    settings: SimSettings,
    rng: random.Random,
    counts: FaultCounts | None = None,
) -> Iterator[Timed]:
    """The clean stream with faults added at the shares of ``settings``."""
    return _Faults(settings, rng, counts if counts is not None else FaultCounts()).run(stream)
