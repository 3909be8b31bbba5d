"""The contact lifecycle (calls and chats): waits per queue, handling, chat responses.

A contact waits in one queue at a time. ``queued`` (or a transfer in) starts a wait and
is an offer; ``answered``, ``abandoned`` or a transfer out ends it, measuring the wait in
*that* queue. Handling runs from the first answer to the end of wrap-up and is
attributed to the queue that answered last. Chats add first response (queued → first
agent message) and responses (a customer message after an agent or bot turn → the
next agent message). Resolution flags feed the FCR check through the customer history.

A call ending while still waiting (no ``abandoned`` sent) is counted as abandoned then:
the customer left the queue, and a contact must not stay "waiting" for ever.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar, NamedTuple

from .events import ContactEvent
from .facts import (
    ABANDONED,
    AGENT_HANDLED,
    ANSWERED,
    CUSTOMER_QUEUED,
    CUSTOMER_WRAPPED,
    FCR,
    FIRST_RESPONSE,
    HANDLED,
    OFFERED,
    RESPONSE,
    TRANSFERRED,
    Fact,
)
from .live import Waiting
from .named import quick_replace

_new = tuple.__new__  # a named tuple without its constructor's overhead: per event

_AFTER_DONE = frozenset({"message", "ended", "hold_ended"})


@quick_replace
class ContactState(NamedTuple):
    key: str
    channel: str | None = None
    queue: str | None = None  # the queue it waits in or was last answered from
    customer: str | None = None  # hashed customer id
    waiting_since: int | None = None  # start of the current wait
    first_queued: int | None = None
    answered_at: int | None = None  # first answer: handling starts here
    handled_queue: str | None = None  # queue of the latest answer
    connected: bool = False
    resolved: bool | None = None  # from ended, overridden by wrapup_ended
    done: bool = False  # abandoned or wrapped up: nothing more to count
    responded: bool = False  # a first agent message was sent (chats)
    last_turn: str | None = None  # author of the latest chat message
    awaiting_since: int | None = None  # customer waiting for an agent reply since
    agent: str | None = None  # who answered last (appended last: older records load)


Step = tuple[ContactState, tuple[Fact, ...]] | None


class ContactLifecycle:
    """Transition functions by action; a missing or refusing one leaves state unchanged."""

    rank: ClassVar[dict[str, int]] = {
        "queued": 0,
        "transferred": 1,
        "answered": 2,
        "abandoned": 3,
        "hold_started": 4,
        "hold_ended": 5,
        "message": 6,
        "ended": 7,
        "wrapup_ended": 8,
    }

    def __init__(self, stale_after_ms: int, per_agent: bool = False) -> None:
        """``per_agent``: also count each agent's handled contacts (the opt-in agents
        view); off, no fact, route or write is spent on it."""
        self.stale_after_ms = stale_after_ms
        self._steps = {
            "queued": _queued,
            "answered": _answered,
            "abandoned": _abandoned,
            "transferred": _transferred,
            "hold_started": _on_hold_change,
            "hold_ended": _on_hold_change,
            "message": _message,
            "ended": _ended,
            "wrapup_ended": partial(_wrapup_ended, per_agent=per_agent),
        }

    def start(self, key: str) -> ContactState:
        return ContactState(key)

    def step(self, state: ContactState, event: ContactEvent) -> Step:
        if state.done:  # a late hang-up or chat line after the outcome changes nothing
            return (state, ()) if event.action in _AFTER_DONE else None
        return self._steps[event.action](state, event)

    def live(self, state: ContactState) -> Waiting | None:
        if state.waiting_since is None:
            return None
        return _new(Waiting, (state.queue, state.channel, state.waiting_since))

    def expires_ms(self, state: ContactState, last_ms: int) -> int | None:
        return last_ms if state.done else last_ms + self.stale_after_ms


def _queued(state: ContactState, event: ContactEvent) -> Step:
    if state.waiting_since is not None:
        return None
    t, queue = event.time_ms, event.queue
    customer = event.customer or state.customer
    facts: tuple[Fact, ...] = (Fact(OFFERED, (queue, event.channel), t),)
    first_queued = state.first_queued
    if first_queued is None:
        first_queued = t
        if customer:
            facts += (Fact(CUSTOMER_QUEUED, (customer, state.key), t),)
    return state._replace(
        channel=event.channel,
        queue=queue,
        customer=customer,
        waiting_since=t,
        first_queued=first_queued,
        connected=False,
    ), facts


def _answered(state: ContactState, event: ContactEvent) -> Step:
    if state.waiting_since is None:
        return None
    t = event.time_ms
    fact = Fact(ANSWERED, (state.queue, state.channel), t, t - state.waiting_since)
    return state._replace(
        waiting_since=None,
        connected=True,
        handled_queue=state.queue,
        answered_at=t if state.answered_at is None else state.answered_at,
        agent=event.agent or state.agent,
    ), (fact,)


def _abandoned(state: ContactState, event: ContactEvent) -> Step:
    if state.waiting_since is None:
        return None
    t = event.time_ms
    fact = Fact(ABANDONED, (state.queue, state.channel), t, t - state.waiting_since)
    return state._replace(waiting_since=None, done=True), (fact,)


def _transferred(state: ContactState, event: ContactEvent) -> Step:
    t = event.time_ms
    if state.waiting_since is not None:
        wait = t - state.waiting_since
    elif state.connected:
        wait = -1  # transferred by the agent: no wait ends here
    else:
        return None
    facts = (
        Fact(TRANSFERRED, (state.queue, state.channel), t, wait),
        Fact(OFFERED, (event.queue, state.channel), t),
    )
    return state._replace(queue=event.queue, waiting_since=t, connected=False), facts


def _on_hold_change(state: ContactState, event: ContactEvent) -> Step:
    # Hold is part of handle time, which runs from answer to wrap-up end anyway.
    return (state, ()) if state.connected else None


def _message(state: ContactState, event: ContactEvent) -> Step:
    t, author = event.time_ms, event.author
    if author == "customer":
        awaiting = state.awaiting_since
        if awaiting is None and state.last_turn in ("agent", "bot"):
            awaiting = t
        return state._replace(last_turn=author, awaiting_since=awaiting), ()
    if author != "agent" or state.done or state.queue is None:
        return state._replace(last_turn=author), ()
    labels = (state.queue, state.channel)
    facts: tuple[Fact, ...] = ()
    if not state.responded and state.first_queued is not None:
        facts += (Fact(FIRST_RESPONSE, labels, t, t - state.first_queued),)
    if state.awaiting_since is not None:
        facts += (Fact(RESPONSE, labels, t, t - state.awaiting_since),)
    return state._replace(last_turn=author, responded=True, awaiting_since=None), facts


def _ended(state: ContactState, event: ContactEvent) -> Step:
    resolved = state.resolved if event.resolved is None else event.resolved
    if state.waiting_since is not None:
        abandoned = _abandoned(state, event)
        assert abandoned is not None
        left, facts = abandoned
        return left._replace(resolved=resolved), facts
    return state._replace(resolved=resolved, connected=False), ()


def _wrapup_ended(state: ContactState, event: ContactEvent, per_agent: bool) -> Step:
    if state.answered_at is None:
        return None
    t = event.time_ms
    labels = (state.handled_queue, state.channel)
    facts: tuple[Fact, ...] = (Fact(HANDLED, labels, t, t - state.answered_at),)
    if per_agent and state.agent is not None:
        facts += (Fact(AGENT_HANDLED, (state.agent,), t, t - state.answered_at),)
    resolved = state.resolved if event.resolved is None else event.resolved
    if resolved is not None:
        if state.customer:
            facts += (
                Fact(
                    CUSTOMER_WRAPPED,
                    (state.customer, state.key, state.first_queued, resolved, *labels),
                    t,
                ),
            )
        else:  # nobody to look up: resolved on this contact means resolved first time
            facts += (Fact(FCR, labels, t, int(resolved)),)
    return state._replace(resolved=resolved, connected=False, done=True), facts
