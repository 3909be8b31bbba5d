"""TableState writes memory at once and hands the checkpoint one record per changed key."""

from __future__ import annotations

from tables import Table

from stream.runtime.codec import decode_value
from stream.runtime.state import TableState
from stream.runtime.values import LIVE, PROGRESS, Mark


def test_a_key_changed_many_times_is_one_record_with_its_last_value():
    table = TableState(Table())
    key = f"{PROGRESS}cx.calls/3"
    for offset in range(100):
        table.put(key, Mark(3, offset))
    assert table.get(key) == (3, 99)  # memory is current at once
    records = table.take_changes((PROGRESS,))
    assert list(records) == [3]
    [(raw_key, raw)] = records[3]
    assert (raw_key, decode_value(key, raw)) == (key.encode(), Mark(3, 99))
    assert table.take_changes((PROGRESS,)) == {}  # taken: not written twice


def test_deletions_are_tombstones_in_the_partition_named():
    table = TableState(Table())
    table.put(f"{LIVE}q:billing/contact/C-1", Mark(5, 1))
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
    table.put("contact/C-1", Mark(0, 1))
    table.put(f"{PROGRESS}cx.calls/0", Mark(0, 1))
    assert [key for key, _ in table.take_changes(("contact/", "ticket/"))[0]] == [b"contact/C-1"]
    assert [key for key, _ in table.take_changes((PROGRESS,))[0]] == [b"progress/cx.calls/0"]


def test_restored_bytes_are_decoded_on_first_use_and_kept():
    table = Table()
    state = TableState(table)
    state.put(f"{PROGRESS}cx.chats/1", Mark(1, 7))
    [(raw_key, raw)] = state.take_changes((PROGRESS,))[1]
    table.data[raw_key] = raw  # as a changelog restore leaves it
    assert state.get(f"{PROGRESS}cx.chats/1") == Mark(1, 7)
    assert type(table.data[raw_key]) is Mark
