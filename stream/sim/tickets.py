"""Tickets: created, routed, answered, waiting on the customer, solved, now and then
reopened — the help-desk side, arriving by e-mail, web form and social media, plus
follow-up tickets opened when a call or chat could not resolve the issue.

Replies come at priority-dependent delays (urgent within minutes, low within a working
day). Non-urgent replies due at night wait for the morning, so the first-reply overdue
gauge grows overnight as it does in a real help desk. Agents' time on tickets is not
modelled: the simulated desk never competes with calls for an agent.
"""

from __future__ import annotations

from typing import Any

from ..core.timeutil import HOUR_MS
from .curve import SHAPES, DailyCurve, arrival_times
from .scheduler import Process
from .surveys import Surveys
from .workforce import Workforce
from .world import World, choose, lognormal_ms, uniform_ms

PRIORITIES = (("low", "normal", "high", "urgent"), (0.2, 0.55, 0.2, 0.05))
CHANNELS = (("email", "web", "social"), (0.65, 0.25, 0.10))
#: Median hours to the first public reply; later replies take 60 % of it.
REPLY_MEDIAN_H = {"urgent": 0.3, "high": 1.5, "normal": 3.5, "low": 8.0}
BUSINESS_HOURS = (7.0, 21.0)
SOLVE_SHARE = 0.35  # chance a reply solves the ticket, rising each round
ON_HOLD_SHARE = 0.1  # waits on a third party instead of the customer
CUSTOMER_REPLY_SHARE = 0.85
PRIVATE_NOTE_SHARE = 0.25
REASSIGN_SHARE = 0.08
REOPEN_SHARE = 0.08
CLOSE_SHARE = 0.3


class TicketDesk:
    """Ticket arrivals and each ticket's lifecycle."""

    def __init__(
        self, world: World, curve: DailyCurve, workforce: Workforce, surveys: Surveys
    ) -> None:
        self.world = world
        self.workforce = workforce
        self.surveys = surveys
        self._rng = world.rng("tickets")
        settings = world.settings
        # E-mail is flatter than phone traffic: half the daily swing.
        shape = tuple(0.5 + 0.5 * v for v in curve.shape)
        self.curve = DailyCurve(
            shape if settings.curve == "day" else SHAPES["flat"], settings.timezone
        )
        per_hour = settings.contacts_per_hour * settings.tickets_per_contact
        self._arrivals = arrival_times(
            world.rng("ticket-arrivals"), self.curve, per_hour, world.sched.now
        )
        self._population = max(20_000, int(settings.contacts_per_hour * 24 * 30))

    def start(self) -> None:
        """Schedule the first ticket."""
        self._schedule_arrival()

    def open_later(self, delay_ms: int, queue: str, channel: str, customer: str | None) -> None:
        """A follow-up ticket for a contact that was not resolved."""
        priority = "high" if self._rng.random() < 0.3 else "normal"
        process = self._ticket(queue, priority, channel, customer)
        self.world.sched.spawn(process, delay_ms=delay_ms)

    def _schedule_arrival(self) -> None:
        at = next(self._arrivals, None)
        if at is not None:
            self.world.sched.at(at, self._arrive)

    def _arrive(self) -> None:
        rng = self._rng
        customer = f"cust-{rng.randrange(1, self._population + 1):07d}"
        queue = self.world.pick_queue(rng)
        process = self._ticket(queue, choose(rng, *PRIORITIES), choose(rng, *CHANNELS), customer)
        self.world.sched.spawn(process)
        self._schedule_arrival()

    def _reply_wait(self, priority: str, first: bool) -> int:
        """Milliseconds until the next agent reply, pushed into business hours."""
        median_s = REPLY_MEDIAN_H[priority] * 3600 * (1.0 if first else 0.6)
        due = self.world.sched.now + lognormal_ms(self._rng, median_s, 0.9)
        hour = self.curve.local_hour(due)
        if priority != "urgent" and not BUSINESS_HOURS[0] <= hour < BUSINESS_HOURS[1]:
            morning = self.curve.midnight_ms(due + (0 if hour < BUSINESS_HOURS[0] else 4 * HOUR_MS))
            due = morning + round(BUSINESS_HOURS[0] * HOUR_MS) + uniform_ms(self._rng, (0, 7200))
        return due - self.world.sched.now

    def _agent_for(self, queue: str, other_than: str | None = None) -> str:
        serving = [
            a for a in self.workforce.roster if queue in a.queues and a.agent_id != other_than
        ]
        on_shift = [a for a in serving if a.on_shift] or serving or self.workforce.roster
        return self._rng.choice(on_shift).agent_id

    def _ticket(self, queue: str, priority: str, channel: str, customer: str | None) -> Process:
        rng, emit = self._rng, self.world.emit
        ticket_id = self.world.next_id("tkt")
        data: dict[str, Any] = {
            "ticket_id": ticket_id,
            "queue": queue,
            "priority": priority,
            "channel": channel,
        }
        if customer is not None:
            data["customer_id"] = customer
        emit("ticket.created", data)
        status = "new"

        def set_status(new: str) -> None:
            nonlocal status
            if new != status:
                status = new
                emit("ticket.status_changed", {"ticket_id": ticket_id, "status": new})

        def comment(author: str, public: bool = True) -> None:
            emit("ticket.commented", {"ticket_id": ticket_id, "author": author, "public": public})

        yield lognormal_ms(rng, 8 * 60, 0.8)  # routing and triage
        agent = self._agent_for(queue)
        emit("ticket.assigned", {"ticket_id": ticket_id, "queue": queue, "agent_id": agent})
        wait = self._reply_wait(priority, first=True)
        if rng.random() < PRIVATE_NOTE_SHARE:
            note = round(wait * rng.uniform(0.3, 0.9))
            yield note
            set_status("open")
            comment("agent", public=False)
            wait -= note
        yield wait
        comment("agent")
        set_status("open")
        rounds = 0
        while True:
            draw = rng.random()
            if draw < SOLVE_SHARE + 0.15 * rounds:
                break
            if draw > 1 - ON_HOLD_SHARE:
                set_status("on_hold")
                yield lognormal_ms(rng, 3 * 3600, 0.8)
                set_status("open")
            else:
                set_status("pending")
                if rng.random() >= CUSTOMER_REPLY_SHARE:
                    yield uniform_ms(rng, (24 * 3600, 72 * 3600))  # auto-solved when silent
                    break
                yield lognormal_ms(rng, 2 * 3600, 1.0)
                comment("customer")
                set_status("open")
            if rng.random() < REASSIGN_SHARE and len(self.world.queues) > 1:
                yield uniform_ms(rng, (300, 3600))
                queue = self.world.pick_queue(rng, other_than=queue)
                agent = self._agent_for(queue, other_than=agent)
                emit("ticket.assigned", {"ticket_id": ticket_id, "queue": queue, "agent_id": agent})
            if rng.random() < PRIVATE_NOTE_SHARE:
                yield uniform_ms(rng, (120, 1800))
                comment("agent", public=False)
            yield self._reply_wait(priority, first=False)
            comment("agent")
            rounds += 1
        set_status("solved")
        reopened = rng.random() < REOPEN_SHARE
        self.surveys.after_ticket(ticket_id, queue, channel, reopened)
        if reopened:
            yield lognormal_ms(rng, 5 * 3600, 1.0)
            comment("customer")
            set_status("open")
            yield self._reply_wait(priority, first=False)
            comment("agent")
            yield uniform_ms(rng, (60, 4 * 3600))
            set_status("solved")
        elif rng.random() < CLOSE_SHARE:
            yield lognormal_ms(rng, 8 * 3600, 0.7)
            set_status("closed")
        return None
