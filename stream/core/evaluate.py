"""Evaluation: aggregates + live state + health, at time T → the metric families of SPEC §6.

Windows (SPEC §5): window W at T holds the minute buckets m with m > floor(T/60 s) − W
(the current partial minute and the W − 1 before it; minutes ahead of T, allowed by
the 5-minute skew tolerance, count too); ``today`` is the local day bucket of T. A ratio
or average whose denominator is 0 is left out.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Generator, Iterable, Mapping
from itertools import accumulate
from typing import NamedTuple

from .. import __version__
from .aggregates import AGENT, CONTACT, SURVEY, TEAM, TICKET, A, Aggregates, C, S, Series, T
from .catalog import SPECS
from .config import Config
from .events import AGENT_STATES, OPEN_TICKET_STATUSES
from .forecast import agents_required, estimated_wait_seconds, significant, staffing_hint
from .gauges import Gauges, LiveSet, Summaries
from .health import Health
from .labels import OTHER
from .surveys import UNKNOWN
from .timeutil import HOUR_MS, MINUTE_MS, MINUTE_WINDOWS, minute_of
from .windows import Windows

LIVE_AGENT_STATES = tuple(s for s in AGENT_STATES if s != "offline")


class Histogram(NamedTuple):
    buckets: tuple[tuple[float, int], ...]  # (upper edge in base units, cumulative count)
    sum: float
    count: int


def le_text(edge: float) -> str:
    """A bucket edge as Prometheus writes ``le``: whole numbers without a decimal point."""
    if math.isinf(edge):
        return "+Inf"
    return str(int(edge)) if edge == int(edge) else repr(edge)


class Family(NamedTuple):
    name: str
    kind: str
    help: str
    labels: tuple[str, ...]
    samples: list[tuple[tuple[str, ...], float | Histogram]]


#: How many series whose samples are reused make one part of a read (``Evaluation``).
REUSED_PER_PART = 256
#: The one family whose samples come from a search, not from sums (``Evaluation``).
REQUIRED = "cx_agents_required"


class _Cached:
    """One series' window sums and samples at one minute and day."""

    __slots__ = ("day", "samples", "search", "staffed", "sums", "version", "windows")

    def __init__(self, windows: Windows) -> None:
        self.windows = windows
        self.version: int | None = None  # the series version the samples were made from
        self.day = 0
        self.samples: dict[str, list] = {}
        self.sums: list[tuple[str, list[int]]] = []
        self.search: tuple | None = None  # agents_required's inputs, while not searched yet
        self.staffed: tuple[float, int] | None = None  # the last search's load and answer


class _Shape:
    """What depends on the series' keys alone, kept while they stay the same: a scrape
    after the first mostly finds the same keys, and every series' samples reused."""

    __slots__ = (
        "config",
        "contact",
        "contact_queues",
        "contact_set",
        "keys",
        "merged",
        "queues",
        "ticket",
        "ticket_set",
    )

    def __init__(self, keys: list[tuple]) -> None:
        self.keys = keys
        #: the series' samples by family, in the series' order (all but agents required)
        self.merged: dict[str, list] | None = None
        self.config: dict[str, list] | None = None  # the configuration's samples
        self.contact_set = {key[1:] for key in keys if key[0] == CONTACT}
        self.contact = sorted(self.contact_set)
        self.contact_queues = {labels[0] for labels in self.contact}
        self.ticket_set = {key[1:] for key in keys if key[0] == TICKET}
        self.ticket = sorted(self.ticket_set)
        self.queues = sorted(
            {key[2] if key[0] == SURVEY else key[1] for key in keys if key[0] not in (TEAM, AGENT)}
            - {OTHER, UNKNOWN}  # surveys without a queue (ESAT: team only): no policy
        )


#: What a read gives an evaluation: (families' samples so far, the contact series'
#: samples in order, the searches left, (agents serving each queue, channel loads)).
_Read = tuple[
    dict[str, list],
    list[dict[str, list]],
    list[tuple[_Cached, dict[str, list], tuple, tuple]],
    tuple[dict[str, float], dict[str, dict[str, float]]],
]


def _merged(all_samples: list[dict[str, list]]) -> dict[str, list]:
    merged: dict[str, list] = defaultdict(list)
    for samples in all_samples:
        for name, values in samples.items():
            if name != REQUIRED:
                merged[name].extend(values)
    return merged


class Evaluation:
    """One evaluation, in steps that an event loop which also ingests can interleave.

    First it reads the state (``Evaluator.begin``): the live summaries, then a series at
    a time. A busy centre's read takes tens of milliseconds, too long to hold an event
    loop that ingests, so ``step`` reads until its deadline and goes on at the next
    step. The state must not change until ``reading`` is False: the caller keeps its
    writers waiting meanwhile (the worker defers stage 2, not stage 1). Then come the
    agents-required searches (Erlang A, forecast.py), pure functions of a few numbers
    copied by the read, so ingestion may change the state between them. The families
    are those of the state as read, exactly as ``Evaluator.families`` gives them in one
    go. A search an evaluation leaves undone is done by the next one.
    """

    __slots__ = ("_forecast", "_order", "_out", "_read", "_searches")

    def __init__(self, read: Generator[None, None, _Read]) -> None:
        self._read: Generator[None, None, _Read] | None = read
        self._out: dict[str, list] = {}
        self._order: list[dict[str, list]] = []  # the contact series' samples, in order
        #: (cached, its samples, labels, agents_required's inputs)
        self._searches: list[tuple[_Cached, dict[str, list], tuple, tuple]] = []
        #: (agents serving each queue, channel loads)
        self._forecast: tuple[dict[str, float], dict[str, dict[str, float]]] = ({}, {})

    @property
    def reading(self) -> bool:
        """True until the read of the state is done: until then it must not change."""
        return self._read is not None

    def step(self, deadline: float, clock: Callable[[], float]) -> bool:
        """Read, then search, while ``clock()`` is before ``deadline`` (a read goes on
        at least one part further); True once nothing is left."""
        read = self._read
        while read is not None:
            try:
                next(read)
            except StopIteration as done:
                self._out, self._order, self._searches, self._forecast = done.value
                self._read = None
                break
            if clock() >= deadline:
                return False
        while self._searches and clock() < deadline:
            self._search()
        return not self._searches

    def _search(self) -> None:
        cached, samples, labels, inputs = self._searches.pop()
        answer = agents_required(*inputs)
        samples[REQUIRED] = [(labels, answer)]
        cached.staffed = (inputs[0] * inputs[1], answer)
        if cached.search is inputs:  # not begun again since: the next evaluation has it
            cached.search = None

    def families(self) -> list[Family]:
        """Every family of the catalog, in catalog order (what is left runs first)."""
        self.step(math.inf, _never)
        while self._searches:
            self._search()
        out = self._out
        out[REQUIRED] = [sample for samples in self._order for sample in samples.get(REQUIRED, ())]
        _gaps(out, *self._forecast)
        return [Family(s.name, s.kind, s.help, s.labels, out[s.name]) for s in SPECS]


def _never() -> float:
    """A clock for a deadline that never comes."""
    return 0.0


class Evaluator:
    """Evaluation with memory, for a process that evaluates the same state again and again.

    Per series it keeps the closed-minute window sums (``windows.Windows``) and the
    samples last made from them; a series whose sums, minute and day are unchanged
    reuses its samples, one that changed is redone from its open minutes. Live sets are
    summarised once per change (``gauges.Summaries``). What comes out is exactly what
    an evaluator without memory would give: every evaluation starts as one.
    """

    def __init__(
        self, aggregates: Aggregates, config: Config, caps: Aggregates | None = None
    ) -> None:
        """``caps``: the aggregates whose label caps fold facts as they are ingested, and
        so count the overflow; by default ``aggregates`` itself. A worker evaluates with
        aggregates of its own (scrapes must not race ingestion) but reports its stage's
        count."""
        self.aggregates, self.config = aggregates, config
        self.caps = caps or aggregates
        self._cached: dict[tuple, _Cached] = {}
        self._shape: _Shape | None = None
        self._summaries = Summaries(config)

    def families(
        self,
        all_series: Mapping[tuple, Series],
        live: Iterable[LiveSet],
        health: Health,
        at_ms: int,
    ) -> list[Family]:
        """Every family of the catalog, in catalog order, as of ``at_ms``."""
        return self.begin(all_series, live, health, at_ms).families()

    def begin(
        self,
        all_series: Mapping[tuple, Series],
        live: Iterable[LiveSet],
        health: Health,
        at_ms: int,
    ) -> Evaluation:
        """An evaluation as of ``at_ms``, all still to do: ``Evaluation.step`` reads the
        state in parts, then searches."""
        return Evaluation(self._read(all_series, live, health, at_ms))

    def _read(
        self,
        all_series: Mapping[tuple, Series],
        live: Iterable[LiveSet],
        health: Health,
        at_ms: int,
    ) -> Generator[None, None, _Read]:
        """The read of the state, yielding between parts (the live summaries, each
        series, the rest): everything the evaluation needs, copied or made anew."""
        aggregates, config = self.aggregates, self.config
        out: dict[str, list] = {spec.name: [] for spec in SPECS}
        stale_ms = round(config.limits.contact_max_age_hours * HOUR_MS)
        gauges = self._summaries.gauges(live, aggregates.queues.view(), at_ms, stale_ms)
        yield
        team_windows, contact_windows = {}, {}
        order, searches, keys, all_samples = [], [], [], []
        reused = True
        for key, cached, samples, kept in self._series_samples(all_series, at_ms):
            keys.append(key)
            all_samples.append(samples)
            if reused and not kept:
                reused = False
                if self._shape is not None:
                    # Let go of the old samples at once: held to the end, a minute's
                    # rollover would make all of them anew in fresh memory (1.3x slower).
                    self._shape.merged = None
            if key[0] == TEAM:
                team_windows[key] = cached.sums
            elif key[0] == CONTACT:
                contact_windows[key[1:]] = cached.sums[FORECAST_WINDOW_INDEX][1]
                order.append(samples)
                if cached.search is not None:
                    searches.append((cached, samples, key[1:], cached.search))
            if not kept or len(keys) % REUSED_PER_PART == 0:
                yield  # a series made anew is a part; samples reused cost little
        shape = self._shape
        if shape is None or shape.keys != keys:
            shape = self._shape = _Shape(keys)
        if shape.merged is None or not reused:
            shape.merged = _merged(all_samples)
        for name, values in shape.merged.items():
            out[name].extend(values)
        contact_series = shape.contact  # and those that only have contacts waiting so far
        if not gauges.waiting.keys() <= shape.contact_set:
            contact_series = sorted(gauges.waiting.keys() | shape.contact_set)
        _live_gauges(out, shape, contact_series, gauges, at_ms)
        forecast = _forecast(out, contact_series, contact_windows, gauges, at_ms)
        yield
        _teams(out, aggregates, gauges.teams, team_windows, at_ms)
        _health(out, health, self.caps, at_ms)
        if shape.config is None:
            shape.config = _config(shape.queues, config)
        for name, values in shape.config.items():
            out[name].extend(values)
        searches.reverse()  # ``step`` pops from the end: the series' order
        return out, order, searches, forecast

    def _series_samples(self, all_series: Mapping[tuple, Series], at_ms: int):
        """``(key, cached, samples by family, reused)`` per series, in the series' order;
        a contact series' agents required may still be a search (``cached.search``);
        ``reused``: the samples are those of the last evaluation."""
        aggregates, config = self.aggregates, self.config
        minute = minute_of(at_ms)
        held, current = self._cached, {}
        for key, series in all_series.items():
            today = aggregates.series_days(key).day_of(at_ms)
            cached = previous = held.get(key)
            if cached is None or not cached.windows.valid_for(series):
                cached = _Cached(Windows(series, minute))
            elif (cached.version, cached.windows.minute, cached.day) == (
                series.version,
                minute,
                today,
            ):
                current[key] = cached
                yield key, cached, cached.samples, True
                continue
            at_minute = cached.windows.at(minute)
            sums = [(name, v) for (name, _), v in zip(MINUTE_WINDOWS, at_minute, strict=True)]
            sums.append(("today", series.days.get(today) or [0] * len(series.totals)))
            samples: dict[str, list] = defaultdict(list)
            kind = key[0]
            if kind == CONTACT:
                # The last search, even from sums rebuilt since: where the next starts.
                cached.staffed = previous.staffed if previous else None
                cached.search = _contact(
                    samples, key[1:], series, sums, config, aggregates, cached.staffed
                )
            elif kind == TICKET:
                _ticket(samples, key[1:], series, sums, aggregates)
            elif kind == SURVEY:
                _survey(samples, key[1:], series, sums, aggregates)
            cached.version, cached.day, cached.samples, cached.sums = (
                series.version,
                today,
                dict(samples),
                sums,
            )
            current[key] = cached
            yield key, cached, cached.samples, False
        self._cached = current


def _ratio(numerator: float, denominator: float, scale: float = 1.0) -> float | None:
    return None if denominator == 0 else scale * numerator / denominator


def _put(out: dict, name: str, labels: tuple, value: float | None) -> None:
    if value is not None:
        out[name].append((labels, value))


# -- contacts ----------------------------------------------------------------------

OUTCOMES = (
    ("offered", C.offered),
    ("answered", C.answered),
    ("abandoned", C.abandoned),
    ("short_abandoned", C.short_abandoned),
    ("answered_within_threshold", C.answered_within),
    ("transferred", C.transferred),
)


def _contact(
    out: dict,
    labels: tuple,
    series: Series,
    windows,
    config: Config,
    aggregates: Aggregates,
    staffed: tuple[float, int] | None = None,
) -> tuple | None:
    """Returns the inputs of this series' agents-required search, if it needs one.
    ``staffed``: the load and answer of its last search, where to start looking
    (forecast.staffing_hint: it changes the cost, never the answer)."""
    queue, _ = labels
    policy = config.policy(queue)
    totals = series.totals
    search = None
    for name, index in (
        ("cx_contacts_offered_total", C.offered),
        ("cx_contacts_answered_total", C.answered),
        ("cx_contacts_abandoned_total", C.abandoned),
        ("cx_contacts_short_abandoned_total", C.short_abandoned),
        ("cx_contacts_transferred_total", C.transferred),
    ):
        out[name].append((labels, totals[index]))
    for window, v in windows:
        wl = (*labels, window)
        for outcome, index in OUTCOMES:
            out["cx_window_contacts"].append(((*labels, outcome, window), v[index]))
        counted_abandons = v[C.abandoned] - v[C.short_abandoned]
        offered_outcomes = v[C.answered] + counted_abandons
        _put(out, "cx_abandonment_ratio", wl, _ratio(counted_abandons, offered_outcomes))
        # The service level's parts under the queue's own mode, exported with it, so
        # that rules summing over workers and channels divide the same numbers.
        met, eligible = service_level_parts(v, policy.service_level_mode)
        out["cx_window_contacts"].append(((*labels, "sl_met", window), met))
        out["cx_window_contacts"].append(((*labels, "sl_eligible", window), eligible))
        _put(out, "cx_service_level_ratio", wl, _ratio(met, eligible))
        _put(
            out,
            "cx_average_speed_of_answer_seconds",
            wl,
            _ratio(v[C.wait_answered_ms], v[C.answered], 0.001),
        )
        _put(out, "cx_average_handle_seconds", wl, _ratio(v[C.handle_ms], v[C.handled], 0.001))
        _put(
            out,
            "cx_first_response_average_seconds",
            wl,
            _ratio(v[C.first_response_ms], v[C.first_responses], 0.001),
        )
        _put(
            out, "cx_response_average_seconds", wl, _ratio(v[C.response_ms], v[C.responses], 0.001)
        )
        _put(out, "cx_fcr_ratio", wl, _ratio(v[C.fcr_ok], v[C.fcr_flagged]))
        if window == FORECAST_WINDOW:
            search = _required(out, labels, v, policy, staffed)
    edges = aggregates.edges_s[CONTACT]
    for name, family in (
        ("handle", "cx_handle_seconds"),
        ("first_response", "cx_first_response_seconds"),
        ("response", "cx_response_seconds"),
    ):
        _histogram(out, family, labels, series.hists.get(name), edges, 0.001)
    for outcome in ("answered", "abandoned", "transferred"):
        hist = series.hists.get(f"wait:{outcome}")
        _histogram(out, "cx_wait_seconds", (*labels, outcome), hist, edges, 0.001)
    return search


def service_level_parts(v: list[int], mode: str) -> tuple[int, int]:
    """(answered within the threshold, the denominator) of a contact vector, under a
    queue's service-level mode: the one definition the window ratios, their exported
    parts and the wallboard's minute sparkline all use."""
    counted_abandons = v[C.abandoned] - v[C.short_abandoned]
    if mode == "abandons_ignored":
        return v[C.answered_within], v[C.answered]
    met = v[C.answered_within]
    if mode == "abandons_positive":
        met += v[C.abandoned_within]
    return met, v[C.answered] + counted_abandons


def sparklines(
    all_series: Mapping[tuple, Series], config: Config, at_ms: int, minutes: int = 60
) -> dict[tuple[str, str], list[float | None]]:
    """Per (queue, channel), the service level of each of the last ``minutes`` minutes
    (None: nobody counted in that minute), oldest first, from the minute buckets."""
    now = minute_of(at_ms)
    lines: dict[tuple[str, str], list[float | None]] = {}
    for key, series in all_series.items():
        if key[0] != CONTACT:
            continue
        mode = config.policy(key[1]).service_level_mode
        points: list[float | None] = []
        for minute in range(now - minutes + 1, now + 1):
            bucket = series.minutes.get(minute)
            met, eligible = service_level_parts(bucket, mode) if bucket else (0, 0)
            points.append(met / eligible if eligible else None)
        lines[key[1:]] = points
    return lines


# -- forward-looking: estimated wait and agents required (forecast.py) ----------------

#: The window the forecasts read rates, handle times and patience from (issue 11).
FORECAST_WINDOW = "15m"
FORECAST_WINDOW_INDEX = [name for name, _ in MINUTE_WINDOWS].index(FORECAST_WINDOW)
FORECAST_WINDOW_S = dict(MINUTE_WINDOWS)[FORECAST_WINDOW] * 60


def _required(
    out: dict, labels: tuple, v: list[int], policy, staffed: tuple[float, int] | None
) -> tuple | None:
    """Agents required from one series' 15-minute sums: put at once where no search is
    needed (0 without load; left out without a handle time), else the search's inputs.

    Rate = offered / 900 s (the window's nominal length, so that the sample depends on
    the sums alone). Patience = the waiting time of every contact whose wait ended
    (answered or abandoned) over the abandons: the maximum-likelihood estimate for
    exponential patience; without abandons there is none, and Erlang C is used. All
    three to three significant digits (``forecast.significant`` says why).
    """
    if v[C.offered] == 0:
        _put(out, REQUIRED, labels, 0)
        return None
    if v[C.handled] == 0:
        return None
    abandons = v[C.abandoned]
    exposure_s = (v[C.wait_answered_ms] + v[C.wait_abandoned_ms]) / 1000
    patience_s = significant(max(1.0, exposure_s / abandons)) if abandons else None
    rate = significant(v[C.offered] / FORECAST_WINDOW_S)
    aht_s = significant(v[C.handle_ms] / v[C.handled] / 1000)
    return (
        rate,
        aht_s,
        policy.service_level_threshold_seconds,
        policy.service_level_target,
        patience_s,
        policy.short_abandon_seconds,
        policy.service_level_mode,
        staffing_hint(rate * aht_s, *staffed) if staffed else None,
    )


def _forecast(
    out: dict,
    contact_series: list[tuple],
    windows: dict[tuple, list[int]],
    gauges: Gauges,
    at_ms: int,
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Estimated wait of every contact series (``contact_series``, in order), and what
    the staffing gap needs once agents required are known: the agents serving each
    queue and the channels' loads (``_gaps``).

    A queue's agents serve its contacts of every channel, first come first served, so
    a contact joining it waits behind everyone waiting in the queue, for the queue's
    agents, at the queue's handle time and abandonment (all channels summed).
    """
    serving = gauges.serving_agents()  # each agent shared among all its queues
    queues: dict[str, list[int]] = {}
    loads: dict[str, dict[str, float]] = {}
    for (queue, channel), v in windows.items():
        summed = queues.setdefault(queue, [0] * C.size)
        for index in (C.answered, C.abandoned, C.handled, C.handle_ms):
            summed[index] += v[index]
        load = v[C.offered] * v[C.handle_ms] / v[C.handled] if v[C.handled] else 0.0
        loads.setdefault(queue, {})[channel] = load
    waiting: dict[str, tuple[int, int | None]] = {}
    for (queue, _), (count, oldest) in gauges.waiting.items():
        held, first = waiting.get(queue, (0, None))
        waiting[queue] = (held + count, oldest if first is None else min(first, oldest))
    for labels in contact_series:
        queue, channel = labels
        count, oldest = waiting.get(queue, (0, None))
        v = queues.get(queue) or [0] * C.size
        ended = v[C.answered] + v[C.abandoned]
        wait = estimated_wait_seconds(
            count,
            max(0.0, (at_ms - oldest) / 1000) if oldest is not None else None,
            serving.get(queue, 0.0),
            gauges.agents.get((queue, "available"), 0),
            v[C.handle_ms] / v[C.handled] / 1000 if v[C.handled] else None,
            v[C.abandoned] / ended if ended else 0.0,
        )
        _put(out, "cx_estimated_wait_seconds", labels, wait)
    return serving, loads


def _gaps(out: dict, serving: dict[str, float], loads: dict[str, dict[str, float]]) -> None:
    """The staffing gap: a channel's requirement against the queue's agents shared
    among its channels by their offered load (offered × AHT, 15 min), equally while
    none has one."""
    for labels, required in sorted(out[REQUIRED]):
        queue, channel = labels
        channel_loads = loads[queue]
        total = sum(channel_loads.values())
        share = channel_loads[channel] / total if total else 1.0 / len(channel_loads)
        _put(out, "cx_agents_required_gap", labels, required - serving.get(queue, 0.0) * share)


def _histogram(
    out: dict, name: str, labels: tuple, hist: list[int] | None, edges: tuple, scale: float
) -> None:
    """Per-bucket counts (+Inf last, then the sum) → cumulative buckets in base units."""
    if hist is None:
        return
    cumulative = 0
    buckets = []
    for edge, count in zip(edges, hist, strict=False):
        cumulative += count
        buckets.append((float(edge), cumulative))
    cumulative += hist[len(edges)]
    buckets.append((float("inf"), cumulative))
    out[name].append((labels, Histogram(tuple(buckets), hist[-1] * scale, cumulative)))


# -- tickets -----------------------------------------------------------------------


#: Window averages of ticket durations: (family, total milliseconds, count).
TICKET_AVERAGES = (
    ("cx_ticket_first_reply_average_seconds", T.first_reply_ms, T.first_replies),
    ("cx_ticket_resolution_average_seconds", T.resolution_ms, T.resolutions),
    (
        "cx_ticket_first_reply_business_average_seconds",
        T.first_reply_business_ms,
        T.first_replies_business,
    ),
    (
        "cx_ticket_resolution_business_average_seconds",
        T.resolution_business_ms,
        T.resolutions_business,
    ),
)


def _ticket(out: dict, labels: tuple, series: Series, windows, aggregates: Aggregates) -> None:
    totals = series.totals
    out["cx_tickets_created_total"].append((labels, totals[T.created]))
    out["cx_tickets_solved_total"].append((labels, totals[T.solved]))
    out["cx_tickets_reopened_total"].append((labels, totals[T.reopened]))
    for window, v in windows:
        wl = (*labels, window)
        solved = v[T.solved]
        for name, total_ms, count in TICKET_AVERAGES:
            _put(out, name, wl, _ratio(v[total_ms], v[count], 0.001))
        _put(out, "cx_reopen_ratio", wl, _ratio(v[T.reopened], solved))
        _put(out, "cx_one_touch_ratio", wl, _ratio(v[T.one_touch], solved))
        _put(out, "cx_replies_per_resolution", wl, _ratio(v[T.solved_agent_comments], solved))
    for name, family in (
        ("first_reply", "cx_ticket_first_reply_seconds"),
        ("reply", "cx_ticket_reply_seconds"),
        ("resolution", "cx_ticket_resolution_seconds"),
        ("first_reply_business", "cx_ticket_first_reply_business_seconds"),
        ("resolution_business", "cx_ticket_resolution_business_seconds"),
    ):
        hist = series.hists.get(name)
        _histogram(out, family, labels, hist, aggregates.edges_s[TICKET], 0.001)


# -- surveys -----------------------------------------------------------------------


def _survey(out: dict, labels: tuple, series: Series, windows, aggregates: Aggregates) -> None:
    kind, queue, channel = labels
    totals = series.totals
    out["cx_surveys_sent_total"].append((labels, totals[S.sent]))
    out["cx_survey_responses_total"].append((labels, totals[S.responses]))
    hist = series.hists.get("score")
    _histogram(out, "cx_survey_score", labels, hist, aggregates.edges_s[SURVEY], 1)
    for window, v in windows:
        responses = v[S.responses]
        out["cx_window_survey_responses"].append(((*labels, window), responses))
        _put(out, "cx_survey_response_ratio", (*labels, window), _ratio(responses, v[S.sent]))
        ql = (queue, channel, window)
        if kind == "csat":
            _put(out, "cx_csat_ratio", ql, _ratio(v[S.positive], responses))
        elif kind == "nps":
            _put(out, "cx_nps_score", ql, _ratio(v[S.promoters] - v[S.detractors], responses, 100))
        elif kind == "ces":
            _put(out, "cx_ces_average", ql, _ratio(v[S.score_sum], responses))


# -- teams: ESAT and occupancy -------------------------------------------------------


def _teams(
    out: dict,
    aggregates: Aggregates,
    agents: dict[tuple[str, bool], list[int]],
    windows: dict,
    at_ms: int,
) -> None:
    """Occupancy adds the state each agent is in now, clipped to the window: per team
    and state, the times the agents entered it (kept sorted by the live summaries),
    so that a window takes two bisections, not a pass over a large centre's agents."""
    now = minute_of(at_ms)
    starts = [(name, (now - length + 1) * MINUTE_MS) for name, length in MINUTE_WINDOWS]
    starts.append(("today", aggregates.days.midnight_ms(at_ms)))
    entered: dict[str, tuple[list[int], list[int]]] = {}  # team → (busy, available) since
    team_label = aggregates.teams.view()
    for (team, available), sinces in sorted(agents.items()):
        team = team_label(team)
        pair = entered.get(team)
        if pair is None:
            pair = entered[team] = ([], [])
        pair[available].extend(sinces)
    ongoing: dict[str, dict[str, list[int]]] = {}  # team → window → [busy, available]
    for team, pair in entered.items():
        spans = [_SinceSpans(since) for since in pair]
        ongoing[team] = {name: [s.time_in(start, at_ms) for s in spans] for name, start in starts}
    teams = {key[1] for key in windows} | set(ongoing)
    for team in sorted(teams):
        sums = dict(windows.get((TEAM, team), ()))
        for name, _ in starts:
            v = sums.get(name) or [0] * A.size
            busy, available = ongoing.get(team, {}).get(name, [0, 0])
            busy += v[A.busy_ms]
            available += v[A.available_ms]
            wl = (team, name)
            _put(out, "cx_esat_ratio", wl, _ratio(v[A.esat_positive], v[A.esat_responses]))
            _put(out, "cx_occupancy_ratio", wl, _ratio(busy, busy + available))


class _SinceSpans:
    """Times agents entered a state, for Σ max(0, at − max(since, start)) per window."""

    __slots__ = ("prefix", "since")

    def __init__(self, since: list[int]) -> None:
        self.since = sorted(since)
        self.prefix = [0, *accumulate(self.since)]

    def time_in(self, start: int, at_ms: int) -> int:
        """Milliseconds spent in the state between ``start`` and ``at_ms``, all agents:
        those in it since ``start`` or before count the whole window, the later ones
        from when they entered (none after ``at_ms``)."""
        if at_ms <= start:
            return 0
        before = bisect_right(self.since, start)
        after = bisect_left(self.since, at_ms, before)
        within = (after - before) * at_ms - (self.prefix[after] - self.prefix[before])
        return before * (at_ms - start) + within


# -- live gauges -------------------------------------------------------------------


def _live_gauges(
    out: dict, shape: _Shape, contact_series: list[tuple], gauges: Gauges, at_ms: int
) -> None:
    """The live gauges of every contact series (``contact_series``) and ticket series,
    and of those that only have tickets open so far."""
    waiting = gauges.waiting
    queues = shape.contact_queues
    if contact_series is not shape.contact:
        queues = {labels[0] for labels in contact_series}
    for labels in contact_series:
        count, oldest = waiting.get(labels, (0, None))
        out["cx_contacts_waiting"].append((labels, count))
        if oldest is not None:
            out["cx_oldest_waiting_enqueued_timestamp_seconds"].append((labels, oldest / 1000))
        out["cx_longest_wait_seconds"].append(
            (labels, max(0.0, (at_ms - oldest) / 1000) if oldest else 0.0)
        )
    agents = gauges.agents
    for queue in sorted(gauges.agent_queues | queues):
        for state in LIVE_AGENT_STATES:
            out["cx_agents"].append(((queue, state), agents.get((queue, state), 0)))
    tickets, overdue = gauges.tickets, gauges.overdue
    ticket_series = shape.ticket
    open_series = {labels[:2] for labels in tickets}
    if not open_series <= shape.ticket_set:
        ticket_series = sorted(open_series | shape.ticket_set)
    for labels in ticket_series:
        for status in OPEN_TICKET_STATUSES:
            out["cx_tickets_open"].append(((*labels, status), tickets.get((*labels, status), 0)))
        out["cx_tickets_first_reply_overdue"].append((labels, overdue.get(labels, 0)))


# -- health and configuration -------------------------------------------------------


def _health(out: dict, health: Health, aggregates: Aggregates, at_ms: int) -> None:
    for (topic, kind), n in sorted(health.events.items()):
        out["cx_events_total"].append(((topic, kind), n))
    for (topic, reason), n in sorted(health.invalid.items()):
        out["cx_events_invalid_total"].append(((topic, reason), n))
    for name, counter in (
        ("cx_events_duplicate_total", health.duplicate),
        ("cx_events_late_total", health.late),
        ("cx_events_future_total", health.future),
    ):
        for topic, n in sorted(counter.items()):
            out[name].append(((topic,), n))
    for (topic, kind), n in sorted(health.unmatched.items()):
        out["cx_events_unmatched_total"].append(((topic, kind), n))
    overflow = aggregates.queues.overflowed + aggregates.teams.overflowed
    out["cx_label_overflow_total"].append(((), overflow + aggregates.channels.overflowed))
    for topic, newest in sorted(health.newest_ms.items()):
        out["cx_event_time_lag_seconds"].append(((topic,), (at_ms - newest) / 1000))
    out["cx_build_info"].append(((__version__,), 1))


def _config(queues: list[str], config: Config) -> dict[str, list]:
    """The configuration's families: they change only with the queues (``_Shape``)."""
    out: dict[str, list] = defaultdict(list)
    for queue in queues:
        policy = config.policy(queue)
        out["cx_config_service_level_target_ratio"].append(((queue,), policy.service_level_target))
        out["cx_config_service_level_threshold_seconds"].append(
            ((queue,), policy.service_level_threshold_seconds)
        )
        out["cx_config_abandonment_alert_ratio"].append(((queue,), policy.abandonment_alert))
        out["cx_config_csat_target_ratio"].append(((queue,), policy.csat_target))
    for priority, seconds in config.first_reply_target_seconds.items():
        out["cx_config_first_reply_target_seconds"].append(((priority,), seconds))
    return out
