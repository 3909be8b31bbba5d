"""The ticket lifecycle: status clock, replies, solves, reopens.

A ticket is ``new`` from creation until its first status change. Its first-reply clock
runs while the ticket is open (new/open) and pauses while pending or on hold, which is
what the first-reply-overdue gauge compares with the priority's target. Only the
latest solve counts for resolution time: solving again retracts the earlier
observation. A ``solved``/``closed`` → open status change is a reopen.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from .events import OPEN_TICKET_STATUSES, PAUSED_TICKET_STATUSES, TicketEvent
from .facts import (
    TICKET_CREATED,
    TICKET_FIRST_REPLY,
    TICKET_REOPENED,
    TICKET_REPLY,
    TICKET_RESOLUTION,
    TICKET_SOLVED,
    Fact,
)
from .live import OpenTicket

_OPEN = frozenset(OPEN_TICKET_STATUSES)
_FINISHED = frozenset({"solved", "closed"})


class TicketState(NamedTuple):
    key: str
    queue: str | None = None
    priority: str = "normal"
    created_at: int | None = None
    status: str = "new"
    replied: bool = False  # a first public agent comment was made
    awaiting_since: int | None = None  # a customer comment waits for an agent reply
    agent_comments: int = 0  # public agent comments so far
    active_ms: int = 0  # first-reply clock, accumulated while running
    active_since: int | None = None  # the clock runs since (None: paused or finished)
    resolution: Fact | None = None  # the latest resolution fact, to retract on re-solve


Step = tuple[TicketState, tuple[Fact, ...]] | None


class TicketLifecycle:
    rank: ClassVar[dict[str, int]] = {
        "created": 0,
        "assigned": 1,
        "commented": 2,
        "status_changed": 3,
    }

    def __init__(self, retention_ms: int) -> None:
        self.retention_ms = retention_ms
        self._steps = {
            "created": _created,
            "commented": _commented,
            "status_changed": _status_changed,
            "assigned": _assigned,
        }

    def start(self, key: str) -> TicketState:
        return TicketState(key)

    def step(self, state: TicketState, event: TicketEvent) -> Step:
        if state.created_at is None and event.action != "created":
            return None  # nothing to attribute it to until the ticket is known
        return self._steps[event.action](state, event)

    def live(self, state: TicketState) -> OpenTicket | None:
        if state.created_at is None or state.status not in _OPEN:
            return None
        return OpenTicket(
            state.queue,
            state.priority,
            state.status,
            state.replied,
            state.active_ms,
            state.active_since,
        )

    def expires_ms(self, state: TicketState, last_ms: int) -> int | None:
        # Solved and closed tickets are kept a while so that a reopen finds its queue.
        return last_ms + self.retention_ms if state.status in _FINISHED else None


def _created(state: TicketState, event: TicketEvent) -> Step:
    if state.created_at is not None:
        return None
    t = event.time_ms
    new = state._replace(
        queue=event.queue, priority=event.priority or "normal", created_at=t, active_since=t
    )
    return new, (Fact(TICKET_CREATED, (new.queue, new.priority), t),)


def _commented(state: TicketState, event: TicketEvent) -> Step:
    t = event.time_ms
    if event.author == "customer":
        awaiting = t if state.awaiting_since is None else state.awaiting_since
        return state._replace(awaiting_since=awaiting), ()
    if not event.public:
        return state, ()
    labels = (state.queue, state.priority)
    facts: tuple[Fact, ...] = ()
    if not state.replied:
        facts += (Fact(TICKET_FIRST_REPLY, labels, t, t - state.created_at),)
    if state.awaiting_since is not None:
        facts += (Fact(TICKET_REPLY, labels, t, t - state.awaiting_since),)
    return state._replace(
        replied=True, awaiting_since=None, agent_comments=state.agent_comments + 1
    ), facts


def _status_changed(state: TicketState, event: TicketEvent) -> Step:
    t, old, new = event.time_ms, state.status, event.status
    if new == old:
        return state, ()
    labels = (state.queue, state.priority)
    facts: tuple[Fact, ...] = ()
    resolution = state.resolution
    if new == "solved":
        facts += (Fact(TICKET_SOLVED, labels, t, state.agent_comments),)
        if resolution is not None:
            facts += (resolution._replace(weight=-resolution.weight),)
        resolution = Fact(TICKET_RESOLUTION, labels, t, t - state.created_at)
        facts += (resolution,)
    elif old in _FINISHED and new in _OPEN:
        facts += (Fact(TICKET_REOPENED, labels, t),)
    running = new in _OPEN and new not in PAUSED_TICKET_STATUSES
    active_ms, active_since = state.active_ms, state.active_since
    if active_since is not None and not running:
        active_ms, active_since = active_ms + t - active_since, None
    elif active_since is None and running:
        active_since = t
    return state._replace(
        status=new, active_ms=active_ms, active_since=active_since, resolution=resolution
    ), facts


def _assigned(state: TicketState, event: TicketEvent) -> Step:
    return state._replace(queue=event.queue or state.queue), ()


def first_reply_clock_ms(live: OpenTicket, at_ms: int) -> int:
    """How long an open ticket's first-reply clock has run at ``at_ms``."""
    active_ms, active_since = live.active_ms, live.active_since
    return active_ms + (max(0, at_ms - active_since) if active_since is not None else 0)
