"""Live descriptors: what an open entity contributes to the gauges now.

A lifecycle's ``live(state)`` returns one of these (None: nothing live). Stage 1 sends
them as LIVE outputs to the routes that show them (``split_live`` in stages.py), where
they are summarised per change (gauges.py). They are compared for equality (an entity
whose descriptor did not change sends nothing) and pickled into the changelog, so they
are small immutable named tuples, dispatched on by their type.
"""

from __future__ import annotations

from typing import NamedTuple


class Waiting(NamedTuple):
    """A contact waiting in a queue."""

    queue: str
    channel: str
    since: int  # enqueue time


class AgentPresence(NamedTuple):
    """A logged-in agent. An entity's own descriptor lists all its queues and its team;
    a queue's copy names that queue first (its other queues after it) and no team, the
    team's copy no queue."""

    state: str
    queues: tuple[str, ...]
    team: str | None
    since: int  # time of the last state change


class OpenTicket(NamedTuple):
    """An open ticket, with its first-reply clock (active time, and since when it runs)."""

    queue: str
    priority: str
    status: str
    replied: bool
    active_ms: int
    active_since: int | None


Descriptor = Waiting | AgentPresence | OpenTicket
