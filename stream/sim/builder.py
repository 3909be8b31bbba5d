"""Event builder: turns (type, time, data) into a CloudEvents 1.0 record for its topic.

Every event the simulator emits goes through here, so the envelope is right in one
place: specversion, a unique id per source, the source of the system that would really
send it, RFC 3339 time, datacontenttype and the topic/key of SPEC §3.

Event ids are version-4 UUIDs drawn from a seeded generator rather than ``uuid4()``:
real producers use random UUIDs, and a seed must still reproduce the file byte for byte.
"""

from __future__ import annotations

import random
import uuid
from typing import Any, NamedTuple

from ..core.events import KEY_FIELD_OF_PREFIX, TOPIC_OF_TYPE
from ..core.timeutil import format_time

#: The system that would send each event family.
SOURCE_OF_PREFIX = {
    "call": "/sim/telephony",
    "chat": "/sim/chat",
    "ticket": "/sim/helpdesk",
    "survey": "/sim/surveys",
    "agent": "/sim/wfm",
}


class Record(NamedTuple):
    """One message as a producer would send it: topic, key, and the event or raw bytes."""

    topic: str
    key: str | None
    value: dict[str, Any] | bytes


class EventBuilder:
    """Builds CloudEvents with reproducible random ids."""

    __slots__ = ("_rng",)

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def new_id(self) -> str:
        """A random (version 4) UUID from the seeded generator."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def build(self, type_: str, time_ms: int, data: dict[str, Any]) -> Record:
        """The record of one event of SPEC §3; ``data`` must hold the entity id field."""
        prefix = type_.partition(".")[0]
        event = {
            "specversion": "1.0",
            "id": self.new_id(),
            "source": SOURCE_OF_PREFIX[prefix],
            "type": type_,
            "time": format_time(time_ms),
            "datacontenttype": "application/json",
            "data": data,
        }
        return Record(TOPIC_OF_TYPE[type_], data[KEY_FIELD_OF_PREFIX[prefix]], event)
