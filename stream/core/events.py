"""Typed events, decoded once at the edge.

Each event family is a NamedTuple: immutable, slot-free (no per-instance ``__dict__``),
cheap to build on the hot path and trivially serialisable as a list for changelog
tables. Every family starts with the same five header fields so shared code
(dedup, ordering, health counters) can treat them alike.

Customer ids never reach these types in clear: the decoder replaces them with a
short BLAKE2b hash (``customer``, pseudonymisation: unkeyed, so guessable ids such as
phone numbers could be recovered by trial), which is all the FCR repeat check needs.
"""

from __future__ import annotations

from typing import NamedTuple

CALLS, CHATS, TICKETS, SURVEYS, AGENTS = (
    "cx.calls",
    "cx.chats",
    "cx.tickets",
    "cx.surveys",
    "cx.agents",
)
DEADLETTER = "cx.deadletter"
SOURCE_TOPICS = (CALLS, CHATS, TICKETS, SURVEYS, AGENTS)

CONTACT_ACTIONS = (
    "queued",
    "answered",
    "abandoned",
    "transferred",
    "hold_started",
    "hold_ended",
    "message",
    "ended",
    "wrapup_ended",
)
CALL_ONLY_ACTIONS = frozenset({"hold_started", "hold_ended"})
CHAT_ONLY_ACTIONS = frozenset({"message"})

#: Every event type of SPEC §3 and the topic it belongs to (also used by replay).
TOPIC_OF_TYPE: dict[str, str] = {
    **{f"call.{a}": CALLS for a in CONTACT_ACTIONS if a not in CHAT_ONLY_ACTIONS},
    **{f"chat.{a}": CHATS for a in CONTACT_ACTIONS if a not in CALL_ONLY_ACTIONS},
    "ticket.created": TICKETS,
    "ticket.commented": TICKETS,
    "ticket.status_changed": TICKETS,
    "ticket.assigned": TICKETS,
    "survey.sent": SURVEYS,
    "survey.responded": SURVEYS,
    "agent.state_changed": AGENTS,
}

#: The data field whose value is the entity id and the Kafka message key, by type prefix.
KEY_FIELD_OF_PREFIX = {
    "call": "contact_id",
    "chat": "contact_id",
    "ticket": "ticket_id",
    "survey": "survey_id",
    "agent": "agent_id",
}

#: Contact channel label by type prefix (SPEC §4: voice for call.*, chat for chat.*).
CHANNEL_OF_PREFIX = {"call": "voice", "chat": "chat"}

TICKET_STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
OPEN_TICKET_STATUSES = ("new", "open", "pending", "on_hold")
PAUSED_TICKET_STATUSES = frozenset({"pending", "on_hold"})
PRIORITIES = ("low", "normal", "high", "urgent")
SURVEY_KINDS = ("csat", "nps", "ces", "esat")
AGENT_STATES = ("available", "on_contact", "after_contact_work", "away", "offline")

#: Invalid-event reasons (label ``reason`` of cx_events_invalid_total), most basic first.
INVALID_REASONS = (
    "oversized",  # message larger than the configured limit
    "bad_utf8",  # bytes are not UTF-8
    "not_json",  # not parseable as JSON
    "not_an_object",  # JSON, but not an object
    "bad_envelope",  # CloudEvents envelope fields missing or wrong (specversion, id, ...)
    "unknown_type",  # `type` is not one of SPEC §3
    "missing_field",  # a required data field is absent
    "wrong_type",  # a field has the wrong JSON type
    "bad_value",  # a field has a value outside its allowed set or range
    "bad_time",  # `time` is not RFC 3339 with an offset
    # The CloudEvents Kafka binding's headers (binding.py):
    "bad_header",  # a ce_* or content-type header twice, or not UTF-8
    "unsupported_content_type",  # a data or event format other than JSON
    "conflicting_modes",  # ce_* headers that contradict the structured event beside them
)


class ContactEvent(NamedTuple):
    """A call.* or chat.* event."""

    type: str
    source: str
    id: str
    time_ms: int
    key: str  # contact_id
    action: str  # queued, answered, ... (type without its prefix)
    channel: str  # "voice" | "chat"
    queue: str | None = None  # queued: the queue; transferred: to_queue
    customer: str | None = None  # hashed customer_id (queued)
    agent: str | None = None  # answered
    author: str | None = None  # message: customer | agent | bot
    resolved: bool | None = None  # ended / wrapup_ended


class TicketEvent(NamedTuple):
    """A ticket.* event."""

    type: str
    source: str
    id: str
    time_ms: int
    key: str  # ticket_id
    action: str  # created, commented, status_changed, assigned
    queue: str | None = None
    priority: str | None = None  # created (default normal)
    channel: str | None = None  # created (default email)
    customer: str | None = None  # hashed customer_id
    author: str | None = None  # commented: customer | agent
    public: bool = True  # commented
    status: str | None = None  # status_changed
    agent: str | None = None  # assigned


class SurveyEvent(NamedTuple):
    """A survey.* event."""

    type: str
    source: str
    id: str
    time_ms: int
    key: str  # survey_id
    action: str  # sent, responded
    kind: str  # csat, nps, ces, esat
    score: int | None = None  # responded
    queue: str | None = None
    channel: str | None = None
    team: str | None = None


class AgentEvent(NamedTuple):
    """An agent.state_changed event."""

    type: str
    source: str
    id: str
    time_ms: int
    key: str  # agent_id
    action: str  # state_changed
    state: str
    queues: tuple[str, ...] = ()
    team: str | None = None


Event = ContactEvent | TicketEvent | SurveyEvent | AgentEvent


class Invalid(NamedTuple):
    """A message that could not become an event: it goes to the dead-letter topic."""

    reason: str  # one of INVALID_REASONS
    detail: str  # human-readable, for logs, stderr and dead-letter headers
    topic: str | None = None  # the topic its type belongs to, when the type was readable
