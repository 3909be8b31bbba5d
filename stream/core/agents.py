"""The agent lifecycle: which state an agent is in, for which queues, since when.

Time spent in a state becomes ``agent_time`` facts split at minute boundaries, so the
minute buckets can clip it to any window exactly. The state an agent is in *now*
is added at evaluation time from the live descriptor (see ``evaluate``).
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from .events import AgentEvent
from .facts import AGENT_TIME, Fact
from .live import AgentPresence
from .named import quick_replace
from .surveys import UNKNOWN
from .timeutil import MINUTE_MS

_new = tuple.__new__  # a named tuple without its constructor's overhead: per event

#: The states occupancy is made of; time in others (away, offline) is not tracked.
OCCUPANCY_STATES = frozenset({"available", "on_contact", "after_contact_work"})


@quick_replace
class AgentState(NamedTuple):
    key: str
    state: str | None = None
    since: int | None = None
    queues: tuple[str, ...] = ()
    team: str = UNKNOWN


Step = tuple[AgentState, tuple[Fact, ...]] | None


class AgentLifecycle:
    rank: ClassVar[dict[str, int]] = {"state_changed": 0}

    def __init__(self, stale_after_ms: int) -> None:
        self.stale_after_ms = stale_after_ms

    def start(self, key: str) -> AgentState:
        return AgentState(key)

    def step(self, state: AgentState, event: AgentEvent) -> Step:
        queues = event.queues or state.queues
        team = event.team or state.team
        if event.state == state.state and team == state.team:
            return state._replace(queues=queues), ()
        facts = time_in_state(state, event.time_ms)
        return state._replace(
            state=event.state, since=event.time_ms, queues=queues, team=team
        ), facts

    def live(self, state: AgentState) -> AgentPresence | None:
        if state.state is None or state.state == "offline":
            return None
        return _new(AgentPresence, (state.state, state.queues, state.team, state.since))

    def expires_ms(self, state: AgentState, last_ms: int) -> int:
        return last_ms if state.state == "offline" else last_ms + self.stale_after_ms


def time_in_state(state: AgentState, until_ms: int) -> tuple[Fact, ...]:
    """The time since the last change, as one fact per minute it touches."""
    if state.state not in OCCUPANCY_STATES or state.since is None:
        return ()
    labels = (state.team, state.state)
    facts = []
    start = state.since
    while start < until_ms:
        end = min(until_ms, (start // MINUTE_MS + 1) * MINUTE_MS)
        facts.append(Fact(AGENT_TIME, labels, start, end - start))
        start = end
    return tuple(facts)
