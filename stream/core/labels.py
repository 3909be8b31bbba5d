"""Bounded label values: at most N distinct queues (teams, channels), then ``__other__``.

Prometheus pays per series, so an unexpected flood of queue names must not explode
the exporter. The first N distinct values seen keep their name; later ones are folded
into ``__other__`` and every fact folded that way is counted (cx_label_overflow_total).
"""

from __future__ import annotations

OTHER = "__other__"


class LabelCap:
    __slots__ = ("known", "limit", "overflowed")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.known: set[str] = set()
        self.overflowed = 0

    def __call__(self, value: str) -> str:
        if value in self.known:
            return value
        if len(self.known) < self.limit:
            self.known.add(value)
            return value
        self.overflowed += 1
        return OTHER

    def peek(self, value: str) -> str:
        """The label a value would get, without registering or counting it.

        For evaluation, which must not change state: every scrape would count again.
        """
        if value in self.known or len(self.known) < self.limit:
            return value
        return OTHER

    def release(self, value: str) -> None:
        """Free a value's slot: a retraction removed the only series that used it."""
        self.known.discard(value)
