"""TableState writes memory at once and hands the checkpoint one record per changed key."""

from __future__ import annotations

import pickle

from tables import Table

from stream.runtime.state import LIVE, PROGRESS, TableState


def test_a_key_changed_many_times_is_one_record_with_its_last_value():
    table = TableState(Table())
    for offset in range(100):
        table.put("contact/C-1", (3, offset, "record"))
    assert table.get("contact/C-1") == (3, 99, "record")  # memory is current at once
    records = table.take_changes(("contact/",))
    assert records == {3: [(b"contact/C-1", pickle.dumps((3, 99, "record"), protocol=5))]}
    assert table.take_changes(("contact/",)) == {}  # taken: not written twice


def test_deletions_are_tombstones_in_the_partition_named():
    table = TableState(Table())
    table.put(f"{LIVE}q:billing/contact/C-1", (5, ("waiting",)))
    table.delete(f"{LIVE}q:billing/contact/C-1", 5)
    table.delete(f"{LIVE}q:billing/contact/C-2", 6)  # never stored here: still a tombstone
    assert table.get(f"{LIVE}q:billing/contact/C-1") is None
    records = table.take_changes((LIVE,))
    assert records == {
        5: [(f"{LIVE}q:billing/contact/C-1".encode(), None)],
        6: [(f"{LIVE}q:billing/contact/C-2".encode(), None)],
    }


def test_changes_are_taken_by_prefix_so_marks_can_go_last():
    table = TableState(Table())
    table.put("contact/C-1", (0, 1, "record"))
    table.put(f"{PROGRESS}cx.calls/0", (0, 1))
    assert list(table.take_changes(("contact/", "ticket/"))[0]) == [
        (b"contact/C-1", pickle.dumps((0, 1, "record"), protocol=5))
    ]
    assert [key for key, _ in table.take_changes((PROGRESS,))[0]] == [b"progress/cx.calls/0"]
