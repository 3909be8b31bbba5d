"""The discrete-event clock: a heap of scheduled happenings, run in time order.

Two ways to schedule. ``at``/``after`` run a callback at an instant; that suits the
contact queue, where arrivals, abandons and free agents race each other. ``spawn`` runs
a *process*, a generator that yields how many milliseconds to wait before it goes on;
that suits lifecycles that just unfold (a ticket, a survey, a conversation) and reads
top to bottom like the story it tells.

Ties at the same millisecond run in the order they were scheduled (a sequence number
breaks them), which keeps runs reproducible. Nothing past ``end_ms`` is ever run: the
simulation simply stops there, leaving whatever was in progress unfinished, as a real
stream cut at that moment would.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Generator
from typing import Any

#: A process yields waits in milliseconds and may return a value to its ``done`` callback.
Process = Generator[int, None, Any]


class Scheduler:
    """Event-time clock and agenda; ``now`` is the time of the happening being run."""

    __slots__ = ("_heap", "_seq", "end_ms", "now")

    def __init__(self, start_ms: int, end_ms: int | None) -> None:
        self.now = start_ms
        self.end_ms = end_ms
        self._heap: list[tuple[int, int, Callable[[], None]]] = []
        self._seq = 0

    def at(self, time_ms: int, action: Callable[[], None]) -> None:
        """Run ``action`` at ``time_ms`` (not before now; dropped past the end)."""
        time_ms = max(int(time_ms), self.now)
        if self.end_ms is not None and time_ms >= self.end_ms:
            return
        self._seq += 1
        heapq.heappush(self._heap, (time_ms, self._seq, action))

    def after(self, delay_ms: float, action: Callable[[], None]) -> None:
        """Run ``action`` ``delay_ms`` from now."""
        self.at(self.now + round(delay_ms), action)

    def spawn(
        self,
        process: Process,
        done: Callable[[Any], None] | None = None,
        delay_ms: float = 0,
    ) -> None:
        """Start a generator process after ``delay_ms``; ``done`` gets its return value."""

        def step() -> None:
            try:
                wait = next(process)
            except StopIteration as stop:
                if done is not None:
                    done(stop.value)
                return
            self.after(wait, step)

        self.after(delay_ms, step)

    def step(self) -> bool:
        """Run the next happening; False when nothing is left to run."""
        if not self._heap:
            return False
        self.now, _, action = heapq.heappop(self._heap)
        action()
        return True
