"""Facts: what a lifecycle concludes, ready to be summed per queue.

A fact is an immutable tuple ``(kind, labels, time_ms, value, weight)``. It says "one
outcome of this kind, for these labels, attributed to this instant, measuring this
many milliseconds (or this score)". ``weight`` is +1 normally and −1 when a correction
retracts a fact emitted earlier (an event arrived out of order and changed an outcome,
or a ticket was solved again and only its latest resolution counts).

Because facts are signed and everything downstream is a sum, the queue aggregates do
not care in which order facts arrive: that is what makes live, replay and any
interleaving of partitions agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

_new = tuple.__new__  # a named tuple without its constructor's overhead: per change


class Fact(NamedTuple):
    kind: str
    labels: tuple
    time_ms: int
    value: int = 0
    weight: int = 1


# Contact facts, labels (queue, channel). value: milliseconds.
OFFERED = "offered"
ANSWERED = "answered"  # value: wait
ABANDONED = "abandoned"  # value: wait
TRANSFERRED = "transferred"  # value: wait if transferred while waiting, else -1
HANDLED = "handled"  # value: answered → wrap-up end
FIRST_RESPONSE = "first_response"
RESPONSE = "response"
FCR = "fcr"  # value: 1 resolved first time, 0 not
# Contact facts for the customer history (FCR repeat check), not aggregated directly.
CUSTOMER_QUEUED = "customer_queued"  # labels (customer, contact_id); time: first queued
CUSTOMER_WRAPPED = "customer_wrapped"  # labels (customer, contact_id, first_queued_ms,
#                                          resolved, queue, channel); time: wrap-up end
# Ticket facts, labels (queue, priority).
TICKET_CREATED = "ticket_created"
TICKET_SOLVED = "ticket_solved"  # value: public agent comments so far
TICKET_REOPENED = "ticket_reopened"
TICKET_FIRST_REPLY = "ticket_first_reply"
TICKET_REPLY = "ticket_reply"
TICKET_RESOLUTION = "ticket_resolution"  # latest solve only (earlier ones retracted)
# The same two durations in business time (the queues' calendars, calendars.py).
TICKET_FIRST_REPLY_BUSINESS = "ticket_first_reply_business"
TICKET_RESOLUTION_BUSINESS = "ticket_resolution_business"
# Survey facts, labels (kind, queue, channel, team). value: score.
SURVEY_SENT = "survey_sent"
SURVEY_RESPONSE = "survey_response"
# An employee survey's score for the agent's team, labels (team,). value: score.
ESAT = "esat"
# Agent time, labels (team, state). time: the minute it falls in; value: milliseconds.
AGENT_TIME = "agent_time"
# A contact an agent handled, labels (agent id,); time: wrap-up end; value: handle ms.
# Only for the opt-in agents view (agents_view.py): agent ids are personal data and
# never become a metric label.
AGENT_HANDLED = "agent_handled"
# Pipeline health, counted where the route "h:" lands, so one worker exports each
# health series. A batch's counts from one source (``stages.Tally``), labels (offsets,
# each message's (topic, type or reason, outcome), newest event time per topic):
PIPELINE_TALLY = "pipeline_tally"
# One message's count, labels (topic, type or reason, outcome): what a worker sent
# before tallies, still counted when read.
PIPELINE = "pipeline"
# Not a fact but rides with them to stage 2: an entity's live descriptor changed,
# labels (entity ref, descriptor or None). See ``stages.live_changes``.
LIVE = "live"


def net(new: Iterable[Fact], old: Iterable[Fact]) -> list[Fact]:
    """The signed difference ``new − old`` of two fact multisets, as facts.

    Used after a refold: whatever the old fold emitted and the new one does not is
    retracted, whatever is new is added, and what both emitted cancels out.
    """
    weights: dict[tuple, int] = {}
    for fact in new:
        head = fact[:4]
        weights[head] = weights.get(head, 0) + fact.weight
    for fact in old:
        head = fact[:4]
        weights[head] = weights.get(head, 0) - fact.weight
    # Retractions first, so that what they free (a label-cap slot) is free for the rest.
    changed = [_new(Fact, (*head, weight)) for head, weight in weights.items() if weight]
    if len(changed) > 1:
        changed.sort(key=_added)
    return changed


def _added(fact: Fact) -> bool:
    return fact.weight > 0
