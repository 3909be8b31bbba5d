"""The RocksDB copy of a changelog: checkpoints write it, a restart loads it back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import faust
from faust.types import TP

from stream.runtime.checkpoint import checkpoint
from stream.runtime.state import TableState
from stream.runtime.values import LIVE, PROGRESS, Mark


def rocksdb_table(data_dir: Path) -> faust.Table:
    """A Faust table on the RocksDB store (rocksdict) in ``data_dir``, as a worker's."""
    app = faust.App("durable-test", store="rocksdb://", datadir=str(data_dir))
    return app.Table("entities", partitions=4, default=None, key_type=bytes, value_type=bytes)


class Metadata:
    def __init__(self, offset: int) -> None:
        self.offset = offset


class Producer:
    """The changelog's broker: numbers the records of each partition from 0 and
    acknowledges each record batch (here: two records) with its first offset."""

    def __init__(self) -> None:
        self.ends: dict[int, int] = {}

    async def send_records(self, topic: str, partition: int, records: list) -> list:
        futures = []
        for start in range(0, len(records), 2):
            done = asyncio.get_running_loop().create_future()
            done.set_result(Metadata(self.ends.get(partition, 0)))
            self.ends[partition] = self.ends.get(partition, 0) + len(records[start : start + 2])
            futures.append(done)
        return futures


def test_the_memory_store_has_no_copy():
    from tables import Table

    assert TableState(Table()).mirror is None


async def test_a_checkpoint_copies_what_the_broker_took_and_a_restart_loads_it(tmp_path):
    state = TableState(rocksdb_table(tmp_path))
    assert state.mirror is not None
    for offset in range(3):
        state.put(f"{PROGRESS}cx.calls/{offset}", Mark(1, offset))
    state.put(f"{PROGRESS}cx.chats/0", Mark(2, 7))
    producer = Producer()
    await checkpoint(producer, [[(state, (PROGRESS,))]])
    state.delete(f"{PROGRESS}cx.calls/1", 1)  # a tombstone at the next checkpoint
    await checkpoint(producer, [[(state, (PROGRESS,))]])

    store = state.table.data
    changelog = state.changelog
    # The first offset of the last batch acknowledged: never past what was written.
    assert store.persisted_offset(TP(changelog, 1)) == 3
    assert store.persisted_offset(TP(changelog, 2)) == 0
    assert store.persisted_offset(TP(changelog, 0)) is None

    restarted = TableState(state.table)  # memory empty, the files as Faust recovered them
    restarted.reload({1, 2})
    assert restarted.get(f"{PROGRESS}cx.calls/0") == Mark(1, 0)
    assert restarted.get(f"{PROGRESS}cx.calls/1") is None
    assert restarted.get(f"{PROGRESS}cx.calls/2") == Mark(1, 2)
    assert restarted.get(f"{PROGRESS}cx.chats/0") == Mark(2, 7)
    restarted.reload({1})  # after a rebalance: only what this worker still owns
    assert restarted.get(f"{PROGRESS}cx.chats/0") is None
    assert sorted(restarted.keys()) == [b"progress/cx.calls/0", b"progress/cx.calls/2"]


async def test_a_reload_keeps_the_changes_not_checkpointed_yet(tmp_path):
    state = TableState(rocksdb_table(tmp_path))
    state.put(f"{PROGRESS}cx.calls/0", Mark(1, 0))
    state.put(f"{PROGRESS}cx.calls/1", Mark(1, 1))
    await checkpoint(Producer(), [[(state, (PROGRESS,))]])
    state.put(f"{PROGRESS}cx.calls/0", Mark(1, 5))  # newer than the files
    state.delete(f"{PROGRESS}cx.calls/1", 1)
    state.put(f"{LIVE}q:billing/contact/C-1", Mark(1, 9))
    state.reload({1})
    assert state.get(f"{PROGRESS}cx.calls/0") == Mark(1, 5)
    assert state.get(f"{PROGRESS}cx.calls/1") is None
    assert state.get(f"{LIVE}q:billing/contact/C-1") == Mark(1, 9)
    await checkpoint(Producer(), [[(state, (PROGRESS, LIVE))]])
    held = sorted(key.decode() for key, _ in state.mirror.load({1}))
    assert held == [f"{LIVE}q:billing/contact/C-1", f"{PROGRESS}cx.calls/0"]
