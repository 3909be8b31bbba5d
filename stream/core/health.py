"""Pipeline-health counters: what came in, what was refused and why."""

from __future__ import annotations

from collections import Counter


class Health:
    """Counters keyed by label tuples, plus the newest event time per topic."""

    __slots__ = ("duplicate", "events", "future", "invalid", "late", "newest_ms", "unmatched")

    def __init__(self) -> None:
        self.events: Counter[tuple[str, str]] = Counter()  # (topic, type)
        self.invalid: Counter[tuple[str, str]] = Counter()  # (topic, reason)
        self.duplicate: Counter[str] = Counter()  # topic
        self.late: Counter[str] = Counter()
        self.future: Counter[str] = Counter()
        self.unmatched: Counter[tuple[str, str]] = Counter()  # (topic, type)
        self.newest_ms: dict[str, int] = {}

    def count(self, topic: str, type_: str, time_ms: int, outcome: str) -> None:
        """Count one valid event by what stage 1 did with it (see ``stages``)."""
        self.events[(topic, type_)] += 1
        if outcome == "future":  # clock skew: not even its time counts
            self.future[topic] += 1
            return
        if time_ms > self.newest_ms.get(topic, -1):
            self.newest_ms[topic] = time_ms
        if outcome == "late":
            self.late[topic] += 1
        elif outcome == "duplicate":
            self.duplicate[topic] += 1
        elif outcome == "unmatched":
            self.unmatched[(topic, type_)] += 1

    def merge(self, other: Health) -> None:
        """Add another worker partition's counters (the exporter sums what it owns)."""
        for name in ("events", "invalid", "duplicate", "late", "future", "unmatched"):
            getattr(self, name).update(getattr(other, name))
        for topic, ms in other.newest_ms.items():
            self.newest_ms[topic] = max(ms, self.newest_ms.get(topic, ms))
