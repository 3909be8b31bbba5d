"""The survey lifecycle: sent, then at most one response.

A response takes its labels from its own event and falls back to those of the
``survey.sent`` it answers, so producers may send the queue, channel or team once.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from .events import SurveyEvent
from .facts import ESAT, SURVEY_RESPONSE, SURVEY_SENT, Fact
from .named import quick_replace

UNKNOWN = "unknown"


@quick_replace
class SurveyState(NamedTuple):
    key: str
    kind: str | None = None
    queue: str | None = None
    channel: str | None = None
    team: str | None = None
    sent: bool = False
    responded: bool = False


Step = tuple[SurveyState, tuple[Fact, ...]] | None


class SurveyLifecycle:
    rank: ClassVar[dict[str, int]] = {"sent": 0, "responded": 1}

    def __init__(self, retention_ms: int) -> None:
        self.retention_ms = retention_ms

    def start(self, key: str) -> SurveyState:
        return SurveyState(key)

    def step(self, state: SurveyState, event: SurveyEvent) -> Step:
        done = state.responded if event.action == "responded" else state.sent
        if done:
            return None
        merged = state._replace(
            kind=event.kind,
            queue=event.queue or state.queue,
            channel=event.channel or state.channel,
            team=event.team or state.team,
        )
        team = merged.team or UNKNOWN
        labels = (merged.kind, merged.queue or UNKNOWN, merged.channel or UNKNOWN, team)
        if event.action == "sent":
            return merged._replace(sent=True), (Fact(SURVEY_SENT, labels, event.time_ms),)
        response = Fact(SURVEY_RESPONSE, labels, event.time_ms, event.score)
        if merged.kind != "esat":
            return merged._replace(responded=True), (response,)
        # The team's share is its own fact: it is summed per team, not per queue.
        esat = Fact(ESAT, (team,), event.time_ms, event.score)
        return merged._replace(responded=True), (response, esat)

    def live(self, state: SurveyState) -> None:
        return None

    def expires_ms(self, state: SurveyState, last_ms: int) -> int:
        return last_ms if state.responded else last_ms + self.retention_ms
