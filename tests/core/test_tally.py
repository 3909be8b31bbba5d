"""Pipeline-health tallies: every message counted once, however its source is re-read.

Stage 1 sends one tally per batch and source (``stages.Tally``), naming each message's
offset, and the health route counts only offsets past its mark. After a crash a
source is read again from its last checkpoint and cut into other batches, and a facts
message may itself be read twice; a worker of the version before tallies sent one
count per message. Whatever the mix, the counters must equal one count per message.
"""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from stream.core.config import Config
from stream.core.events import CALLS, CHATS
from stream.core.facts import PIPELINE, Fact
from stream.core.health import Health
from stream.core.stages import (
    DUPLICATE,
    FUTURE,
    HEALTH,
    INVALID,
    LATE,
    OK,
    QueueStage,
    Slice,
    Tally,
    empty_slice,
)

SOURCE = "cx.calls/0"
OUTCOMES = (OK, DUPLICATE, LATE, FUTURE, INVALID)

#: One message: (type or reason, outcome, event time). Invalid ones have no time.
messages = st.lists(
    st.tuples(
        st.sampled_from(("call.queued", "chat.answered")),
        st.sampled_from(OUTCOMES),
        st.integers(0, 10**6),
    ),
    max_size=60,
)


def tally(numbered: list[tuple[int, tuple[str, str, int]]]) -> Tally:
    """Stage 1's tally of some (offset, message) pairs."""
    counts = Tally()
    for offset, (what, outcome, t) in numbered:
        if outcome == INVALID:
            counts.invalid(offset, CALLS, "not_json")
        else:
            counts.event(offset, SimpleNamespace(type=what, time_ms=t), outcome)
    return counts


def labels_of(message: tuple[str, str, int]) -> tuple[str, str, str]:
    what, outcome, _ = message
    topic = CALLS if outcome == INVALID or what.startswith("call") else CHATS
    return topic, "not_json" if outcome == INVALID else what, outcome


def once(numbered: list[tuple[int, tuple[str, str, int]]]) -> Health:
    """The counters of each message counted once."""
    health = Health()
    for _, message in numbered:
        topic, _, outcome = labels = labels_of(message)
        health.tally([labels], {} if outcome in (FUTURE, INVALID) else {topic: message[2]})
    return health


def state(health: Health | None) -> tuple:
    health = health or Health()
    return (
        health.events,
        health.invalid,
        health.duplicate,
        health.late,
        health.future,
        health.unmatched,
        health.newest_ms,
    )


def fold(slice_: Slice, items: list) -> Slice:
    return QueueStage(Config()).apply(HEALTH, slice_, items, 0).slice


def output(counts: Tally) -> list:
    counted = counts.output(SOURCE)
    if counted is None:
        return []
    route, ident, fact = counted
    assert route == HEALTH
    return [(ident, fact)]


def legacy(offset: int, message: tuple[str, str, int]) -> list:
    """A count as a worker before tallies sent it: the message's last output."""
    time_ms = 0 if message[1] == INVALID else message[2]
    return [((SOURCE, offset, 3), Fact(PIPELINE, labels_of(message), time_ms))]


def test_a_tally_counts_every_message_of_its_batch() -> None:
    numbered = list(enumerate([("call.queued", OK, 5), ("chat.answered", LATE, 9)], 10))
    held = fold(empty_slice(), output(tally(numbered)))
    assert state(held.health) == state(once(numbered))
    assert held.health.newest_ms == {CALLS: 5, CHATS: 9}


def test_a_batch_cut_otherwise_when_read_again_counts_only_what_is_new() -> None:
    numbered = [(offset, ("call.queued", OK, offset)) for offset in range(1, 9)]
    held = fold(empty_slice(), output(tally(numbered[:5])))  # offsets 1..5
    again = fold(held, output(tally(numbered[2:])))  # re-read from 3: 3..8
    assert state(again.health) == state(once(numbered))
    assert again.seen[SOURCE] == (8, 1 << 62)


def test_a_tally_read_twice_changes_nothing() -> None:
    numbered = [(offset, ("call.queued", DUPLICATE, 7)) for offset in range(3)]
    items = output(tally(numbered))
    held = fold(empty_slice(), items)
    assert fold(held, items) is held


def test_counts_of_a_worker_before_tallies_and_tallies_after_count_each_message_once() -> None:
    numbered = [(offset, ("chat.answered", OK, 100 + offset)) for offset in range(1, 9)]
    held = fold(empty_slice(), [item for n in numbered[:4] for item in legacy(*n)])  # 1..4
    held = fold(held, output(tally(numbered[1:6])))  # upgraded, re-read from 2: 2..6
    held = fold(held, [item for n in numbered[4:] for item in legacy(*n)])  # an old one: 5..8
    assert state(held.health) == state(once(numbered))


@given(messages, st.data())
def test_any_cutting_and_rereading_counts_each_message_once(listed, data) -> None:
    numbered = list(enumerate(listed))
    held, start = empty_slice(), 0
    delivered: list[list] = []
    while start < len(numbered):
        end = data.draw(st.integers(start + 1, len(numbered)), label="batch end")
        items = output(tally(numbered[start:end]))
        delivered.append(items)
        held = fold(held, items)
        if data.draw(st.booleans(), label="crash"):  # re-read from an earlier batch start
            start = data.draw(st.integers(0, start), label="checkpoint")
        else:
            start = end
        if delivered and data.draw(st.booleans(), label="a facts message again"):
            held = fold(held, data.draw(st.sampled_from(delivered)))
    assert state(held.health) == state(once(numbered))
