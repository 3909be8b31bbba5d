"""The contact centre: calls and chats queue, wait for a serving agent, talk, wrap up.

Arrivals are Poisson along the daily curve. A contact waits FIFO in its queue until an
agent who serves that queue is free (an agent picks from their queues the contact that
has waited longest, priority queues such as ``vip`` first); the longest-idle agent gets
a new contact. Customers have exponential patience, a share of them hang up within
seconds. After the conversation comes after-contact work and then ``wrapup_ended``
with a ``resolved`` flag, which drives surveys, follow-up tickets and repeat contacts by
the same ``customer_id`` — the raw material of FCR.

A contact's ``entry`` counter changes whenever a waiting spell starts or ends, so stale
queue slots, chat bot messages and re-routes scheduled for an old spell do nothing.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..core.timeutil import HOUR_MS, MINUTE_MS
from .conversations import Outcome, call_script, chat_script, chat_waiting_script
from .curve import DailyCurve, arrival_times, surge_times
from .floor import FloorManager
from .settings import PRIORITY_QUEUES, busiest_queue
from .surveys import Surveys
from .tickets import TicketDesk
from .workforce import Agent, Workforce
from .world import World, lognormal_ms, uniform_ms

WAITING, RINGING, CONNECTED, WRAPPING, DONE = range(5)
MAX_ATTEMPTS = 4
SHORT_PATIENCE_S = (1.0, 9.5)
#: Share of contacts whose ``ended`` already says whether it was resolved (the agent set
#: the disposition during the conversation); ``wrapup_ended`` always says it, the same.
RESOLVED_AT_END_SHARE = 0.5


@dataclass(slots=True, eq=False)
class Contact:
    """One call or chat through all its queues and agents."""

    contact_id: str
    prefix: str  # "call" | "chat" (the event type prefix)
    customer_id: str | None
    queue: str
    attempt: int
    status: int = WAITING
    entry: int = 0
    entered_ms: int = 0
    waited_ms: int = 0
    patience: int = 0  # token of the live abandon happening
    agent: Agent | None = None
    transfers: int = 0

    @property
    def channel(self) -> str:
        return "voice" if self.prefix == "call" else "chat"


class ContactCenter:
    """Queues, dispatch and the life of every contact."""

    def __init__(
        self,
        world: World,
        curve: DailyCurve,
        workforce: Workforce,
        tickets: TicketDesk,
        surveys: Surveys,
        floor: FloorManager | None = None,
    ) -> None:
        self.world = world
        self.floor = floor
        self.curve = curve
        self.workforce = workforce
        self.tickets = tickets
        self.surveys = surveys
        self.waiting: dict[str, deque[tuple[int, Contact]]] = {q: deque() for q in world.queues}
        self._rng = world.rng("contacts")
        settings = world.settings
        self._population = max(20_000, int(settings.contacts_per_hour * 24 * 30))
        self._arrivals = arrival_times(
            world.rng("arrivals"), curve, settings.contacts_per_hour, world.sched.now
        )
        workforce.on_free = self._agent_free

    def start(self) -> None:
        """Schedule the first arrival, and with a surge the first of its extra arrivals
        (their own arrival stream, into the busiest queue)."""
        self._each(self._arrivals, self._arrive)
        surge = self.world.settings.surge
        if surge is not None:
            self._surge_queue = busiest_queue(self.world.settings)
            weights = dict(zip(self.world.queues, self.world.weights, strict=True))
            share = weights[self._surge_queue] / sum(weights.values())
            per_hour = surge.times * self.world.settings.contacts_per_hour * share
            begin = self.world.sched.now + surge.after_s * 1000
            arrivals = surge_times(
                self.world.rng("surge"), per_hour, begin, begin + surge.duration_s * 1000
            )
            self._each(arrivals, self._surge_arrive)

    def _each(self, arrivals: Iterator[int], arrive: Callable[[], None]) -> None:
        """Run ``arrive`` at each instant of ``arrivals``, scheduling one at a time."""
        at = next(arrivals, None)
        if at is not None:
            self.world.sched.at(at, partial(self._arrived, arrivals, arrive))

    def _arrived(self, arrivals: Iterator[int], arrive: Callable[[], None]) -> None:
        arrive()
        self._each(arrivals, arrive)

    def _prefix(self, rng: random.Random) -> str:
        return "chat" if rng.random() < self.world.settings.effective_chat_share else "call"

    def _surge_arrive(self) -> None:
        self._offer(self._prefix(self.world.rng("surge")), self._surge_queue, None, attempt=1)

    def _arrive(self) -> None:
        rng, b = self._rng, self.world.behaviour
        prefix = self._prefix(rng)
        customer = None
        if rng.random() >= b.anonymous_share:
            customer = f"cust-{rng.randrange(1, self._population + 1):07d}"
        self._offer(prefix, self.world.pick_queue(rng), customer, attempt=1)

    def _offer(self, prefix: str, queue: str, customer: str | None, attempt: int) -> None:
        rng, b = self._rng, self.world.behaviour
        contact = Contact(self.world.next_id(prefix), prefix, customer, queue, attempt)
        data: dict[str, Any] = {"contact_id": contact.contact_id, "queue": queue}
        if customer is not None:
            data["customer_id"] = customer
        self.world.emit(f"{prefix}.queued", data)
        self._arm_patience(contact)
        if len(self.world.queues) > 1 and rng.random() < b.transfer_waiting_share:
            self.world.sched.after(
                uniform_ms(rng, (20, 90)), partial(self._reroute, contact, contact.entry + 1)
            )
        self._enqueue(contact)

    def _arm_patience(self, contact: Contact) -> None:
        rng, b = self._rng, self.world.behaviour
        if rng.random() < b.short_patience_share:
            wait = uniform_ms(rng, SHORT_PATIENCE_S)
        else:
            mean = b.patience_mean_voice_s if contact.prefix == "call" else b.patience_mean_chat_s
            wait = round(rng.expovariate(1 / mean) * 1000)
        contact.patience += 1
        self.world.sched.after(wait, partial(self._abandon, contact, contact.patience))

    def _enqueue(self, contact: Contact) -> None:
        contact.status = WAITING
        contact.entry += 1
        contact.entered_ms = self.world.sched.now
        self.waiting[contact.queue].append((contact.entry, contact))
        if contact.prefix == "chat":
            self.world.sched.spawn(chat_waiting_script(self.world, contact, contact.entry))
        queue = contact.queue
        agent = next((a for a in self.workforce.idle.values() if queue in a.queues), None)
        if agent is not None:  # the longest idle agent who serves the queue
            self._connect(agent, contact)

    def _head(self, queue: str) -> Contact | None:
        slots = self.waiting[queue]
        while slots:
            entry, contact = slots[0]
            if contact.status == WAITING and contact.entry == entry and contact.queue == queue:
                return contact
            slots.popleft()
        return None

    def _agent_free(self, agent: Agent) -> None:
        heads = [c for c in map(self._head, agent.queues) if c is not None]
        if heads:
            best = min(heads, key=lambda c: (c.queue not in PRIORITY_QUEUES, c.entered_ms))
            self._connect(agent, best)

    def _leave_queue(self, contact: Contact) -> None:
        contact.waited_ms += self.world.sched.now - contact.entered_ms
        contact.entry += 1

    def _connect(self, agent: Agent, contact: Contact) -> None:
        self.workforce.take(agent)
        self._leave_queue(contact)
        contact.status = RINGING
        contact.agent = agent
        b = self.world.behaviour
        ring = b.ring_voice_s if contact.prefix == "call" else b.ring_chat_s
        self.world.sched.after(uniform_ms(self._rng, ring), partial(self._answer, contact, agent))

    def _answer(self, contact: Contact, agent: Agent) -> None:
        if contact.status != RINGING or contact.agent is not agent:
            return  # the customer hung up while it rang; the agent was freed then
        contact.status = CONNECTED
        self.world.emit(
            f"{contact.prefix}.answered",
            {"contact_id": contact.contact_id, "agent_id": agent.agent_id},
        )
        self.workforce.set_state(agent, "on_contact")
        if self.floor is not None:
            self.floor.answered(contact.queue, self.world.sched.now - contact.entered_ms)
        script = call_script if contact.prefix == "call" else chat_script
        may_transfer = contact.transfers == 0
        process = script(self.world, contact.contact_id, contact.queue, may_transfer)
        self.world.sched.spawn(process, partial(self._conversation_over, contact, agent))

    def _conversation_over(self, contact: Contact, agent: Agent, outcome: Outcome) -> None:
        kind, to_queue = outcome
        self.workforce.set_state(agent, "after_contact_work")
        if kind == "transfer" and to_queue is not None:
            self.world.emit(
                f"{contact.prefix}.transferred",
                {"contact_id": contact.contact_id, "to_queue": to_queue},
            )
            self.world.sched.after(
                uniform_ms(self._rng, (10, 30)), partial(self.workforce.free, agent)
            )
            contact.transfers += 1
            contact.queue = to_queue
            contact.agent = None
            self._arm_patience(contact)  # a fresh wait: patience starts again
            self._enqueue(contact)
            return
        contact.status = WRAPPING
        rng, b = self._rng, self.world.behaviour
        resolved = rng.random() < b.resolved_share * (0.8 if contact.transfers else 1.0)
        data: dict[str, Any] = {"contact_id": contact.contact_id}
        if rng.random() < RESOLVED_AT_END_SHARE:
            data["resolved"] = resolved
        self.world.emit(f"{contact.prefix}.ended", data)
        median = b.acw_median_voice_s if contact.prefix == "call" else b.acw_median_chat_s
        acw = lognormal_ms(rng, median, b.acw_sigma)
        self.world.sched.after(acw, partial(self._wrapped_up, contact, agent, resolved))

    def _wrapped_up(self, contact: Contact, agent: Agent, resolved: bool) -> None:
        rng, b = self._rng, self.world.behaviour
        contact.status = DONE
        self.world.emit(
            f"{contact.prefix}.wrapup_ended",
            {"contact_id": contact.contact_id, "resolved": resolved},
        )
        self.workforce.free(agent)
        self.surveys.after_contact(
            contact.contact_id, contact.queue, contact.channel, resolved, contact.waited_ms
        )
        if resolved:
            self._maybe_repeat(contact, b.repeat_resolved_share, 2 * HOUR_MS)
            return
        self._maybe_repeat(contact, b.repeat_unresolved_share, 2 * HOUR_MS)
        if rng.random() < b.followup_ticket_share:
            self.tickets.open_later(
                uniform_ms(rng, (60, 900)), contact.queue, contact.channel, contact.customer_id
            )

    def _abandon(self, contact: Contact, token: int) -> None:
        if token != contact.patience or contact.status not in (WAITING, RINGING):
            return
        agent = contact.agent if contact.status == RINGING else None
        if self.floor is not None:
            self.floor.abandoned(contact.queue, self.world.sched.now - contact.entered_ms)
        if contact.status == WAITING:
            self._leave_queue(contact)
        contact.status = DONE
        contact.agent = None
        self.world.emit(f"{contact.prefix}.abandoned", {"contact_id": contact.contact_id})
        if agent is not None:
            self.workforce.free(agent)
        short = contact.waited_ms < 10_000
        share = self.world.behaviour.retry_abandoned_share * (0.5 if short else 1.0)
        self._maybe_repeat(contact, share, 8 * MINUTE_MS)

    def _reroute(self, contact: Contact, entry: int) -> None:
        if contact.status != WAITING or contact.entry != entry:
            return
        to_queue = self.world.pick_queue(self._rng, other_than=contact.queue)
        self._leave_queue(contact)
        self.world.emit(
            f"{contact.prefix}.transferred",
            {"contact_id": contact.contact_id, "to_queue": to_queue},
        )
        contact.transfers += 1
        contact.queue = to_queue
        self._enqueue(contact)

    def _maybe_repeat(self, contact: Contact, share: float, median_ms: int) -> None:
        """The same customer contacts again, usually within hours (always within 24 h)."""
        rng = self._rng
        if contact.customer_id is None or contact.attempt >= MAX_ATTEMPTS:
            return
        if rng.random() >= share:
            return
        delay = min(lognormal_ms(rng, median_ms / 1000, 1.0), 23 * HOUR_MS)
        prefix = contact.prefix
        if len(self.world.settings.channels) > 1 and rng.random() < 0.25:
            prefix = "call" if prefix == "chat" else "chat"
        repeat = partial(
            self._offer, prefix, contact.queue, contact.customer_id, contact.attempt + 1
        )
        self.world.sched.after(delay, repeat)
