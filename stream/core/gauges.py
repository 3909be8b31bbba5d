"""Live gauges: who waits, which agents are in which state, which tickets are open.

The live descriptors of a set of entities (one route's, in replay) are summarised
once per change of the set, in a shape that answers for any evaluation time with a
few bisections: staleness and the first-reply clock are the only things that move with
time, and both are monotone. Who is waiting is a sorted list of enqueue times per
(queue, channel); a stale contact is one enqueued before a cut-off. An unreplied
ticket's first-reply clock only grows, so it is overdue from one moment on: its
deadline (in its queue's business hours, ``calendars.py``), where paused tickets
either are overdue already (−∞) or never become so.

Summaries are keyed by raw queue names; the label cap is applied when they are
combined for one evaluation, because it depends on everything else that evaluation sees.

A summary follows its set: once summarised, the set journals what each change
replaced, and the next evaluation takes each replaced descriptor out of the summary
and puts its successor in (a bisection each), instead of summarising a queue's
thousands of agents again because one of them changed state. Where the journal
cannot serve (another summary took it, or it grew longer than the set), the summary
is made anew; both ways give the same summary.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from .agents import OCCUPANCY_STATES
from .calendars import AnyCalendar
from .config import Config
from .live import AgentPresence, Descriptor, OpenTicket, Waiting

ALREADY = float("-inf")  # the deadline of a ticket that is overdue whatever the time


class LiveSet:
    """The live descriptors of some entities, and a count of changes to them.

    ``journal``: the descriptors the changes since version ``journal_base`` replaced,
    ``(ref, before, after)`` in order; None until a summary asks for it
    (``Summary.follow``), so that sets no evaluation reads keep none."""

    __slots__ = ("entries", "journal", "journal_base", "version")

    def __init__(self, entries: dict[str, Descriptor] | None = None) -> None:
        self.entries: dict[str, Descriptor] = entries if entries is not None else {}
        self.version = 0
        self.journal: list[tuple[str, Descriptor | None, Descriptor | None]] | None = None
        self.journal_base = 0

    def put(self, ref: str, descriptor: Descriptor | None) -> None:
        """Set an entity's descriptor; ``None``: it is no longer live here."""
        if descriptor is None:
            before = self.entries.pop(ref, None)
        else:
            before = self.entries.get(ref)
            self.entries[ref] = descriptor
        self.version += 1
        journal = self.journal
        if journal is not None:
            journal.append((ref, before, descriptor))
            if len(journal) > JOURNAL_MIN + len(self.entries):
                self.journal = None  # summarising again is cheaper than replaying it

    def restart_journal(self) -> None:
        self.journal, self.journal_base = [], self.version


#: A journal may always hold this many changes, however small its set.
JOURNAL_MIN = 64


class Summary:
    """What one ``LiveSet`` contributes to the gauges, at any evaluation time."""

    __slots__ = (
        "_calendars",
        "_config",
        "_targets",
        "agents",
        "deadlines",
        "serving",
        "source",
        "teams",
        "tickets",
        "version",
        "waiting",
    )

    def __init__(self, live: LiveSet, config: Config) -> None:
        self.source, self.version = live, live.version  # held: its id is never reused
        self.waiting: dict[tuple[str, str], list[int]] = {}  # sorted enqueue times
        self.agents: dict[tuple[str, str], list[int]] = {}  # (queue, state) → sorted since
        #: (queue, the agent's other queues) → sorted since of the agents serving it
        #: (OCCUPANCY_STATES), for sharing each among the queues it serves.
        self.serving: dict[tuple[str, tuple[str, ...]], list[int]] = {}
        #: (team, available or not) → sorted since of its agents in OCCUPANCY_STATES
        self.teams: dict[tuple[str, bool], list[int]] = {}
        self.tickets: dict[tuple[str, str, str], int] = {}  # (queue, priority, status)
        self.deadlines: dict[tuple[str, str], list[float]] = {}  # unreplied, sorted
        self._targets = {
            p: config.first_reply_target_ms(p) for p in config.first_reply_target_seconds
        }
        self._config = config
        self._calendars: dict[str, AnyCalendar] = {}  # queue → its calendar, as asked
        for descriptor in live.entries.values():
            self._add(descriptor, in_order=False)
        for times in (
            *self.waiting.values(),
            *self.agents.values(),
            *self.serving.values(),
            *self.teams.values(),
            *self.deadlines.values(),
        ):
            times.sort()
        live.restart_journal()

    def describes(self, live: LiveSet) -> bool:
        return self.source is live and self.version == live.version

    def follow(self, live: LiveSet) -> bool:
        """Bring the summary up to ``live`` from its journal; False: it cannot."""
        journal = live.journal
        if self.source is not live or journal is None or live.journal_base != self.version:
            return False
        for _, before, after in journal:
            if before is not None:
                self._remove(before)
            if after is not None:
                self._add(after, in_order=True)
        self.version = live.version
        live.restart_journal()
        return True

    def _add(self, descriptor: Descriptor, in_order: bool) -> None:
        """Count a descriptor in; ``in_order``: keep the times sorted as it goes (else
        the caller sorts them once all are in)."""
        for where, key, value in self._counted(descriptor, 1):
            times = where.get(key)
            if times is None:
                where[key] = [value]
            elif in_order:
                insort(times, value)
            else:
                times.append(value)

    def _remove(self, descriptor: Descriptor) -> None:
        for where, key, value in self._counted(descriptor, -1):
            times = where[key]
            del times[bisect_left(times, value)]
            if not times:
                del where[key]

    def _counted(self, descriptor: Descriptor, delta: int) -> tuple[tuple[Any, Any, Any], ...]:
        """Count an open ticket in (``delta`` 1) or out (−1), then give the sorted times
        a descriptor adds to, ``(where, key, value)``. A ticket skips ``_parts``: a
        backlog's thousands are most of a first summary."""
        if type(descriptor) is not OpenTicket:
            return self._parts(descriptor)
        count, late, due = self._ticket(descriptor)
        left = self.tickets.get(count, 0) + delta
        if left:
            self.tickets[count] = left
        else:
            del self.tickets[count]
        return () if due is None else ((self.deadlines, late, due),)

    def _parts(self, descriptor: Waiting | AgentPresence) -> tuple[tuple[Any, Any, Any], ...]:
        """``(where, key, value)`` of the sorted times a contact or an agent adds to."""
        if type(descriptor) is Waiting:
            queue, channel, since = descriptor
            return ((self.waiting, (queue, channel), since),)
        state, queues, team, since = descriptor
        busy = state in OCCUPANCY_STATES
        parts: tuple[tuple[Any, Any, Any], ...] = ()
        if queues:  # a queue's copy: that queue first, then the agent's others
            parts = ((self.agents, (queues[0], state), since),)
            if busy:
                parts += ((self.serving, (queues[0], queues[1:]), since),)
        if team is not None and busy:
            parts += ((self.teams, (team, state == "available"), since),)
        return parts

    def _ticket(self, ticket: OpenTicket) -> tuple[tuple[str, str, str], tuple[str, str], Any]:
        """What an open ticket adds: its count's key, and its first-reply deadline's
        key and time (None: it has replied, or will never be overdue)."""
        queue, priority, status, replied, active_ms, active_since = ticket
        due = None
        if not replied:
            calendar = self._calendars.get(queue)
            if calendar is None:
                calendar = self._calendars[queue] = self._config.calendar_of(queue)
            due = _deadline(active_ms, active_since, self._targets[priority], calendar)
        return (queue, priority, status), (queue, priority), due


def _deadline(
    active_ms: int, active_since: int | None, target_ms: int, calendar: AnyCalendar
) -> float | None:
    """The time after which the first-reply clock (business ms of ``calendar``) exceeds
    the target; None: never. Past the deadline the clock has run inside working hours,
    so the count of overdue tickets changes only while the queue is open."""
    if active_ms > target_ms:
        return ALREADY
    if active_since is None:
        return None
    return calendar.deadline(active_since, target_ms - active_ms)


class Gauges(NamedTuple):
    """The live gauges of one evaluation, labelled."""

    waiting: dict[tuple[str, str], tuple[int, int]]  # (queue, channel) → (count, oldest)
    agents: dict[tuple[str, str], int]  # (queue, state) → count
    serving: dict[tuple[str, tuple[str, ...]], int]  # (queue, other queues) → agents
    agent_queues: set[str]
    tickets: dict[tuple[str, str, str], int]
    overdue: dict[tuple[str, str], int]
    #: (team, available or not) → since of its agents in OCCUPANCY_STATES, not stale:
    #: each summary's part sorted (raw team names: occupancy's label cap is its own)
    teams: dict[tuple[str, bool], list[int]]

    def serving_agents(self) -> dict[str, float]:
        """Agents serving each queue now, an agent among k queues counting 1/k.

        The share is static (the agent's queues, not those where contacts wait now):
        a queue's worker sees its own agents but not the other queues' waiting, so a
        share that depended on them would differ between live and replay.
        Summed in a fixed order, so that the same agents always give the same float.
        """
        shares: dict[str, dict[int, int]] = {}
        for (queue, others), n in self.serving.items():
            per_k, k = shares.setdefault(queue, {}), 1 + len(others)
            per_k[k] = per_k.get(k, 0) + n
        return {q: sum(n / k for k, n in sorted(per_k.items())) for q, per_k in shares.items()}


class Summaries:
    """Summaries of live sets, redone only for sets that changed since the last call."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._held: dict[int, Summary] = {}

    def gauges(
        self, live: Iterable[LiveSet], label: Callable[[str], str], at_ms: int, stale_ms: int
    ) -> Gauges:
        held, config = self._held, self.config
        current: dict[int, Summary] = {}
        gauges = Gauges({}, {}, {}, set(), {}, {}, {})
        cutoff = at_ms - stale_ms
        for live_set in live:
            summary = held.get(id(live_set))
            if summary is None or not (summary.describes(live_set) or summary.follow(live_set)):
                summary = Summary(live_set, config)
            current[id(live_set)] = summary
            _combine(gauges, summary, label, at_ms, cutoff)
        self._held = current
        return gauges


def _combine(
    gauges: Gauges, summary: Summary, label: Callable[[str], str], at_ms: int, cutoff: int
) -> None:
    waiting = gauges.waiting
    for (queue, channel), sinces in summary.waiting.items():
        first = bisect_left(sinces, cutoff)
        if first == len(sinces):
            continue
        key = (label(queue), channel)
        count, oldest = waiting.get(key, (0, sinces[first]))
        waiting[key] = (count + len(sinces) - first, min(oldest, sinces[first]))
    agents = gauges.agents
    for (queue, state), sinces in summary.agents.items():
        live = len(sinces) - bisect_left(sinces, cutoff)
        if live:
            q = label(queue)
            gauges.agent_queues.add(q)
            agents[(q, state)] = agents.get((q, state), 0) + live
    serving = gauges.serving
    for (queue, others), sinces in summary.serving.items():
        live = len(sinces) - bisect_left(sinces, cutoff)
        if live:
            key = (label(queue), tuple(label(o) for o in others))
            serving[key] = serving.get(key, 0) + live
    tickets = gauges.tickets
    for (queue, priority, status), n in summary.tickets.items():
        key = (label(queue), priority, status)
        tickets[key] = tickets.get(key, 0) + n
    overdue = gauges.overdue
    for (queue, priority), deadlines in summary.deadlines.items():
        late = bisect_left(deadlines, at_ms)  # overdue once the time is past it
        if late:
            key = (label(queue), priority)
            overdue[key] = overdue.get(key, 0) + late
    teams = gauges.teams
    for key, sinces in summary.teams.items():
        first = bisect_left(sinces, cutoff)
        if first < len(sinces):
            teams.setdefault(key, []).extend(sinces[first:])
