"""Per-series sums of facts: event-time minute buckets, local days, totals, histograms.

A *series* is one combination of labels: a contact series is (queue, channel), a
ticket series (queue, priority), a survey series (kind, queue, channel), a team series
(team). Each fact adds a few integers (counts and milliseconds) into its series'
vector for its minute, its local day and the all-time totals, plus histogram buckets.
Integers keep sums exact under retraction (weight −1).

Retention: minute buckets only back the 5m/15m/1h windows, so those older than the
clock minus an hour are dropped; day buckets back ``today`` and are kept from the
retention horizon's day on. Totals and histograms are cumulative and never expire
(their cardinality is bounded by the label caps).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from operator import add, sub

from . import facts as F
from .config import Config
from .facts import Fact
from .labels import OTHER, LabelCap
from .timeutil import MINUTE_MS, Horizons, LocalDays, Retention, retention_at

#: Histogram edges of SPEC §6 (seconds), before the configured thresholds are added.
BASE_EDGES_S = (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200, 1800, 3600)
#: Ticket durations run to days.
TICKET_EXTRA_EDGES_S = (7200, 14_400, 28_800, 86_400, 172_800, 604_800)
SCORE_EDGES = tuple(range(11))

CONTACT, TICKET, SURVEY, TEAM, AGENT = "contact", "ticket", "survey", "team", "agent"


class Layout:
    """Where each sum sits in one series kind's vector: static index constants.

    A subclass numbers its fields 0, 1, 2 ... in order (checked at import) and sets
    ``size``; the hot path indexes lists with them, so they are plain ints.
    """

    size = 0

    def __init_subclass__(cls) -> None:
        indexes = [v for k, v in vars(cls).items() if not k.startswith("_") and k != "size"]
        if sorted(indexes) != list(range(cls.size)):
            raise TypeError(f"{cls.__name__}: indexes must be 0 .. {cls.size - 1}, each once")


class C(Layout):
    """A contact series (queue, channel): counts, and the millisecond sums beside them."""

    offered = 0
    answered = 1
    abandoned = 2
    short_abandoned = 3
    answered_within = 4
    abandoned_within = 5
    transferred = 6
    wait_answered_ms = 7
    wait_abandoned_ms = 8
    handled = 9
    handle_ms = 10
    first_responses = 11
    first_response_ms = 12
    responses = 13
    response_ms = 14
    fcr_flagged = 15
    fcr_ok = 16
    size = 17


class T(Layout):
    """A ticket series (queue, priority)."""

    created = 0
    solved = 1
    reopened = 2
    first_replies = 3
    first_reply_ms = 4
    replies = 5
    reply_ms = 6
    resolutions = 7
    resolution_ms = 8
    solved_agent_comments = 9
    one_touch = 10
    first_replies_business = 11
    first_reply_business_ms = 12
    resolutions_business = 13
    resolution_business_ms = 14
    size = 15


class S(Layout):
    """A survey series (kind, queue, channel)."""

    sent = 0
    responses = 1
    score_sum = 2
    positive = 3
    promoters = 4
    detractors = 5
    size = 6


class A(Layout):
    """A team series (team)."""

    esat_responses = 0
    esat_positive = 1
    busy_ms = 2
    available_ms = 3
    size = 4


class G(Layout):
    """An agent series (agent id): the opt-in agents view only, never a metric."""

    handled = 0
    handle_ms = 1
    size = 2


LAYOUTS = {CONTACT: C, TICKET: T, SURVEY: S, TEAM: A, AGENT: G}


class Series:
    """The sums of one label combination (mutable; the aggregator owns it).

    Besides the sums, a series counts its changes (``version``), and remembers the
    version at which each minute bucket last changed (``stamps``) and at which buckets
    were last dropped (``cut``), so an evaluator can keep window sums from one scrape to
    the next and redo only what a late fact touched. It also keeps the sum of all its
    minute buckets (``retained``), so that a first evaluation finds the longest
    window as that sum less the few buckets outside it, not as fifty-nine buckets added
    up (``windows.py``): one more vector a fact adds to. These are bookkeeping of this
    process: they are not pickled, and a restored series starts them afresh (a new
    object, which no evaluator has seen).
    """

    __slots__ = (
        "cut",
        "days",
        "hists",
        "minutes",
        "newest",
        "retained",
        "stamps",
        "totals",
        "version",
    )

    def __init__(self, size: int) -> None:
        self.minutes: dict[int, list[int]] = {}
        self.days: dict[int, list[int]] = {}
        self.totals = [0] * size
        self.hists: dict[str, list[int]] = {}  # bucket counts..., then the sum
        self.start_bookkeeping()

    def start_bookkeeping(self) -> None:
        self.version = 0
        self.cut = 0
        self.stamps: dict[int, int] = {}  # minute → version of its last change
        self.newest = max(self.minutes, default=None)  # the latest minute with a bucket
        self.retained = [0] * len(self.totals)  # the sum of every minute bucket
        for bucket in self.minutes.values():
            self.retained = list(map(add, self.retained, bucket))

    def __getstate__(self) -> tuple:
        return self.minutes, self.days, self.totals, self.hists

    def __setstate__(self, state: tuple) -> None:
        self.minutes, self.days, self.totals, self.hists = state
        self.start_bookkeeping()


class Aggregates:
    """All series of all queues and teams, fed with facts."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.days = LocalDays(config.timezone)
        #: Per zone a queue's ``today`` may follow (calendars with ``local_today``).
        self._zones = {zone: Horizons(zone) for zone in config.day_timezones}
        self._days_of: dict[str, LocalDays] = {}  # queue label → its zone's days
        self._one_zone = len(self._zones) == 1
        limits = config.limits
        self.queues = LabelCap(limits.max_queues)
        self.teams = LabelCap(limits.max_teams)
        self.channels = LabelCap(limits.max_channels)
        thresholds = {q: p.threshold_ms for q, p in config.queues.items()}
        shorts = {q: p.short_abandon_ms for q, p in config.queues.items()}
        self._threshold = lambda q: thresholds.get(q, config.service.threshold_ms)
        self._short = lambda q: shorts.get(q, config.service.short_abandon_ms)
        policies = (config.service, *config.queues.values())
        contact_s = sorted(
            {*BASE_EDGES_S}
            | {p.short_abandon_seconds for p in policies}
            | {p.service_level_threshold_seconds for p in policies}
        )
        ticket_s = sorted(
            {*BASE_EDGES_S, *TICKET_EXTRA_EDGES_S, *config.first_reply_target_seconds.values()}
        )
        self.edges_s = {CONTACT: tuple(contact_s), TICKET: tuple(ticket_s), SURVEY: SCORE_EDGES}
        self._edges_ms = {k: [round(e * 1000) for e in v] for k, v in self.edges_s.items()}
        self._edges_ms[SURVEY] = list(SCORE_EDGES)
        self._handlers: dict[str, Callable[[Fact], tuple]] = {
            F.OFFERED: self._offered,
            F.ANSWERED: self._answered,
            F.ABANDONED: self._abandoned,
            F.TRANSFERRED: self._transferred,
            F.HANDLED: self._timed(C.handled, C.handle_ms, "handle"),
            F.FIRST_RESPONSE: self._timed(C.first_responses, C.first_response_ms, "first_response"),
            F.RESPONSE: self._timed(C.responses, C.response_ms, "response"),
            F.FCR: self._fcr,
            F.TICKET_CREATED: self._ticket_created,
            F.TICKET_SOLVED: self._ticket_solved,
            F.TICKET_REOPENED: self._ticket_reopened,
            F.TICKET_FIRST_REPLY: self._ticket_timed(
                T.first_replies, T.first_reply_ms, "first_reply"
            ),
            F.TICKET_REPLY: self._ticket_timed(T.replies, T.reply_ms, "reply"),
            F.TICKET_RESOLUTION: self._ticket_timed(T.resolutions, T.resolution_ms, "resolution"),
            F.TICKET_FIRST_REPLY_BUSINESS: self._ticket_timed(
                T.first_replies_business, T.first_reply_business_ms, "first_reply_business"
            ),
            F.TICKET_RESOLUTION_BUSINESS: self._ticket_timed(
                T.resolutions_business, T.resolution_business_ms, "resolution_business"
            ),
            F.SURVEY_SENT: self._survey_sent,
            F.SURVEY_RESPONSE: self._survey_response,
            F.ESAT: self._esat,
            F.AGENT_TIME: self._agent_time,
            F.AGENT_HANDLED: self._agent_handled,
        }

    # -- retention -----------------------------------------------------------------

    def series_days(self, key: tuple) -> LocalDays:
        """The local days of a series: its queue's ``today`` zone (``__other__`` and
        teams: the top-level timezone)."""
        kind = key[0]
        if kind in (TEAM, AGENT) or self._one_zone:
            return self.days
        queue = key[2] if kind == SURVEY else key[1]
        days = self._days_of.get(queue)
        if days is None:
            zone = self.config.timezone if queue == OTHER else self.config.today_timezone(queue)
            days = self._days_of[queue] = self._zones[zone].days
        return days

    def _first_day(self, days: LocalDays, keep: Retention) -> int:
        """The oldest day kept in ``days``' zone (``keep`` is the top-level zone's)."""
        if days is self.days:
            return keep.first_day
        return self._zones[days.tz.key].at(keep.clock_ms).keep.first_day

    def prune(self, held: dict[tuple, Series], clock_ms: int) -> bool:
        """Drop buckets no window can see any more from ``held``; True if any was dropped."""
        keep = retention_at(self.days, clock_ms)
        dropped = False
        for key, series in held.items():
            first_day = self._first_day(self.series_days(key), keep)
            old_minutes = [m for m in series.minutes if m < keep.first_minute]
            old_days = [d for d in series.days if d < first_day]
            if not (old_minutes or old_days):
                continue
            for old in old_minutes:
                series.retained = list(map(sub, series.retained, series.minutes.pop(old)))
                series.stamps.pop(old, None)
            for old in old_days:
                del series.days[old]
            series.version += 1
            series.cut = series.version
            if series.newest is not None and series.newest not in series.minutes:
                series.newest = max(series.minutes, default=None)
            dropped = True
        return dropped

    # -- adding facts --------------------------------------------------------------

    def add(self, held: dict[tuple, Series], fact: Fact, keep: Retention) -> None:
        """Add one fact's integers to its series in ``held`` (one slice's series, updated
        in place; windows only while retained)."""
        for key, changes, observations in self._handlers[fact.kind](fact):
            self._apply(held, key, fact, changes, observations, keep)

    def _apply(
        self, held: dict[tuple, Series], key: tuple, fact: Fact, changes, observations, keep
    ) -> None:
        series = held.get(key)
        if series is None:
            series = held[key] = Series(LAYOUTS[key[0]].size)
        _, _, time_ms, _, weight = fact
        series.version += 1
        minute = time_ms // MINUTE_MS
        first_minute, first_day, _ = keep
        if minute >= first_minute:
            in_minute = series.minutes.get(minute)
            if in_minute is None:
                in_minute = series.minutes[minute] = [0] * len(series.totals)
                if series.newest is None or minute > series.newest:
                    series.newest = minute
            series.stamps[minute] = series.version
        else:
            in_minute = None
        if self._one_zone:  # the common case, without the calls
            days = self.days
        else:
            days = self.series_days(key)
            first_day = self._first_day(days, keep)
        day = days.day_of(time_ms)
        if day >= first_day:
            in_day = series.days.get(day)
            if in_day is None:
                in_day = series.days[day] = [0] * len(series.totals)
        else:
            in_day = None
        totals = series.totals
        if in_minute is not None and in_day is not None:  # nearly every fact: unrolled
            retained = series.retained
            for index, delta in changes:
                delta *= weight
                totals[index] += delta
                in_minute[index] += delta
                retained[index] += delta
                in_day[index] += delta
        else:
            vectors = [totals]
            if in_minute is not None:
                vectors += (in_minute, series.retained)
            if in_day is not None:
                vectors.append(in_day)
            for index, delta in changes:
                delta *= weight
                for vector in vectors:
                    vector[index] += delta
        if observations:
            edges = self._edges_ms[key[0]]
            hists = series.hists
            for name, value in observations:
                hist = hists.get(name)
                if hist is None:
                    hist = hists[name] = [0] * (len(edges) + 2)
                hist[bisect_left(edges, value)] += weight
                hist[-1] += value * weight
        if weight < 0:
            self._drop_if_empty(held, key, series)

    def _drop_if_empty(self, held: dict[tuple, Series], key: tuple, series: Series) -> None:
        """After a retraction, forget what now holds nothing, as if never seen.

        Otherwise an out-of-order delivery would leave zero-valued series (and a label
        cap slot) that the in-order delivery never creates.
        """
        for name, hist in list(series.hists.items()):
            if not any(hist[:-1]):
                del series.hists[name]
        if any(series.totals) or series.hists:
            return
        del held[key]
        for cap, value in self._labels_of(key):
            if not any(value in other for other in held):
                cap.release(value)

    def _labels_of(self, key: tuple) -> list[tuple[LabelCap, str]]:
        kind = key[0]
        if kind == CONTACT:
            return [(self.queues, key[1]), (self.channels, key[2])]
        if kind == TICKET:
            return [(self.queues, key[1])]
        if kind == SURVEY:
            return [(self.queues, key[2]), (self.channels, key[3])]
        if kind == AGENT:
            return []  # never a label, so no cap
        return [(self.teams, key[1])]

    # -- fact kinds → ((series key, vector changes, histogram observations), ...) ----

    def _contact(self, fact: Fact, changes: tuple, observations: tuple = ()) -> tuple:
        queue, channel = fact.labels
        return (((CONTACT, self.queues(queue), self.channels(channel)), changes, observations),)

    def _offered(self, fact: Fact) -> tuple:
        return self._contact(fact, ((C.offered, 1),))

    def _answered(self, fact: Fact) -> tuple:
        wait, (queue, _) = fact.value, fact.labels
        within = int(wait <= self._threshold(queue))
        changes = ((C.answered, 1), (C.wait_answered_ms, wait), (C.answered_within, within))
        return self._contact(fact, changes, (("wait:answered", wait),))

    def _abandoned(self, fact: Fact) -> tuple:
        wait, (queue, _) = fact.value, fact.labels
        short = wait < self._short(queue)
        within = not short and wait <= self._threshold(queue)
        changes = (
            (C.abandoned, 1),
            (C.short_abandoned, int(short)),
            (C.abandoned_within, int(within)),
            (C.wait_abandoned_ms, wait),
        )
        return self._contact(fact, changes, (("wait:abandoned", wait),))

    def _transferred(self, fact: Fact) -> tuple:
        seen = (("wait:transferred", fact.value),) if fact.value >= 0 else ()
        return self._contact(fact, ((C.transferred, 1),), seen)

    def _timed(self, count: int, total_ms: int, histogram: str) -> Callable[[Fact], tuple]:
        def handler(fact: Fact) -> tuple:
            changes = ((count, 1), (total_ms, fact.value))
            return self._contact(fact, changes, ((histogram, fact.value),))

        return handler

    def _fcr(self, fact: Fact) -> tuple:
        return self._contact(fact, ((C.fcr_flagged, 1), (C.fcr_ok, fact.value)))

    def _ticket(self, fact: Fact, changes: tuple, observations: tuple = ()) -> tuple:
        queue, priority = fact.labels
        return (((TICKET, self.queues(queue), priority), changes, observations),)

    def _ticket_created(self, fact: Fact) -> tuple:
        return self._ticket(fact, ((T.created, 1),))

    def _ticket_solved(self, fact: Fact) -> tuple:
        comments = fact.value
        changes = (
            (T.solved, 1),
            (T.solved_agent_comments, comments),
            (T.one_touch, int(comments <= 1)),
        )
        return self._ticket(fact, changes)

    def _ticket_reopened(self, fact: Fact) -> tuple:
        return self._ticket(fact, ((T.reopened, 1),))

    def _ticket_timed(self, count: int, total_ms: int, histogram: str) -> Callable[[Fact], tuple]:
        def handler(fact: Fact) -> tuple:
            changes = ((count, 1), (total_ms, fact.value))
            return self._ticket(fact, changes, ((histogram, fact.value),))

        return handler

    def _survey_key(self, fact: Fact) -> tuple:
        kind, queue, channel, _ = fact.labels
        return (SURVEY, kind, self.queues(queue), self.channels(channel))

    def _survey_sent(self, fact: Fact) -> tuple:
        return ((self._survey_key(fact), ((S.sent, 1),), ()),)

    def _survey_response(self, fact: Fact) -> tuple:
        (kind, _, _, _), score = fact.labels, fact.value
        changes = [(S.responses, 1), (S.score_sum, score)]
        if kind in ("csat", "esat"):
            changes.append((S.positive, int(score >= 4)))
        elif kind == "nps":
            changes += [(S.promoters, int(score >= 9)), (S.detractors, int(score <= 6))]
        return ((self._survey_key(fact), tuple(changes), (("score", score),)),)

    def _esat(self, fact: Fact) -> tuple:
        (team,) = fact.labels
        changes = ((A.esat_responses, 1), (A.esat_positive, int(fact.value >= 4)))
        return (((TEAM, self.teams(team)), changes, ()),)

    def _agent_handled(self, fact: Fact) -> tuple:
        (agent,) = fact.labels
        return (((AGENT, agent), ((G.handled, 1), (G.handle_ms, fact.value)), ()),)

    def _agent_time(self, fact: Fact) -> tuple:
        team, state = fact.labels
        index = A.available_ms if state == "available" else A.busy_ms
        return (((TEAM, self.teams(team)), ((index, fact.value),), ()),)


def merge_series(into: dict[tuple, Series], more: dict[tuple, Series]) -> None:
    """Add series into a union; a key in both (only ``__other__``) is summed."""
    for key, series in more.items():
        have = into.get(key)
        if have is None:
            into[key] = series
            continue
        total = Series(len(series.totals))
        total.totals = [a + b for a, b in zip(have.totals, series.totals, strict=True)]
        for name in ("minutes", "days", "hists"):
            mine, theirs = getattr(have, name), getattr(series, name)
            summed = {k: list(v) for k, v in mine.items()}
            for k, v in theirs.items():
                summed[k] = [a + b for a, b in zip(summed[k], v, strict=True)] if k in summed else v
            setattr(total, name, summed)
        total.start_bookkeeping()
        into[key] = total
