"""The shared record mechanism: a record holds no start state of its own, and folds
from it when events arrive out of order or are compacted."""

from __future__ import annotations

from stream.core.contacts import ContactLifecycle, ContactState
from stream.core.entity import apply, compact, fold
from stream.core.events import ContactEvent

LIFECYCLE = ContactLifecycle(stale_after_ms=3_600_000)


def contact(action: str, t: int, **fields) -> ContactEvent:
    return ContactEvent(
        f"call.{action}", "/test", f"{action}-{t}", t, "C-1", action, "voice", **fields
    )


QUEUED = contact("queued", 1_000, queue="billing")
ANSWERED = contact("answered", 5_000, agent="a-1")
ENDED = contact("ended", 60_000)


def applied(*events: ContactEvent):
    record = None
    for event in events:
        record = apply(LIFECYCLE, record, event, "C-1").record
    return record


def test_a_record_keeps_no_start_state_and_refolds_from_it() -> None:
    in_order = applied(QUEUED, ANSWERED, ENDED)
    out_of_order = applied(ANSWERED, ENDED, QUEUED)  # queued arrives last
    assert in_order.base is None and out_of_order.base is None
    assert out_of_order.state == in_order.state
    assert out_of_order.events == in_order.events


def test_compacting_folds_the_old_events_from_the_start_state() -> None:
    record = applied(QUEUED, ANSWERED, ENDED)
    kept = compact(LIFECYCLE, record, 10_000, "C-1")  # queued and answered are past
    base, _, _ = fold(LIFECYCLE, ContactState("C-1"), (QUEUED, ANSWERED))
    assert kept.base == base and kept.events == (ENDED,) and kept.state == record.state
    # A refold after compaction starts from that base, not from the start state.
    late_hold = contact("hold_started", 30_000)
    again = apply(LIFECYCLE, kept, late_hold, "C-1").record
    assert again.base == base and again.state == applied(QUEUED, ANSWERED, late_hold, ENDED).state
