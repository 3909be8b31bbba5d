"""The two stages of SPEC §2 as pure code: what a worker runs per partition, and replay runs whole.

Stage 1 (``EntityStage``) is keyed by entity: one event and its entity's record in, the
new record and *outputs* out. Stage 2 (``QueueStage``) is keyed by *route*: the queue,
team or customer an output belongs to. A route's state is a ``Slice``: the aggregates
of its series, and for a customer the FCR history. The live descriptors of the
entities in a route now (who waits in this queue, which tickets are open in it) are
handed back as changes for the caller to keep per entity: they are set-like, so a
repeated change converges, and they would make every slice write as big as a backlog.

Outputs carry an id ``(source, offset, ordinal)``: the source partition and offset of
the event that caused them and their position among its outputs. A slice remembers the
highest id applied per source, so an output delivered twice (a worker re-reads events
after a crash or a rebalance: Kafka is at-least-once) changes nothing the second time.
Outputs of one source reach a route in id order, because one source partition is
processed in order and its outputs for one route go through one partition in order.

Replay (``engine.Engine``) runs both stages in one process over the same code, so live
and offline agree by construction, not by a second implementation. Its outputs pass
from one stage to the other in memory, each once, so it skips the ids and marks
(``QueueStage.fold``): they are the worker's answer to reading outputs again.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import NamedTuple

from .agents import AgentLifecycle
from .aggregates import Aggregates, Series, merge_series
from .config import Config
from .contacts import ContactLifecycle
from .customers import EMPTY, History
from .customers import prune as prune_history
from .customers import update as update_history
from .entity import Lifecycle, Record, apply, compact
from .events import TOPIC_OF_TYPE, AgentEvent, ContactEvent, Event, SurveyEvent, TicketEvent
from .facts import (
    AGENT_HANDLED,
    AGENT_TIME,
    CUSTOMER_QUEUED,
    CUSTOMER_WRAPPED,
    ESAT,
    LIVE,
    PIPELINE_TALLY,
    SURVEY_RESPONSE,
    SURVEY_SENT,
    Fact,
)
from .health import Health
from .labels import OTHER
from .live import AgentPresence, Descriptor
from .surveys import UNKNOWN, SurveyLifecycle
from .tickets import TicketLifecycle
from .timeutil import DAY_MS, FUTURE_TOLERANCE_MS, HOUR_MS, Horizons

# What stage 1 did with one event (returned for tests, logs and the CLI).
OK, DUPLICATE, LATE, FUTURE, UNMATCHED, INVALID = (
    "ok",
    "duplicate",
    "late",
    "future",
    "unmatched",
    "invalid",
)

#: Route prefixes: a queue, a team, a customer (hashed id), an agent (the opt-in agents
#: view); and the one pipeline route.
QUEUE, TEAM, CUSTOMER, AGENT, HEALTH = "q:", "t:", "u:", "a:", "h:"
#: Where facts of queue and team names past a source's caps are summed (RouteCaps).
OTHER_QUEUE, OTHER_TEAM = QUEUE + OTHER, TEAM + OTHER

Id = tuple[str, int, int]  # (source, offset, ordinal)
_new = tuple.__new__  # a named tuple without its constructor's overhead, once per event
Output = tuple[str, Fact]  # (route, fact)


class Step(NamedTuple):
    outcome: str
    record: Record | None  # the entity's new record; None: unchanged
    outputs: list[Output]


class Slice(NamedTuple):
    """Stage-2 state of one route.

    Its dicts are updated in place (copying every series per batch would cost more
    than the work), so a shell must store the returned slice again for the change to
    reach its changelog. ``seen`` is replaced, never mutated: it is the commit mark.
    """

    series: dict[tuple, Series]  # NO_SERIES for a customer's
    history: History
    seen: Mapping[str, tuple[int, int]]  # source → highest (offset, ordinal) applied
    health: Health | None = None  # the pipeline route's counters


#: A customer's slice sums no series, only its FCR history: every one shares this
#: empty, read-only mapping instead of holding an empty dict of its own.
NO_SERIES: Mapping[tuple, Series] = MappingProxyType({})
#: The marks of a slice nothing was applied to through ``QueueStage.apply`` (replay's
#: slices all keep these): shared and read-only, as ``NO_SERIES``.
NO_MARKS: Mapping[str, tuple[int, int]] = MappingProxyType({})


def empty_slice() -> Slice:
    return Slice({}, EMPTY, NO_MARKS)


class Folded(NamedTuple):
    """What stage 2 did with one route's outputs."""

    slice: Slice  # the same object when nothing was new
    derived: list[Output]  # FCR outputs of a customer route, to route on
    live: list[tuple[str, tuple | None]]  # (entity ref, descriptor or None: gone)


# -- routing -------------------------------------------------------------------------


#: Where a fact is summed, by kind: its route's prefix and the label naming it. A
#: customer's facts (customer, contact_id, ...) go to its history, an agent's
#: (agent,) to the agents view, team facts ((team,) or (team, state)) to the team,
#: surveys' (kind, queue, channel, team) to the queue; the rest are a queue's:
#: (queue, channel) or (queue, priority).
_ROUTES: dict[str, tuple[str, int]] = {
    CUSTOMER_QUEUED: (CUSTOMER, 0),
    CUSTOMER_WRAPPED: (CUSTOMER, 0),
    AGENT_HANDLED: (AGENT, 0),
    AGENT_TIME: (TEAM, 0),
    ESAT: (TEAM, 0),
    SURVEY_SENT: (QUEUE, 1),
    SURVEY_RESPONSE: (QUEUE, 1),
}
_QUEUE_ROUTE = (QUEUE, 0)


def route_of(fact: Fact) -> str:
    """The stage-2 route a fact is summed in."""
    kind, labels, _, _, _ = fact
    prefix, at = _ROUTES.get(kind, _QUEUE_ROUTE)
    return prefix + labels[at]


def split_live(descriptor: Descriptor | None) -> dict[str, Descriptor]:
    """A live descriptor's parts by route.

    An agent serving three queues is counted in each (cx_agents{queue}) and once in its
    team (occupancy): each queue gets a copy that names that queue first (the others
    after it, so that it counts 1/3 of an agent serving it) and no team, the team a
    copy that names no queue, so the union of all slices counts it right.
    """
    if descriptor is None:
        return {}
    if type(descriptor) is AgentPresence:
        state, queues, team, since = descriptor
        parts: dict[str, Descriptor] = {
            QUEUE + q: _new(
                AgentPresence, (state, (q, *(o for o in queues if o != q)), None, since)
            )
            for q in queues
        }
        if team is not None:
            parts[TEAM + team] = _new(AgentPresence, (state, (), team, since))
        return parts
    return {QUEUE + str(descriptor.queue): descriptor}


def live_changes(ref: str, before: Descriptor | None, after: Descriptor | None) -> list[Output]:
    """LIVE outputs that move an entity's descriptor from ``before`` to ``after``."""
    if before == after:
        return []
    if type(before) is not AgentPresence and type(after) is not AgentPresence:
        return _queue_live_changes(ref, before, after)
    new = split_live(after)
    if (
        type(before) is AgentPresence
        and type(after) is AgentPresence
        and before.queues == after.queues
        and before.team == after.team
    ):  # a change of state (every part holds it) in the same queues and team: every
        # route's part changed, and only after's need be made (most agent events)
        return [(route, _new(Fact, (LIVE, (ref, new[route]), 0, 0, 1))) for route in sorted(new)]
    old = split_live(before)
    return [
        (route, _new(Fact, (LIVE, (ref, new.get(route)), 0, 0, 1)))
        for route in sorted(old.keys() | new.keys())
        if old.get(route) != new.get(route)
    ]


def _queue_live_changes(ref: str, before: Descriptor | None, after: Descriptor | None) -> list:
    """``live_changes`` of a contact or ticket, whose descriptor is in one queue's route
    (no agent's spread over queues and a team): the same outputs, in the same order,
    without splitting either descriptor into a dict (this runs for most events)."""
    old = None if before is None else QUEUE + str(before.queue)
    new = None if after is None else QUEUE + str(after.queue)
    if old == new:
        return [(new, _new(Fact, (LIVE, (ref, after), 0, 0, 1)))]
    changes = []
    if old is not None:
        changes.append((old, _new(Fact, (LIVE, (ref, None), 0, 0, 1))))
    if new is not None:
        changes.append((new, _new(Fact, (LIVE, (ref, after), 0, 0, 1))))
    if old is not None and new is not None and new < old:
        changes.reverse()  # in route order, as live_changes gives them
    return changes


class RouteCaps:
    """The queue and team names of one source that keep a stage-2 route of their own.

    The label caps (labels.py) bound the *series* an exporter shows, but stage 2 keeps
    a slice per route, so a producer that invents a queue name per contact would make
    it hold a slice per name for a day. So each source admits the first
    ``max_queues`` queue and ``max_teams`` team names its events bring (in offset
    order: a source is read in order, so the same names are admitted live, after a
    restart and in replay), and the facts of any other name are summed in the one
    route ``q:__other__`` (``t:__other__``) instead, where stage 2 shows them as the
    label caps show a folded name: ``__other__``, counted in cx_label_overflow_total.
    Live descriptors keep their own routes: they go with their (open) entities, and the
    label caps fold them at evaluation.
    """

    __slots__ = ("full", "max_queues", "max_teams", "queues", "teams")

    def __init__(
        self, max_queues: int, max_teams: int, queues: Iterable[str] = (), teams: Iterable[str] = ()
    ) -> None:
        self.max_queues, self.max_teams = max_queues, max_teams
        self.queues, self.teams = set(queues), set(teams)
        self.full = len(self.queues) >= max_queues or len(self.teams) >= max_teams

    def admit(self, event: Event) -> bool:
        """Admit the names an event brings, while there is room; True if any was new.

        Every event of the source counts, also one that turns out late or a duplicate,
        and one whose entity applied it before a crash: admissions depend on offsets
        alone."""
        kind = type(event)
        if kind is AgentEvent:
            queues, team = event.queues, event.team
        elif kind is SurveyEvent:
            queues, team = (event.queue,), event.team
        else:  # a contact or ticket: most of them name no queue, or a known one
            queue = event.queue
            if queue is None or queue in self.queues:
                return False
            queues, team = (queue,), None
        added = False
        names = self.queues
        for queue in queues:
            if queue is not None and queue not in names and len(names) < self.max_queues:
                names.add(queue)
                added = True
        if team is not None and team not in self.teams and len(self.teams) < self.max_teams:
            self.teams.add(team)
            added = True
        if added:
            self.full = len(self.queues) >= self.max_queues or len(self.teams) >= self.max_teams
        return added

    def fold(self, fact: Fact) -> Output:
        """A fact and the route it is summed in. A wrap-up for the customer history
        names its queue as ``__other__`` if that queue's facts go to the overflow
        route: the FCR fact derived from it (in stage 2) then goes there too."""
        route = self.route(route_of(fact))
        if fact.kind == CUSTOMER_WRAPPED:
            *head, queue, channel = fact.labels
            if queue is not None and self.route(QUEUE + queue) == OTHER_QUEUE:
                labels = (*head, OTHER, channel)
                fact = _new(Fact, (fact.kind, labels, fact.time_ms, fact.value, fact.weight))
        return route, fact

    def route(self, route: str) -> str:
        """Where a fact of ``route`` is summed: its own route if its name was admitted
        (or is ``unknown``, the surveys' and agents' name for none), else the overflow
        route. A name is admitted by the first event that brings it or never, and
        before any fact can carry it, so a fact and its retraction go to one route."""
        if route.startswith(QUEUE):
            names, other = self.queues, OTHER_QUEUE
        elif route.startswith(TEAM):
            names, other = self.teams, OTHER_TEAM
        else:
            return route
        name = route[len(QUEUE) :]
        return route if name in names or name == UNKNOWN else other


# -- stage 1 -------------------------------------------------------------------------


class EntityStage:
    """Events → entity records → routed outputs. Holds no records itself."""

    def __init__(self, config: Config) -> None:
        limits = config.limits
        stale_ms = round(limits.contact_max_age_hours * HOUR_MS)
        retention_ms = round(limits.ticket_retention_days * DAY_MS)
        self.lifecycles: dict[type, tuple[str, Lifecycle]] = {
            ContactEvent: ("contact", ContactLifecycle(stale_ms, config.agents_view)),
            TicketEvent: ("ticket", TicketLifecycle(retention_ms, config.calendar_of)),
            SurveyEvent: ("survey", SurveyLifecycle(retention_ms)),
            AgentEvent: ("agent", AgentLifecycle(stale_ms)),
        }
        self._by_family = {name: lifecycle for name, lifecycle in self.lifecycles.values()}
        self.horizons = Horizons(*config.day_timezones)
        self.max_queues, self.max_teams = limits.max_queues, limits.max_teams

    def ref(self, event: Event) -> str:
        """The entity's key in stage-1 state: ``contact/C-1``, ``agent/A-7``..."""
        return f"{self.lifecycles[type(event)][0]}/{event.key}"

    def caps(self) -> RouteCaps:
        """A source's empty route caps, sized by the configuration's label limits."""
        return RouteCaps(self.max_queues, self.max_teams)

    def step(
        self, event: Event, ref: str, record: Record | None, clock_ms: int, caps: RouteCaps
    ) -> Step:
        """Apply one decoded event to its entity (``ref``, as ``ref`` gives it), judged by
        ``clock_ms``, its facts routed within the caps of its source (which have
        admitted its names already).

        The event's pipeline-health count is the caller's to keep (``Tally``): one
        output per batch, not one per event.
        """
        t = event.time_ms
        if t > clock_ms + FUTURE_TOLERANCE_MS:
            return Step(FUTURE, None, [])
        if t < self.horizons.at(clock_ms).horizon_ms:
            return Step(LATE, None, [])
        _, lifecycle = self.lifecycles[type(event)]
        new, facts, refused, duplicate = apply(lifecycle, record, event, event.key)
        if duplicate:
            return Step(DUPLICATE, None, [])
        before = lifecycle.live(record.state) if record is not None else None
        after = lifecycle.live(new.state)
        outputs = [] if before == after else live_changes(ref, before, after)
        if caps.full:
            outputs += [caps.fold(fact) for fact in facts]
        else:
            outputs += [(route_of(fact), fact) for fact in facts]
        return _new(Step, (UNMATCHED if refused else OK, new, outputs))

    def expire(self, ref: str, record: Record, clock_ms: int) -> tuple[Record | None, list[Output]]:
        """Housekeeping for one record: drop it (None) once it can change no window, or
        compact what can no longer be reordered. Never changes a result."""
        lifecycle = self._by_family[ref.split("/", 1)[0]]
        horizon = self.horizons.at(clock_ms).horizon_ms
        expires = lifecycle.expires_ms(record.state, record.last_ms)
        if expires is not None and expires < horizon:
            return None, live_changes(ref, lifecycle.live(record.state), None)
        if record.events and record.events[0].time_ms < horizon:
            return compact(lifecycle, record, horizon, ref.split("/", 1)[1]), []
        return record, []

    def live(self, ref: str, record: Record) -> tuple | None:
        return self._by_family[ref.split("/", 1)[0]].live(record.state)


#: The pipeline count's labels (topic, type, outcome), one tuple each, shared by every
#: count: a facts message's pickle then writes each once and refers to it after.
_PIPELINE_LABELS = {
    (type_, outcome): (topic, type_, outcome)
    for type_, topic in TOPIC_OF_TYPE.items()
    for outcome in (OK, DUPLICATE, LATE, FUTURE, UNMATCHED)
}
#: A tally's ordinal: after every output of the message at its last offset (a message
#: read before tallies existed carried its own count as its last output).
TALLY_ORDINAL = 1 << 62


class Tally:
    """Stage 1's pipeline-health counts of one batch from one source, for stage 2.

    Every message is counted, and one output per batch carries the counts, not one per
    message (that cost stage 1 and 2 more than a third of their outputs). It still
    holds one entry per message, its offset and labels: read again after a crash, a
    source is cut into other batches, and stage 2 counts only the messages past its
    mark (``QueueStage.apply``). The newest event time per topic is a maximum, which
    seeing an event twice cannot change, so one per batch is enough.
    """

    __slots__ = ("labels", "newest", "offsets")

    def __init__(self) -> None:
        self.offsets: list[int] = []
        self.labels: list[tuple[str, str, str]] = []
        self.newest: dict[str, int] = {}

    def event(self, offset: int, event: Event, outcome: str) -> None:
        """Count an event by what stage 1 did with it."""
        labels = _PIPELINE_LABELS[event.type, outcome]
        self.offsets.append(offset)
        self.labels.append(labels)
        if outcome != FUTURE:  # clock skew: not even its time counts
            topic, t = labels[0], event.time_ms
            if t > self.newest.get(topic, -1):
                self.newest[topic] = t

    def invalid(self, offset: int, topic: str, reason: str) -> None:
        """Count a message that did not decode or validate."""
        self.offsets.append(offset)
        self.labels.append((topic, reason, INVALID))

    def output(self, source: str) -> tuple[str, Id, Fact] | None:
        """``(route, id, fact)`` of the tally, after the batch's other outputs of
        ``source``; None if it counted nothing."""
        if not self.offsets:
            return None
        counts = (tuple(self.offsets), tuple(self.labels), self.newest)
        ident = (source, self.offsets[-1], TALLY_ORDINAL)
        return HEALTH, ident, _new(Fact, (PIPELINE_TALLY, counts, 0, 0, 1))


# -- stage 2 -------------------------------------------------------------------------


class QueueStage:
    """Routed outputs → slices. Customer slices derive FCR outputs for queue routes."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.aggregates = Aggregates(config)
        self.horizons = Horizons(*config.day_timezones)

    def apply(
        self, route: str, slice_: Slice, items: Iterable[tuple[Id, Fact]], clock_ms: int
    ) -> Folded:
        """Apply one route's outputs (in id order per source) to its slice, those
        applied already skipped: a worker's stage 2, which may read outputs twice."""
        if route == HEALTH:
            return _count(slice_, items)
        seen: dict[str, tuple[int, int]] | None = None
        fresh: list[Fact] = []
        for (source, offset, ordinal), fact in items:
            mark = (offset, ordinal)
            last = (seen or slice_.seen).get(source)
            if last is not None and mark <= last:
                continue
            if seen is None:
                seen = dict(slice_.seen)
            seen[source] = mark
            fresh.append(fact)
        if seen is None:
            return _new(Folded, (slice_, [], []))
        return self.fold(route, slice_, fresh, clock_ms, seen)

    def fold(
        self,
        route: str,
        slice_: Slice,
        facts: list[Fact],
        clock_ms: int,
        seen: Mapping[str, tuple[int, int]] | None = None,
    ) -> Folded:
        """Apply new outputs to one route's slice, which then holds the marks ``seen``
        (None: its own).

        Replay calls this directly (``engine.Engine``): its outputs pass from stage 1 to
        stage 2 in one process, each once, so they need neither the ids nor the marks
        that make outputs a worker reads again count once (``apply``).
        """
        # The series change in place: the shell stores the new Slice.
        series, history, marks, health = slice_
        if seen is not None:
            marks = seen
        if route.startswith(CUSTOMER):
            history, derived = update_history(history, facts)
            new = _new(Slice, (NO_SERIES, history, marks, health))
            return _new(Folded, (new, [(route_of(fact), fact) for fact in derived], []))
        live: list[tuple[str, tuple | None]] = []
        keep = self.horizons.at(clock_ms).keep
        add = self.aggregates.add
        overflow = route in (OTHER_QUEUE, OTHER_TEAM)
        summed = bool(series)
        for fact in facts:
            if fact.kind == LIVE:
                live.append(fact.labels)
            else:
                add(series, self._as_other(route, fact) if overflow else fact, keep)
                summed = True
        if not summed:  # live changes alone: set-like, they need no marks and no slice
            return _new(Folded, (slice_, [], live))
        new = _new(Slice, (series, history, marks, health))
        return _new(Folded, (new, [], live))

    def _as_other(self, route: str, fact: Fact) -> Fact:
        """A fact of the overflow route as the label caps show a folded one: its queue
        (team) ``__other__``, counted in cx_label_overflow_total."""
        cap = self.aggregates.queues if route == OTHER_QUEUE else self.aggregates.teams
        at = 1 if fact.kind in (SURVEY_SENT, SURVEY_RESPONSE) else 0  # (kind, queue, ...)
        labels = (*fact.labels[:at], cap.fold(), *fact.labels[at + 1 :])
        return _new(Fact, (fact.kind, labels, fact.time_ms, fact.value, fact.weight))

    def prune(self, slice_: Slice, clock_ms: int) -> Slice | None:
        """Drop buckets and history no window can see any more; None: nothing left.

        Returns the same object when nothing was dropped (nothing to store again).
        """
        history = slice_.history
        if history.inputs:
            kept = prune_history(history, self.horizons.at(clock_ms).horizon_ms) or EMPTY
            if (len(kept.inputs), len(kept.outputs)) != (len(history.inputs), len(history.outputs)):
                history = kept
        dropped = self.aggregates.prune(slice_.series, clock_ms)
        if not (slice_.series or history.inputs or slice_.health):
            return None
        if history is slice_.history and not dropped:
            return slice_
        return slice_._replace(history=history)


def _count(slice_: Slice, items: Iterable[tuple[Id, Fact]]) -> Folded:
    """The pipeline route: each tally counts its messages past its source's mark. A
    message read before tallies existed counted itself, in one output of its own."""
    seen: dict[str, tuple[int, int]] | None = None
    health = slice_.health or Health()  # in place; the shell stores the Slice
    for (source, offset, ordinal), fact in items:
        last = (seen or slice_.seen).get(source)
        if last is not None and (offset, ordinal) <= last:
            continue
        if fact.kind == PIPELINE_TALLY:
            offsets, labels, newest = fact.labels
            if last is not None and offsets[0] <= last[0]:  # counted up to last[0]
                labels = labels[bisect_right(offsets, last[0]) :]
            health.tally(labels, newest)
        else:
            topic, _, outcome = fact.labels
            timed = outcome not in (FUTURE, INVALID)
            health.tally((fact.labels,), {topic: fact.time_ms} if timed else {})
        if seen is None:
            seen = dict(slice_.seen)
        seen[source] = (offset, ordinal)
    if seen is None:
        return Folded(slice_, [], [])
    return Folded(_new(Slice, (slice_.series, slice_.history, seen, health)), [], [])


def union(slices: Iterable[Slice]) -> tuple[dict[tuple, Series], Health]:
    """All series and health of some slices, for one evaluation.

    A series key belongs to one route, except ``__other__`` (label overflow), which
    several routes fold into: those are summed.
    """
    series: dict[tuple, Series] = {}
    health = Health()
    for slice_ in slices:
        merge_series(series, slice_.series)
        if slice_.health is not None:
            health.merge(slice_.health)
    return series, health


def ordinals(
    outputs: list[Output], source: str, offset: int, first: int = 0
) -> Iterator[tuple[str, Id, Fact]]:
    """Number one event's outputs: ``(route, (source, offset, first + ordinal), fact)``."""
    for ordinal, (route, fact) in enumerate(outputs, first):
        yield route, (source, offset, ordinal), fact
