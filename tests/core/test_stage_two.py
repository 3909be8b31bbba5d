"""Stage 2 counts every output once, however often a worker reads it.

Replay folds each output once (``QueueStage.fold``); a worker applies what it reads
(``QueueStage.apply``), and after a crash or a rebalance it reads outputs again from
an earlier offset. Both must end with the same slices and derive the same FCR outputs.
"""

from __future__ import annotations

import pytest
from helpers import RecordingEngine, recorded_example_day
from hypothesis import given, settings
from hypothesis import strategies as st

from stream.core.config import Config
from stream.core.stages import HEALTH, QueueStage, Slice, empty_slice


@pytest.fixture(scope="module")
def replayed() -> RecordingEngine:
    return recorded_example_day(lines=6000, batch=200)


def sums(slice_: Slice) -> tuple:
    """What a slice holds, but its marks (replay keeps none)."""
    series = {key: s.__getstate__() for key, s in slice_.series.items()}
    return series, slice_.history


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), max_size=6))
def test_outputs_read_again_change_nothing(replayed: RecordingEngine, rereads) -> None:
    """Each of replay's groups is one facts message of one source at its own offset; the
    worker reads some of them again, from an earlier one, as after a crash."""
    messages = [  # the pipeline counts have ids and marks in replay too (test_tally.py)
        ({route: facts for route, facts in grouped.items() if route != HEALTH}, clock)
        for grouped, clock in replayed.given
    ]
    # Where the reader goes back from, and to: (after message k, back to message j <= k).
    backs = {}
    for at, back in rereads:
        k = at % len(messages)
        backs[k] = k - back % (k + 1)
    stage = QueueStage(Config())
    slices: dict[str, Slice] = {}
    derived: list = []  # each group's derived outputs: replay's next group, read from there
    position, went_back = 0, set()
    while position < len(messages):
        grouped, clock = messages[position]
        for route, facts in grouped.items():
            items = [(("facts/0", position, i), fact) for i, fact in enumerate(facts)]
            folded = stage.apply(route, slices.get(route) or empty_slice(), items, clock)
            slices[route] = folded.slice
            derived += folded.derived
        if position in backs and position not in went_back:
            went_back.add(position)
            position = backs[position]
        else:
            position += 1
    assert {route: sums(s) for route, s in slices.items() if s.series or s.history.inputs} == {
        route: sums(s)
        for route, s in replayed.slices.items()
        if route != HEALTH and (s.series or s.history.inputs)
    }
    assert sorted(derived, key=repr) == sorted(replayed.derived, key=repr)  # grouped by route
