"""Evaluation with memory equals evaluation from scratch, whatever happened in between.

An engine keeps one ``Evaluator`` for its life; each check compares what it gives with
what a new evaluator (no memory) gives over the same state at the same time. Between
checks: more events (in any interleaving, so late facts land in closed minutes),
duplicates, housekeeping, and evaluation times that move on, stand still, jump by
hours or go back.
"""

from __future__ import annotations

import pickle

import orjson
from helpers import BASE_MS, Kpis, call, chat, handled_calls
from hypothesis import given
from hypothesis import strategies as st
from test_properties import FAST, merge, scenarios

from stream.core.aggregates import Series, merge_series
from stream.core.config import Config
from stream.core.engine import Engine, begin_evaluation
from stream.core.evaluate import Evaluation, Evaluator
from stream.core.facts import ANSWERED, Fact
from stream.core.gauges import JOURNAL_MIN, LiveSet, Summary
from stream.core.live import AgentPresence, OpenTicket, Waiting
from stream.core.timeutil import MINUTE_MS, MINUTE_WINDOWS, minute_of, parse_time, retention_at
from stream.core.windows import Windows


def from_scratch(engine: Engine, at: int) -> list:
    """A new evaluator over copies of the live sets: summarising the engine's own sets
    would restart their journals, and the engine's evaluator would never follow one."""
    fresh = Evaluator(engine.queues.aggregates, engine.config)
    live = [LiveSet(dict(s.entries)) for s in engine.live.values()]
    return begin_evaluation(fresh, engine.slices.values(), live, at).families()


def time_of(line: bytes) -> int:
    return parse_time(orjson.loads(line)["time"])


@FAST
@given(
    scenarios(),
    st.randoms(use_true_random=False),
    st.lists(st.integers(-5 * MINUTE_MS, 90 * MINUTE_MS), min_size=1, max_size=8),
)
def test_an_evaluator_with_memory_gives_what_one_without_gives(entities, rnd, steps):
    lines = merge(entities, rnd)
    engine = Engine()
    clock = BASE_MS
    cuts = sorted(rnd.sample(range(len(lines) + 1), min(len(steps), len(lines) + 1)))
    at = BASE_MS
    done = 0
    for cut, step in zip(cuts, steps, strict=False):
        for line in lines[done:cut]:
            clock = max(clock, time_of(line))
            engine.ingest(line, clock)
            if rnd.random() < 0.1:
                engine.ingest(line, clock)  # a duplicate changes nothing
        done = cut
        if rnd.random() < 0.3:
            engine.prune(clock)
        at = max(BASE_MS, at + step)
        for moment in (at, at, at + rnd.randrange(MINUTE_MS)):
            assert engine.families(moment) == from_scratch(engine, moment)


@FAST
@given(scenarios(), st.randoms(use_true_random=False))
def test_an_evaluation_in_steps_gives_the_state_at_its_start(entities, rnd):
    """Events applied between an evaluation's steps (a worker's batches between a
    scrape's searches) change nothing it gives; the searches an abandoned evaluation
    left undone are done by the next one."""
    lines = merge(entities, rnd)
    cut = rnd.randrange(len(lines) + 1)
    engine, clock = Engine(), BASE_MS

    def ingest(part: list[bytes]) -> None:
        nonlocal clock
        for line in part:
            clock = max(clock, time_of(line))
            engine.ingest(line, clock)

    ingest(lines[:cut])
    at = clock + 1000
    expected = from_scratch(engine, at)
    read(engine.evaluation(at))  # abandoned after its read: its searches never run
    evaluation = engine.evaluation(at)
    read(evaluation)  # a part per step (a worker holds stage 2 back meanwhile)
    ingest(lines[cut:])
    assert evaluation.families() == expected
    assert engine.families(clock + 1000) == from_scratch(engine, clock + 1000)


def read(evaluation: Evaluation) -> int:
    """Step an evaluation through its read of the state, a part per step and no search;
    how many steps that took."""
    steps = 0
    while evaluation.reading:
        evaluation.step(float("-inf"), lambda: 0.0)  # no time: one part, then stop
        steps += 1
    return steps


def test_the_searches_run_in_steps_as_long_as_a_step_may_last():
    engine = Engine()
    for queue in ("q1", "q2", "q3"):
        handled_calls(engine, queue, 10)
    at = BASE_MS + 600 * 1000
    expected = from_scratch(engine, at)
    evaluation = engine.evaluation(at)
    assert read(evaluation) > 3  # the live summaries, a part per series, the rest
    assert not evaluation.step(float("-inf"), lambda: 0.0)  # no time: nothing searched
    ticks = iter(range(100))
    assert not evaluation.step(1, lambda: next(ticks))  # time for one search
    engine.ingest(call("queued", 590, "late-comer", queue="q1"), at)
    assert evaluation.step(float("inf"), lambda: 0.0)  # the other two
    families = evaluation.families()
    assert families == expected
    required = Kpis(families)("cx_agents_required", queue="q2", channel="voice")
    assert required is not None and required > 0


def test_a_late_answer_in_a_closed_minute_reaches_the_cached_windows():
    engine = Engine()
    for i in range(3):
        engine.ingest(call("queued", 60 * i, f"c{i}", queue="q"), BASE_MS + 600_000)
    at = BASE_MS + 10 * MINUTE_MS
    before = Kpis(engine.families(at))
    assert before.outcomes("15m", queue="q", channel="voice")["answered"] == 0
    engine.ingest(call("answered", 90, "c1", agent_id="a"), at)  # minute 1: closed at 10
    after = Kpis(engine.families(at))
    assert after.outcomes("15m", queue="q", channel="voice")["answered"] == 1
    assert after.outcomes("5m", queue="q", channel="voice")["answered"] == 0
    assert engine.families(at) == from_scratch(engine, at)


def test_windows_roll_minute_by_minute_as_summing_afresh_does():
    engine = Engine()
    for minute in range(70):
        t = minute * 60
        engine.ingest(chat("queued", t, f"c{minute}", queue="q"), BASE_MS + t * 1000)
        if minute % 3 == 0:
            engine.prune(BASE_MS + t * 1000)
        at = BASE_MS + t * 1000 + 30_000
        assert engine.families(at) == from_scratch(engine, at)
    last = Kpis(engine.families(BASE_MS + 69 * MINUTE_MS))
    offered = {w: last.outcomes(w, queue="q", channel="chat")["offered"] for w in ("5m", "1h")}
    assert offered == {"5m": 5, "1h": 60}


def test_live_sets_are_summarised_again_only_when_they_change():
    engine = Engine()
    engine.ingest(call("queued", 0, "c1", queue="q"), BASE_MS)
    engine.families(BASE_MS + 1000)
    first = dict(engine.evaluator._summaries._held)
    engine.families(BASE_MS + 2000)
    assert engine.evaluator._summaries._held == first
    engine.ingest(call("abandoned", 5, "c1"), BASE_MS + 5000)
    assert (
        Kpis(engine.families(BASE_MS + 6000))("cx_contacts_waiting", queue="q", channel="voice")
        == 0
    )


def test_buckets_dropped_by_housekeeping_leave_the_cached_windows():
    engine = Engine()
    for minute in range(10):
        engine.ingest(call("queued", minute * 60, f"c{minute}", queue="q"), BASE_MS + 600_000)
    at = BASE_MS + 10 * MINUTE_MS
    assert Kpis(engine.families(at)).outcomes("1h", queue="q", channel="voice")["offered"] == 10
    engine.prune(BASE_MS + 3 * 60 * MINUTE_MS)  # the clock moved on: an old evaluation time
    assert engine.families(at) == from_scratch(engine, at)
    assert Kpis(engine.families(at)).outcomes("1h", queue="q", channel="voice")["offered"] == 0


def summary_fields(summary: Summary) -> tuple:
    return (
        summary.waiting,
        summary.agents,
        summary.serving,
        summary.teams,
        summary.tickets,
        summary.deadlines,
    )


QUEUES = ("q1", "q2")
descriptors = st.one_of(
    st.none(),
    st.builds(
        Waiting, st.sampled_from(QUEUES), st.sampled_from(("voice", "chat")), st.integers(0, 50)
    ),
    st.builds(
        AgentPresence,
        st.sampled_from(("available", "on_contact", "after_contact_work", "break")),
        st.lists(st.sampled_from(QUEUES), max_size=2, unique=True).map(tuple),
        st.sampled_from((None, "t1", "t2")),
        st.integers(0, 50),
    ),
    st.builds(
        OpenTicket,
        st.sampled_from(QUEUES),
        st.sampled_from(("low", "normal", "high", "urgent")),
        st.sampled_from(("new", "open", "pending")),
        st.booleans(),
        st.integers(0, 10_000_000),
        st.one_of(st.none(), st.integers(0, 10_000_000)),
    ),
)


@FAST
@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from("abcdefgh"), descriptors), max_size=3 * JOURNAL_MIN),
        min_size=1,
        max_size=5,
    )
)
def test_a_summary_that_follows_its_journal_equals_one_made_anew(rounds):
    """Changes of any kind (new, replaced, gone, equal times) between evaluations; a
    round longer than the journal holds makes the summary anew."""
    config = Config()
    live = LiveSet()
    summary = Summary(live, config)
    for changes in rounds:
        for ref, descriptor in changes:
            live.put(ref, descriptor)
        if not summary.follow(live):
            assert live.journal is None
            summary = Summary(live, config)
        assert summary.describes(live)
        assert summary_fields(summary) == summary_fields(
            Summary(LiveSet(dict(live.entries)), config)
        )


def test_a_second_summary_of_a_set_makes_the_first_start_anew():
    config = Config()
    live = LiveSet()
    first = Summary(live, config)
    live.put("a", Waiting("q1", "voice", 5))
    Summary(live, config)  # another evaluator's: the journal restarts with it
    live.put("b", Waiting("q1", "voice", 7))
    assert not first.follow(live)


@FAST
@given(
    st.lists(
        st.tuples(
            st.sampled_from(("add", "retract", "prune", "merge", "pickle")),
            st.integers(0, 150),  # a minute
            st.integers(1, 100_000),  # a wait
        ),
        max_size=60,
    ),
    st.integers(-10, 160),
)
def test_closed_sums_found_from_the_retained_sum_are_the_sums_of_their_minutes(ops, minute):
    """The longest window comes from ``Series.retained`` less the buckets outside it:
    after adds, retractions, housekeeping, a union's sum and a restore it must be the
    plain sum of the window's closed minutes, as the shorter windows' bands are."""
    aggregates = Engine().queues.aggregates
    held: dict = {}
    added: list[Fact] = []
    for op, at, wait in ops:
        fact_time = BASE_MS + at * MINUTE_MS
        if op == "add" or (op == "retract" and not added):
            fact = Fact(ANSWERED, ("q", "voice"), fact_time, wait)
            added.append(fact)
        elif op == "retract":
            fact = added.pop(wait % len(added))._replace(weight=-1)
        elif op == "prune":
            aggregates.prune(held, fact_time)
            continue
        elif op == "merge" and held:
            union: dict = {}
            merge_series(union, held)
            merge_series(union, {key: Series(len(s.totals)) for key, s in held.items()})
            held = union
            continue
        else:
            held = {key: pickle.loads(pickle.dumps(s)) for key, s in held.items()}
            continue
        aggregates.add(held, fact, retention_at(aggregates.days, fact_time))
    at_minute = minute_of(BASE_MS) + minute
    for series in held.values():
        assert series.retained == column_sums(series.minutes.values(), len(series.totals))
        closed = Windows(series, at_minute).closed
        for (_, length), sums in zip(MINUTE_WINDOWS, closed, strict=True):
            inside = [v for m, v in series.minutes.items() if at_minute - length < m < at_minute]
            assert sums == column_sums(inside, len(series.totals))


def column_sums(vectors, size: int) -> list[int]:
    return [sum(v[i] for v in vectors) for i in range(size)]
