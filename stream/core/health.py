"""Pipeline-health counters: what came in, what was refused and why."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping


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

    def tally(self, labels: Iterable[tuple[str, str, str]], newest: Mapping[str, int]) -> None:
        """Count messages by their labels: (topic, type, what stage 1 did with the
        event) for a valid one (see ``stages``), (topic, reason, "invalid") for one that
        did not decode or validate. ``newest``: the newest time of the events counted
        per topic, clock skew (outcome "future") left out."""
        for (topic, what, outcome), n in Counter(labels).items():
            if outcome == "invalid":
                self.invalid[(topic, what)] += n
                continue
            self.events[(topic, what)] += n
            if outcome == "future":
                self.future[topic] += n
            elif outcome == "late":
                self.late[topic] += n
            elif outcome == "duplicate":
                self.duplicate[topic] += n
            elif outcome == "unmatched":
                self.unmatched[(topic, what)] += n
        newest_ms = self.newest_ms
        for topic, ms in newest.items():
            if ms > newest_ms.get(topic, -1):
                newest_ms[topic] = ms

    def merge(self, other: Health) -> None:
        """Add another worker partition's counters (the exporter sums what it owns)."""
        for name in ("events", "invalid", "duplicate", "late", "future", "unmatched"):
            getattr(self, name).update(getattr(other, name))
        for topic, ms in other.newest_ms.items():
            self.newest_ms[topic] = max(ms, self.newest_ms.get(topic, ms))
