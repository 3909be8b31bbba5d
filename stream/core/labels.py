"""Bounded label values: at most N distinct queues (teams, channels), then ``__other__``.

Prometheus pays per series, so an unexpected flood of queue names must not explode
the exporter. The first N distinct values seen keep their name; later ones are folded
into ``__other__`` and every fact folded that way is counted (cx_label_overflow_total).
"""

from __future__ import annotations

from collections.abc import Callable

OTHER = "__other__"


class LabelCap:
    __slots__ = ("known", "limit", "overflowed")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.known: set[str] = set()
        self.overflowed = 0

    def __call__(self, value: str) -> str:
        if value in self.known or value == OTHER:  # folded already (fold): counted then
            return value
        if len(self.known) < self.limit:
            self.known.add(value)
            return value
        self.overflowed += 1
        return OTHER

    def fold(self) -> str:
        """Count one value folded elsewhere (a route past its source's caps) and name it."""
        self.overflowed += 1
        return OTHER

    def view(self) -> Callable[[str], str]:
        """A labeller for one evaluation: it applies the same limit to values seen only
        there (say a queue known only from live agents) without changing this cap or
        counting overflow, which every scrape would otherwise count again."""
        known = set(self.known)
        limit = self.limit

        def label(value: str) -> str:
            if value in known:
                return value
            if len(known) < limit:
                known.add(value)
                return value
            return OTHER

        return label

    def release(self, value: str) -> None:
        """Free a value's slot: a retraction removed the only series that used it."""
        self.known.discard(value)
