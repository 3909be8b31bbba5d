"""The ticket lifecycle: status clock, replies, solves, reopens.

A ticket is ``new`` from creation until its first status change. Its first-reply clock
runs while the ticket is open (new/open) and pauses while pending or on hold, which is
what the first-reply-overdue gauge compares with the priority's target. Only the
latest solve counts for resolution time: solving again retracts the earlier
observation. A ``solved``/``closed`` → open status change is a reopen.

Business time: the first-reply clock counts only the working hours of the queue's
calendar (``Config.calendar_of``; 24/7 without one), and first reply and resolution
are also measured in business time. A ticket's life is cut into *segments*, one per
queue it was in; each segment is measured on that queue's calendar when it ends (a
move) and the sums are kept, so a ticket moved from Berlin to New York is timed on
Berlin's hours, then on New York's. The open segment is always the current queue's,
so the gauge's deadline needs only the current calendar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, NamedTuple

from .calendars import AnyCalendar
from .events import OPEN_TICKET_STATUSES, PAUSED_TICKET_STATUSES, TicketEvent
from .facts import (
    TICKET_CREATED,
    TICKET_FIRST_REPLY,
    TICKET_FIRST_REPLY_BUSINESS,
    TICKET_REOPENED,
    TICKET_REPLY,
    TICKET_RESOLUTION,
    TICKET_RESOLUTION_BUSINESS,
    TICKET_SOLVED,
    Fact,
)
from .live import OpenTicket
from .named import quick_replace

_new = tuple.__new__  # a named tuple without its constructor's overhead: per event

_OPEN = frozenset(OPEN_TICKET_STATUSES)
_FINISHED = frozenset({"solved", "closed"})


@quick_replace
class TicketState(NamedTuple):
    key: str
    queue: str | None = None
    priority: str = "normal"
    created_at: int | None = None
    status: str = "new"
    replied: bool = False  # a first public agent comment was made
    awaiting_since: int | None = None  # a customer comment waits for an agent reply
    agent_comments: int = 0  # public agent comments so far
    active_ms: int = 0  # first-reply clock in business ms, accumulated while running
    active_since: int | None = None  # the clock runs since (None: paused or finished)
    resolution: Fact | None = None  # the latest resolution fact, to retract on re-solve
    # Appended last, so that records stored before them still load (as defaults).
    segment_since: int | None = None  # the current queue's part began (None: created_at)
    business_before_ms: int = 0  # business ms of the parts in earlier queues
    resolution_business: Fact | None = None  # as ``resolution``, in business time


Step = tuple[TicketState, tuple[Fact, ...]] | None


class TicketLifecycle:
    rank: ClassVar[dict[str, int]] = {
        "created": 0,
        "assigned": 1,
        "commented": 2,
        "status_changed": 3,
    }

    def __init__(self, retention_ms: int, calendar_of: Callable[[str | None], AnyCalendar]) -> None:
        self.retention_ms = retention_ms
        self.calendar_of = calendar_of
        self._steps = {
            "created": self._created,
            "commented": self._commented,
            "status_changed": self._status_changed,
            "assigned": self._assigned,
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
        return _new(
            OpenTicket,
            (
                state.queue,
                state.priority,
                state.status,
                state.replied,
                state.active_ms,
                state.active_since,
            ),
        )

    def expires_ms(self, state: TicketState, last_ms: int) -> int | None:
        # Solved and closed tickets are kept a while so that a reopen finds its queue.
        return last_ms + self.retention_ms if state.status in _FINISHED else None

    # -- business time ---------------------------------------------------------------

    def _business_since_created(self, state: TicketState, t: int) -> int:
        since = state.created_at if state.segment_since is None else state.segment_since
        assert since is not None
        return state.business_before_ms + self.calendar_of(state.queue).business_ms(since, t)

    def _clock_ms(self, state: TicketState, t: int) -> int:
        """The first-reply clock at ``t`` (business ms), counting the running part."""
        if state.active_since is None:
            return state.active_ms
        running = self.calendar_of(state.queue).business_ms(state.active_since, t)
        return state.active_ms + running

    # -- steps -----------------------------------------------------------------------

    def _created(self, state: TicketState, event: TicketEvent) -> Step:
        if state.created_at is not None:
            return None
        t = event.time_ms
        new = state._replace(
            queue=event.queue,
            priority=event.priority or "normal",
            created_at=t,
            active_since=t,
            segment_since=t,
        )
        return new, (Fact(TICKET_CREATED, (new.queue, new.priority), t),)

    def _commented(self, state: TicketState, event: TicketEvent) -> Step:
        t = event.time_ms
        if event.author == "customer":
            awaiting = t if state.awaiting_since is None else state.awaiting_since
            return state._replace(awaiting_since=awaiting), ()
        if not event.public:
            return state, ()
        labels = (state.queue, state.priority)
        facts: tuple[Fact, ...] = ()
        if not state.replied:
            assert state.created_at is not None
            business = self._business_since_created(state, t)
            facts += (
                Fact(TICKET_FIRST_REPLY, labels, t, t - state.created_at),
                Fact(TICKET_FIRST_REPLY_BUSINESS, labels, t, business),
            )
        if state.awaiting_since is not None:
            facts += (Fact(TICKET_REPLY, labels, t, t - state.awaiting_since),)
        return state._replace(
            replied=True, awaiting_since=None, agent_comments=state.agent_comments + 1
        ), facts

    def _status_changed(self, state: TicketState, event: TicketEvent) -> Step:
        t, old, new = event.time_ms, state.status, event.status
        if new == old:
            return state, ()
        labels = (state.queue, state.priority)
        facts: tuple[Fact, ...] = ()
        resolution, resolution_business = state.resolution, state.resolution_business
        if new == "solved":
            assert state.created_at is not None
            facts += (Fact(TICKET_SOLVED, labels, t, state.agent_comments),)
            for earlier in (resolution, resolution_business):
                if earlier is not None:
                    facts += (earlier._replace(weight=-earlier.weight),)
            resolution = Fact(TICKET_RESOLUTION, labels, t, t - state.created_at)
            resolution_business = Fact(
                TICKET_RESOLUTION_BUSINESS, labels, t, self._business_since_created(state, t)
            )
            facts += (resolution, resolution_business)
        elif old in _FINISHED and new in _OPEN:
            facts += (Fact(TICKET_REOPENED, labels, t),)
        running = new in _OPEN and new not in PAUSED_TICKET_STATUSES
        active_ms, active_since = state.active_ms, state.active_since
        if active_since is not None and not running:
            active_ms, active_since = self._clock_ms(state, t), None
        elif active_since is None and running:
            active_since = t
        return state._replace(
            status=new,
            active_ms=active_ms,
            active_since=active_since,
            resolution=resolution,
            resolution_business=resolution_business,
        ), facts

    def _assigned(self, state: TicketState, event: TicketEvent) -> Step:
        queue = event.queue or state.queue
        if queue == state.queue:
            return state, ()
        # A move: close the old queue's part on its calendar, start the new queue's.
        t = event.time_ms
        moved = state._replace(
            queue=queue,
            segment_since=t,
            business_before_ms=self._business_since_created(state, t),
            active_ms=self._clock_ms(state, t),
            active_since=None if state.active_since is None else t,
        )
        return moved, ()
