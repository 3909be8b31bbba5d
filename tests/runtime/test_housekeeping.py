"""Housekeeping walks: a table's keys spread over batches, a walk at most every interval."""

from __future__ import annotations

from stream.runtime.housekeeping import MIN_STEP, STEPS, Walk


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def keys(n: int) -> list[bytes]:
    return [f"k{i}".encode() for i in range(n)]


def test_no_walk_before_the_interval_and_one_step_for_a_small_table():
    clock = Clock()
    walk = Walk(60, clock)
    assert walk.step(lambda: keys(10)) == []
    clock.now = 60
    assert walk.step(lambda: keys(10)) == keys(10)
    assert walk.step(lambda: keys(10)) == []  # the next walk is 60 s after this one began


def test_a_big_table_is_walked_in_about_steps_slices_each_key_once():
    clock = Clock()
    walk = Walk(0, clock)
    table = keys(STEPS * MIN_STEP * 3)
    snapshots = []

    def snapshot() -> list[bytes]:
        snapshots.append(1)
        return table

    seen: list[bytes] = []
    steps = 0
    while True:
        part = walk.step(snapshot)
        steps += 1
        seen += part
        walk.count("visited")
        totals = walk.ended()
        if totals is not None:
            break
    assert seen == table and steps == STEPS and len(snapshots) == 1
    assert totals == {"visited": STEPS}
    assert walk.ended() is None  # reported once


def test_a_walk_keeps_its_snapshot_while_the_table_changes():
    clock = Clock()
    walk = Walk(0, clock)
    table = keys(MIN_STEP * STEPS * 2)
    first = walk.step(lambda: list(table))  # a snapshot, as TableState.keys() gives
    table.clear()  # keys deleted meanwhile are the visitor's to skip
    assert first and walk.step(lambda: list(table))
