"""Simulation settings: every knob of the traffic generator in one frozen dataclass.

The defaults describe a mid-sized inbound centre on a weekday: four queues, forty agents
on staggered shifts, about 80 new customer contacts an hour on average over the day
(calls and chats), 0.3 tickets per contact, post-contact surveys and a small
sprinkle of producer faults. Behaviour that only tuning needs (talk times, patience,
resolution rates) sits in :class:`Behaviour`, so the command line stays short.

Times are seconds here because that is how people think about them; the simulation
converts them to integer milliseconds, the unit of every timestamp in cxkpi.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..core.errors import ConfigError

#: Queue names used first, in order; more queues get generated names (queue-05, ...).
QUEUE_NAMES = (
    "billing",
    "tech-support",
    "sales",
    "vip",
    "retention",
    "orders",
    "returns",
    "onboarding",
    "claims",
    "accounts",
    "shipping",
    "loyalty",
)
#: Relative volume of the named queues (a VIP line is small; billing is the busiest).
QUEUE_WEIGHTS = {"billing": 1.0, "tech-support": 0.85, "sales": 0.6, "vip": 0.18, "retention": 0.35}
#: Queues whose waiting contacts an agent takes before any other queue's.
PRIORITY_QUEUES = frozenset({"vip"})
TEAM_NAMES = (
    "aurora",
    "borealis",
    "cascade",
    "delta",
    "ember",
    "fjord",
    "glacier",
    "harbor",
    "island",
    "juniper",
    "kestrel",
    "lagoon",
    "meadow",
    "nimbus",
    "orchid",
    "prairie",
)
#: Agents per team (the last team takes the remainder).
TEAM_SIZE = 10
CHANNELS = ("voice", "chat")
#: ``cxkpi demo``'s normal day: roster, flat rate and the floor manager's aim. It aims
#: above the queues' 80 % target, as planners do, because a floor held at the target
#: spends every other window below it, and a wallboard tile is red there. With these
#: the service level over 15 minutes sits in 70–90 % in about three windows of five
#: and below target in one of five (bench/demo_service_level.py).
DEMO_AGENTS = 400
DEMO_RATE = 800.0
DEMO_FLOOR_TARGET = 0.85
CURVES = ("day", "flat")


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How customers and agents behave; realistic defaults from industry benchmarks."""

    talk_median_voice_s: float = 240.0  # lognormal; the mean is about 5 minutes
    talk_sigma: float = 0.6
    acw_median_voice_s: float = 40.0  # after-contact work
    acw_median_chat_s: float = 30.0
    acw_sigma: float = 0.6
    patience_mean_voice_s: float = 180.0  # exponential
    patience_mean_chat_s: float = 420.0
    short_patience_share: float = 0.03  # hang up within 10 s (misdials, IVR regrets)
    ring_voice_s: tuple[float, float] = (2.0, 8.0)  # offer to answer, uniform
    ring_chat_s: tuple[float, float] = (1.0, 4.0)
    hold_share: float = 0.22  # calls with at least one hold
    hold_median_s: float = 45.0
    transfer_waiting_share: float = 0.02  # re-routed to another queue while waiting
    transfer_answered_share: float = 0.05  # agent transfers to another queue
    resolved_share: float = 0.78
    repeat_unresolved_share: float = 0.45  # unresolved customers contact again in 24 h
    repeat_resolved_share: float = 0.05
    retry_abandoned_share: float = 0.45  # abandoned customers try again
    anonymous_share: float = 0.06  # contacts without a known customer_id
    chat_turns: tuple[int, int] = (2, 8)  # customer/agent exchanges, uniform
    chat_agent_reply_median_s: float = 20.0
    chat_customer_reply_median_s: float = 30.0
    followup_ticket_share: float = 0.2  # unresolved contacts that open a ticket
    survey_share: float = 0.35  # handled contacts and solved tickets surveyed
    response_share_voice: float = 0.25
    response_share_chat: float = 0.32
    response_share_ticket: float = 0.15
    esat_share: float = 0.5  # agents asked an ESAT pulse at shift end
    esat_response_share: float = 0.7


class Surge(NamedTuple):
    """Extra contacts for the busiest queue for a while: a scripted incident (an outage
    that makes customers call), so that a demo shows a queue go amber, then red, then
    recover. ``times`` the queue's own rate comes on top of its normal traffic."""

    after_s: int  # from the start of the run
    duration_s: int
    times: float = 3.0


@dataclass(frozen=True, slots=True)
class SimSettings:
    """What to simulate. ``contacts_per_hour`` is the mean over a whole day.

    With the ``day`` curve the hourly rate swings from about 0.1× of the mean at night to
    about 2.2× at the late-morning peak, so a one-hour run at 03:00 is quiet. Repeat
    contacts, retries after abandoning and transfers come on top of the new contacts
    (together about a quarter more offers).

    ``duration_s`` 0 means no end: the iterator then never stops (for live demos).
    Fault shares are fractions of generated events: ``duplicates`` re-sends the same
    event (same source and id), ``late`` adds a straggler whose time is 1–2 days in the
    past, ``out_of_order`` delivers an event after the next event of the same entity,
    ``invalid`` adds an undecodable message.
    """

    queues: int = 4
    agents: int = 40
    contacts_per_hour: float = 80.0
    duration_s: int = 3600
    seed: int = 0
    channels: tuple[str, ...] = CHANNELS
    chat_share: float = 0.3
    curve: str = "day"
    timezone: str = "UTC"  # local time of the daily curve and the shifts
    tickets_per_contact: float = 0.3
    duplicates: float = 0.002
    late: float = 0.001
    out_of_order: float = 0.002
    invalid: float = 0.0005
    behaviour: Behaviour = field(default_factory=Behaviour)
    surge: Surge | None = None
    #: Service level a floor manager steers every queue to by moving agents between
    #: the phones and back-office work (``floor.py``); None: no manager.
    floor_target: float | None = None

    def __post_init__(self) -> None:
        if self.queues < 1 or self.agents < 1:
            raise ConfigError("simulate: --queues and --agents must be at least 1")
        if not math.isfinite(self.contacts_per_hour) or self.contacts_per_hour < 0:
            raise ConfigError("simulate: --rate must be a number of contacts per hour ≥ 0")
        if self.duration_s < 0:
            raise ConfigError("simulate: --duration must be ≥ 0 seconds (0 = run forever)")
        if not self.channels or set(self.channels) - set(CHANNELS):
            raise ConfigError(f"simulate: channels must be among {', '.join(CHANNELS)}")
        if self.curve not in CURVES:
            raise ConfigError(f"simulate: curve must be one of {', '.join(CURVES)}")
        for f in fields(self):
            if f.name in ("chat_share", "duplicates", "late", "out_of_order", "invalid"):
                value = getattr(self, f.name)
                if not 0 <= value <= 1:
                    raise ConfigError(f"simulate: {f.name} must be a fraction in 0..1, not {value}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"simulate: unknown timezone {self.timezone!r}; use an IANA name such as "
                "'UTC' or 'Europe/Berlin'"
            ) from None
        if self.floor_target is not None and not 0 < self.floor_target < 1:
            raise ConfigError("simulate: the floor's service-level target must be in 0..1")
        if self.tickets_per_contact < 0:
            raise ConfigError("simulate: tickets_per_contact must be ≥ 0")

    @property
    def end_offset_ms(self) -> int | None:
        """Length of the run in milliseconds, or None for a run without end."""
        return self.duration_s * 1000 if self.duration_s else None

    @property
    def effective_chat_share(self) -> float:
        """Share of contacts that are chats, given the enabled channels."""
        if "chat" not in self.channels:
            return 0.0
        return 1.0 if "voice" not in self.channels else self.chat_share


def queue_names(count: int) -> tuple[str, ...]:
    """The first ``count`` queue names: the named ones, then queue-NN."""
    named = QUEUE_NAMES[:count]
    return named + tuple(f"queue-{i + 1:02d}" for i in range(len(named), count))


def queue_weights(names: tuple[str, ...]) -> tuple[float, ...]:
    """Relative volume per queue: named ones as listed, generated ones a gentle Zipf tail."""
    return tuple(QUEUE_WEIGHTS.get(name, 0.5 / (1 + i) ** 0.5) for i, name in enumerate(names))


def team_names(agent_count: int) -> tuple[str, ...]:
    """One team per TEAM_SIZE agents: the named ones, then team-NN."""
    count = max(1, math.ceil(agent_count / TEAM_SIZE))
    named = TEAM_NAMES[:count]
    return named + tuple(f"team-{i + 1:02d}" for i in range(len(named), count))


def busiest_queue(settings: SimSettings) -> str:
    """The queue with the largest share of the traffic: where a surge goes."""
    names = queue_names(settings.queues)
    weights = queue_weights(names)
    return names[max(range(len(names)), key=weights.__getitem__)]
