"""TableState writes memory at once and hands the checkpoint one record per changed key."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from tables import Table

from stream.runtime.codec import decode_value, encode_value
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
    table = Table()
    state = TableState(table)
    state.put(f"{LIVE}q:billing/contact/C-1", Mark(5, 1))
    state.take_changes((LIVE,))  # written: the changelog holds it
    state.delete(f"{LIVE}q:billing/contact/C-1", 5)
    state.delete(f"{LIVE}q:billing/contact/C-2", 6)  # never stored here: still a tombstone
    assert state.get(f"{LIVE}q:billing/contact/C-1") is None
    records = state.take_changes((LIVE,))
    assert records == {
        5: [(f"{LIVE}q:billing/contact/C-1".encode(), None)],
        6: [(f"{LIVE}q:billing/contact/C-2".encode(), None)],
    }


def test_a_key_born_and_gone_between_checkpoints_is_not_written():
    state = TableState(Table())
    state.put(f"{LIVE}q:billing/contact/C-1", Mark(5, 1))
    state.put(f"{LIVE}q:billing/contact/C-1", Mark(5, 2))
    state.delete(f"{LIVE}q:billing/contact/C-1", 5)
    assert state.take_changes((LIVE,)) == {}


def test_a_key_gone_put_again_and_gone_is_still_a_tombstone():
    state = TableState(Table())
    key = f"{LIVE}q:billing/contact/C-1"
    state.put(key, Mark(5, 1))
    state.take_changes((LIVE,))
    state.delete(key, 5)  # the tombstone is pending ...
    state.put(key, Mark(5, 2))  # ... so this key is not new to the changelog
    state.delete(key, 5)
    assert state.take_changes((LIVE,)) == {5: [(key.encode(), None)]}


KEYS = st.sampled_from([f"{PROGRESS}cx.calls/{i}" for i in range(4)])
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("put"), KEYS, st.integers(0, 9)),
        st.tuples(st.just("delete"), KEYS, st.just(0)),
        st.tuples(st.just("checkpoint"), st.just(""), st.just(0)),
    ),
    max_size=40,
)


@given(restored=st.sets(KEYS), operations=OPERATIONS)
def test_after_every_checkpoint_the_changelog_says_what_memory_holds(restored, operations):
    """Replaying the changelog (values set, tombstones delete) gives memory's keys and
    values after each checkpoint, whatever the puts and deletes between them."""
    table = Table()
    state = TableState(table)
    changelog: dict[bytes, object] = {}
    for key in restored:  # what a restore leaves: the changelog's values in memory
        raw = encode_value(Mark(2, 0))
        table.data[key.encode()] = changelog[key.encode()] = raw
    for operation, key, offset in [*operations, ("checkpoint", "", 0)]:
        if operation == "put":
            state.put(key, Mark(2, offset))
        elif operation == "delete":
            state.delete(key, 2)
        else:
            for records in state.take_changes((PROGRESS,)).values():
                for raw_key, raw in records:
                    if raw is None:
                        changelog.pop(raw_key, None)
                    else:
                        changelog[raw_key] = raw
            memory = {k: state.get(k.decode()) for k in table.data}
            assert {k: decode_value(k.decode(), v) for k, v in changelog.items()} == memory


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
