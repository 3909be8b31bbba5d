"""Faults come at roughly the configured shares and look like what they claim to be."""

from __future__ import annotations

from collections import Counter

from sim_fixtures import FAULT_SHARES

from stream.core.decode import Decoder
from stream.core.events import INVALID_REASONS, Invalid
from stream.core.timeutil import HOUR_MS, parse_time
from stream.sim import INVALID_KINDS, FaultCounts, Record
from stream.sim.faults import LATE_SUFFIX

Day = tuple[list[tuple[int, Record]], FaultCounts]


def genuine(day: Day) -> int:
    """Events of the clean stream underneath: valid, not a duplicate, not a straggler."""
    timed, counts = day
    valid = sum(isinstance(r.value, dict) for _, r in timed)
    return valid - counts.duplicates - counts.late


def assert_share(seen: int, base: int, share: float) -> None:
    # Binomial noise on ~30 000 trials at a few percent is well under 20 %.
    assert 0.8 * share * base < seen < 1.2 * share * base, (seen, base, share)


def test_duplicates_resend_an_earlier_event(faulty_day: Day) -> None:
    timed, counts = faulty_day
    seen: Counter[tuple[str, str]] = Counter()
    for _, record in timed:
        if isinstance(record.value, dict):
            seen[record.value["source"], record.value["id"]] += 1
    repeats = sum(n - 1 for n in seen.values())
    assert repeats == counts.duplicates
    assert_share(repeats, genuine(faulty_day), FAULT_SHARES["duplicates"])


def test_late_events_are_days_old_and_never_join_a_live_entity(faulty_day: Day) -> None:
    timed, counts = faulty_day
    late = [
        (emit, r) for emit, r in timed if isinstance(r.value, dict) and r.key.endswith(LATE_SUFFIX)
    ]
    assert len(late) == counts.late
    assert_share(len(late), genuine(faulty_day), FAULT_SHARES["late"])
    for emit, record in late:
        assert emit - parse_time(record.value["time"]) >= 26 * HOUR_MS
        assert not record.value["type"].startswith("agent.")


def test_out_of_order_puts_a_later_event_of_the_entity_first(faulty_day: Day) -> None:
    timed, counts = faulty_day
    last: dict[str, int] = {}
    sent: set[tuple[str, str]] = set()
    backwards = 0
    for _, record in timed:
        if not isinstance(record.value, dict) or record.key.endswith(LATE_SUFFIX):
            continue
        event_id = (record.value["source"], record.value["id"])
        if event_id in sent:
            continue  # a duplicate: it may well come after later events
        sent.add(event_id)
        t = parse_time(record.value["time"])
        backwards += t < last.get(record.key, t)
        last[record.key] = max(t, last.get(record.key, t))
    # A swap of two events with the same time is not visible as going backwards.
    assert 0.8 * counts.out_of_order < backwards <= counts.out_of_order
    # Held events whose entity stays silent for five minutes are only delayed.
    assert 0.4 * FAULT_SHARES["out_of_order"] * genuine(faulty_day) < backwards
    assert backwards <= 1.2 * FAULT_SHARES["out_of_order"] * genuine(faulty_day)


def test_answered_can_overtake_queued(faulty_day: Day) -> None:
    timed, _ = faulty_day
    first_action: dict[str, str] = {}
    for _, record in timed:
        if isinstance(record.value, dict) and record.value["type"].split(".")[0] in (
            "call",
            "chat",
        ):
            first_action.setdefault(record.key, record.value["type"].split(".")[1])
    assert Counter(first_action.values())["queued"] < len(first_action)


def test_invalid_messages_fail_decoding_for_the_reason_they_claim(faulty_day: Day) -> None:
    timed, counts = faulty_day
    decoder = Decoder()
    reasons: Counter[str] = Counter()
    for _, record in timed:
        if isinstance(record.value, bytes):
            assert b"\n" not in record.value
            result = decoder.decode(record.value, record.topic)
            assert isinstance(result, Invalid)
            reasons[result.reason] += 1
    assert set(INVALID_KINDS) <= set(INVALID_REASONS)
    assert reasons == counts.invalid
    assert set(reasons) == set(INVALID_KINDS)
    assert_share(sum(reasons.values()), genuine(faulty_day), FAULT_SHARES["invalid"])


def test_emission_order_never_goes_back(faulty_day: Day) -> None:
    emits = [emit for emit, _ in faulty_day[0]]
    assert emits == sorted(emits)
