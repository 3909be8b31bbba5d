"""The changelog and facts codec gives back exactly what it was given, for every value
a day of traffic makes, and still reads values written before it (pickled as they are)."""

from __future__ import annotations

import pickle

import pytest
from helpers import RecordingEngine, recorded_example_day

from stream.core.facts import LIVE as LIVE_FACT
from stream.core.facts import Fact
from stream.core.live import AgentPresence, OpenTicket, Waiting
from stream.core.stages import CUSTOMER, HEALTH, NO_SERIES
from stream.runtime.codec import decode_routes, decode_value, encode_routes, encode_value
from stream.runtime.values import (
    CAPS,
    LIVE,
    PROGRESS,
    HeldCaps,
    HeldLive,
    HeldRecord,
    HeldSlice,
    Mark,
)


@pytest.fixture(scope="module")
def engine() -> RecordingEngine:
    """Part of the example day, without housekeeping: open and finished entities."""
    return recorded_example_day(lines=8000, batch=500)


@pytest.fixture(scope="module")
def sent(engine: RecordingEngine) -> list[tuple[str, list]]:
    """Every route's outputs as stage 2 was given them, with ids as a worker's (replay's
    outputs have none but the pipeline counts)."""
    numbered: list[tuple[str, list]] = []
    for grouped, _ in engine.given:
        for route, items in grouped.items():
            if route != HEALTH:
                offset = len(numbered)
                items = [(("replay", offset, i), fact) for i, fact in enumerate(items)]
            numbered.append((route, items))
    return numbered


def slice_state(held: HeldSlice) -> tuple:
    """What a slice holds, comparable (Series and Health compare by identity)."""
    partition, (series, history, seen, health) = held
    sums = {key: s.__getstate__() for key, s in series.items()}
    counters = None if health is None else {n: getattr(health, n) for n in health.__slots__}
    return partition, sums, history, seen, counters


def test_every_entity_record_round_trips(engine: RecordingEngine) -> None:
    families = {ref.split("/", 1)[0] for ref in engine.records}
    assert families == {"contact", "ticket", "survey", "agent"}
    for offset, (ref, record) in enumerate(engine.records.items()):
        held = HeldRecord(offset % 8, offset, record)
        back = decode_value(ref, encode_value(held))
        assert back == held
        assert [type(e) for e in back.record.events] == [type(e) for e in record.events]
        assert type(back.record.state) is type(record.state)


def test_every_slice_and_live_entry_round_trips(engine: RecordingEngine) -> None:
    for route, slice_ in engine.slices.items():
        held = HeldSlice(3, slice_)
        back = decode_value(route, encode_value(held))
        assert slice_state(back) == slice_state(held)
    kinds = set()
    for route, live in engine.live.items():
        for ref, descriptor in live.entries.items():
            held = HeldLive(5, descriptor)
            back = decode_value(f"{LIVE}{route}/{ref}", encode_value(held))
            assert back == held and type(back.descriptor) is type(descriptor)
            kinds.add(type(descriptor))
    assert kinds == {Waiting, AgentPresence, OpenTicket}


def test_a_restored_series_starts_its_bookkeeping_afresh(engine: RecordingEngine) -> None:
    route, slice_ = next((r, s) for r, s in engine.slices.items() if s.series)
    back = decode_value(route, encode_value(HeldSlice(0, slice_)))
    for series in back.slice.series.values():
        assert (series.version, series.cut, series.stamps) == (0, 0, {})


def test_every_facts_message_round_trips(sent: list[tuple[str, list]]) -> None:
    kinds = set()
    for route, items in sent:
        (value,) = encode_routes([(route, items)])
        assert decode_routes(None, value) == [(route, items)]
        kinds.update(fact.kind for _, fact in items)
    assert {"live", "offered", "answered", "pipeline_tally", "customer_queued"} <= kinds


def test_a_message_carries_routes_in_order_and_splits_only_between_them(
    sent: list[tuple[str, list]],
) -> None:
    routes = sent[:200]
    total = sum(len(items) for _, items in routes)
    values = encode_routes(routes, limit=total // 3)
    assert len(values) >= 3
    back = [routed for value in values for routed in decode_routes(None, value)]
    assert back == routes
    big = max(routes, key=lambda routed: len(routed[1]))
    assert decode_routes(None, encode_routes([big], limit=1)[0]) == [big]  # alone, whole


def test_a_facts_message_of_the_one_route_format_still_reads() -> None:
    """Before a message carried several routes, its key was its one route and its
    value that route's rows: a worker upgraded mid-stream reads what is left of them."""
    fact = Fact("offered", ("sales", "voice"), 1_000, 0, 1)
    live = Fact(LIVE_FACT, ("contact/c1", Waiting("sales", "voice", 900)), 0, 0, 1)
    gone = Fact(LIVE_FACT, ("contact/c2", None), 0, 0, 1)
    rows = [
        (("cx.calls/0", 7, 0), *fact),
        (("cx.calls/0", 7, 1), LIVE_FACT, ("contact/c1", 0, ("sales", "voice", 900)), 0, 0, 1),
        (("cx.calls/0", 8, 0), *gone),
    ]
    old = pickle.dumps(rows, protocol=5)
    assert decode_routes(b"q:sales", old) == [
        (
            "q:sales",
            [
                (("cx.calls/0", 7, 0), fact),
                (("cx.calls/0", 7, 1), live),
                (("cx.calls/0", 8, 0), gone),
            ],
        )
    ]


def test_marks_round_trip() -> None:
    assert decode_value(f"{PROGRESS}cx.calls/2", encode_value(Mark(2, 41))) == Mark(2, 41)


def test_route_caps_round_trip() -> None:
    caps = HeldCaps(3, ("billing", "sales"), ("blue",))
    assert decode_value(f"{CAPS}cx.agents/3", encode_value(caps)) == caps


def test_values_pickled_before_the_codec_still_read(engine: RecordingEngine) -> None:
    ref, record = next(iter(engine.records.items()))
    old = HeldRecord(1, 9, record)
    assert decode_value(ref, pickle.dumps(old, protocol=5)) == old
    live = HeldLive(1, Waiting("billing", "voice", 5))
    assert decode_value(f"{LIVE}q:billing/contact/C-1", pickle.dumps(live, protocol=5)) == live


def test_a_value_of_no_known_kind_is_refused_when_written() -> None:
    with pytest.raises(TypeError, match="no changelog encoding for tuple"):
        encode_value((1, 2))


def test_a_record_with_or_without_a_base_round_trips(engine: RecordingEngine) -> None:
    """A record holds a base once something was compacted (None before: the start
    state); records written when every one held its start state read too."""
    ref, record = next((r, rec) for r, rec in engine.records.items() if r.startswith("contact/"))
    assert record.base is None
    compacted = record._replace(base=record.state)
    for held in (HeldRecord(2, 7, record), HeldRecord(2, 7, compacted)):
        assert decode_value(ref, encode_value(held)) == held


def test_customer_slices_share_one_read_only_empty_series(engine: RecordingEngine) -> None:
    customers = [(r, s) for r, s in engine.slices.items() if r.startswith(CUSTOMER)]
    assert customers and all(s.series is NO_SERIES for _, s in customers)
    route, slice_ = customers[0]
    assert decode_value(route, encode_value(HeldSlice(0, slice_))).slice.series is NO_SERIES
    health = decode_value(HEALTH, encode_value(HeldSlice(0, engine.slices[HEALTH])))
    assert type(health.slice.series) is dict  # another route's may be summed into
