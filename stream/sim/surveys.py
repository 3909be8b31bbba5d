"""Surveys: CSAT, NPS and CES after contacts and tickets, ESAT pulses for agents.

Scores are drawn from one of two empirical shapes: a "good experience" one skewed to the
top and a "bad experience" one spread low. The chance of a good experience is high when
the contact was resolved and falls when the customer waited long, so CSAT, NPS and CES
move with resolution and service level as they do in real centres (CSAT around 80 %,
NPS around +30, CES around 5.5 on the 1–7 scale where 7 = very easy).
"""

from __future__ import annotations

from typing import Any

from ..core.timeutil import MINUTE_MS
from .scheduler import Process
from .workforce import Agent
from .world import World, choose, lognormal_ms, uniform_ms

#: (scores, good-experience weights, bad-experience weights) per kind.
SCORES: dict[str, tuple[range, tuple[float, ...], tuple[float, ...]]] = {
    "csat": (range(1, 6), (0.02, 0.03, 0.08, 0.32, 0.55), (0.22, 0.20, 0.24, 0.20, 0.14)),
    "nps": (
        range(0, 11),
        (0.01, 0.01, 0.01, 0.01, 0.02, 0.03, 0.05, 0.10, 0.20, 0.24, 0.32),
        (0.10, 0.08, 0.10, 0.10, 0.10, 0.14, 0.12, 0.10, 0.08, 0.05, 0.03),
    ),
    "ces": (
        range(1, 8),
        (0.01, 0.02, 0.03, 0.07, 0.17, 0.32, 0.38),
        (0.12, 0.15, 0.18, 0.20, 0.15, 0.12, 0.08),
    ),
}
ESAT_WEIGHTS = (0.04, 0.08, 0.22, 0.42, 0.24)
CONTACT_KINDS = (("csat", "nps", "ces"), (0.5, 0.3, 0.2))
TICKET_KINDS = (("csat", "nps", "ces"), (0.7, 0.15, 0.15))
#: Median seconds from sending to answering: IVR and in-chat surveys are quick.
RESPONSE_MEDIAN_S = {"voice": 60.0, "chat": 90.0}
EMAIL_RESPONSE_MEDIAN_S = 3 * 3600.0


class Surveys:
    """Sends surveys and, for a share of them, the responses."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._rng = world.rng("surveys")

    def after_contact(
        self, contact_id: str, queue: str, channel: str, resolved: bool, waited_ms: int
    ) -> None:
        """Maybe survey a handled call or chat shortly after its wrap-up."""
        rng, b = self._rng, self.world.behaviour
        if rng.random() >= b.survey_share:
            return
        good = (0.88 if resolved else 0.3) - (0.2 if waited_ms > 120_000 else 0.0)
        respond = b.response_share_voice if channel == "voice" else b.response_share_chat
        kind = choose(rng, *CONTACT_KINDS)
        about = {"queue": queue, "channel": channel, "contact_id": contact_id}
        delay = uniform_ms(rng, (5, 120))
        self._spawn(kind, about, good, respond, RESPONSE_MEDIAN_S.get(channel, 600.0), delay)

    def after_ticket(self, ticket_id: str, queue: str, channel: str, reopened: bool) -> None:
        """Maybe survey a solved ticket by e-mail within the hour."""
        rng, b = self._rng, self.world.behaviour
        if rng.random() >= b.survey_share:
            return
        good = 0.45 if reopened else 0.82
        kind = choose(rng, *TICKET_KINDS)
        about = {"queue": queue, "channel": channel, "ticket_id": ticket_id}
        delay = uniform_ms(rng, (60, 3600))
        self._spawn(kind, about, good, b.response_share_ticket, EMAIL_RESPONSE_MEDIAN_S, delay)

    def esat(self, agent: Agent) -> None:
        """Maybe ask an agent going off shift how their day was (team-level ESAT)."""
        rng, b = self._rng, self.world.behaviour
        if rng.random() >= b.esat_share:
            return
        survey_id = self.world.next_id("srv")
        process = self._esat_process(survey_id, agent.team, b.esat_response_share)
        self.world.sched.spawn(process, delay_ms=uniform_ms(rng, (30, 300)))

    def _spawn(
        self,
        kind: str,
        about: dict[str, Any],
        good: float,
        respond: float,
        median_s: float,
        delay_ms: int,
    ) -> None:
        survey_id = self.world.next_id("srv")
        process = self._process(survey_id, kind, about, good, respond, median_s)
        self.world.sched.spawn(process, delay_ms=delay_ms)

    def _process(
        self,
        survey_id: str,
        kind: str,
        about: dict[str, Any],
        good: float,
        respond: float,
        median_s: float,
    ) -> Process:
        rng = self._rng
        self.world.emit("survey.sent", {"survey_id": survey_id, "kind": kind, **about})
        if rng.random() >= respond:
            return
        yield lognormal_ms(rng, median_s, 1.0)
        scores, good_weights, bad_weights = SCORES[kind]
        weights = good_weights if rng.random() < good else bad_weights
        labels = {"queue": about["queue"], "channel": about["channel"]}
        score = choose(rng, scores, weights)
        self.world.emit(
            "survey.responded", {"survey_id": survey_id, "kind": kind, "score": score, **labels}
        )

    def _esat_process(self, survey_id: str, team: str, respond: float) -> Process:
        rng = self._rng
        self.world.emit("survey.sent", {"survey_id": survey_id, "kind": "esat", "team": team})
        if rng.random() >= respond:
            return
        yield lognormal_ms(rng, 30 * MINUTE_MS / 1000, 1.2)
        score = choose(rng, range(1, 6), ESAT_WEIGHTS)
        self.world.emit(
            "survey.responded",
            {"survey_id": survey_id, "kind": "esat", "score": score, "team": team},
        )
