"""The checkpoint acknowledges whole partitions (``Consumer._ack_offsets``) with the
bookkeeping Faust's per-message ``ack`` keeps, so Faust commits the same offsets."""

from __future__ import annotations

import asyncio
import time
from typing import Any, NamedTuple

from aiokafka import TopicPartition

from stream.runtime.transport import App


class Record(NamedTuple):
    """The fields of aiokafka's ConsumerRecord that Faust's ``_to_message`` reads."""

    topic: str
    partition: int
    offset: int
    timestamp: int = 0
    timestamp_type: int = 0
    headers: tuple = ()
    key: bytes = b"k"
    value: bytes = b"v"
    checksum: None = None
    serialized_key_size: int = 1
    serialized_value_size: int = 1


def consumer(name: str) -> Any:
    app = App(name, broker="cxkpi://127.0.0.1:9")
    # What subscribing does for an acking topic (conductor.py), without a broker.
    app.topics._acking_topics.add("cx.calls")
    return app.consumer


def bookkeeping(made: Any, tps: list[TopicPartition]) -> tuple:
    """What Faust's commit reads, then the offsets it would commit (which it consumes)."""
    return (
        {tp: sorted(made._acked[tp]) for tp in tps},
        {tp: set(made._acked_index[tp]) for tp in tps},
        made._n_acked,
        {tp: made._new_offset(tp) for tp in tps},
    )


def test_bulk_acks_keep_faust_s_bookkeeping() -> None:
    tps = [TopicPartition("cx.calls", 0), TopicPartition("cx.calls", 1)]
    held = {tps[0]: [3, 4, 5, 6, 9, 10], tps[1]: [0, 1, 2, 2]}  # a gap at 7-8; a repeat
    one_by_one, bulk = consumer("acks-one"), consumer("acks-bulk")
    for made in (one_by_one, bulk):
        made._committed_offset[tps[0]] = 4  # 3 was committed before: ignored
    for tp, offsets in held.items():
        for offset in offsets:
            one_by_one.ack(one_by_one._to_message(tp, Record(tp.topic, tp.partition, offset)))
    bulk._ack_offsets(held)
    kept = bookkeeping(bulk, tps)
    assert kept == bookkeeping(one_by_one, tps)
    assert kept[3] == {tps[0]: 7, tps[1]: 3}  # up to the gap; past the repeat


def test_topics_without_acks_are_left_alone() -> None:
    made = consumer("acks-off")
    tp = TopicPartition("elsewhere", 0)
    made._ack_offsets({tp: [1, 2]})
    assert (made._acked.get(tp), made._n_acked) == (None, 0)


class Stopped:
    """A fetcher that never stops on its own."""

    def __init__(self) -> None:
        self._stopped = asyncio.Event()


async def drain(reread_gaps: bool, polls: list[list[int]]) -> tuple[list[int], list, dict]:
    """Run the batch path on polls of cx.calls/0 offsets; what reached the handler, the
    seeks made, and the gaps Faust would count as done."""
    app = App(f"gaps-{reread_gaps}", broker="cxkpi://127.0.0.1:9", consumer_reread_gaps=reread_gaps)
    app.topics._acking_topics.add("cx.calls")
    made, tp, handled, seeks = app.consumer, TopicPartition("cx.calls", 0), [], []

    async def handler(records: list[Any]) -> None:
        handled.extend(record.offset for record in records)

    async def poll(timeout: float) -> list:
        if not polls:
            made._stopped.set()
            return []
        return [(tp, [Record(tp.topic, tp.partition, offset) for offset in polls.pop(0)])]

    async def seek_wait(partitions: dict) -> None:  # as Faust's: the offset read next
        seeks.append(dict(partitions))
        made._read_offset.update(partitions)

    app.batch_handlers["cx.calls"] = handler
    made._poll, made.seek_wait = poll, seek_wait
    made._checkpointed_at = time.monotonic() + 3600  # no checkpoint (no broker to commit to)
    await made._drain_messages(Stopped())
    return handled, seeks, {tp: sorted(iv.begin for iv in made._gap[tp]) for tp in made._gap}


async def test_a_gap_is_read_again_when_the_broker_may_show_records_early() -> None:
    """``consumer_reread_gaps`` (the tests on Tansu): 3 came before 2, so the consumer
    reads again from 2, and every record reaches the handler once, in order, with no
    gap counted as done; again if the broker skips 2 once more."""
    tp = TopicPartition("cx.calls", 0)
    handled, seeks, gaps = await drain(True, [[0, 1, 3, 4], [3, 4], [2, 3, 4]])
    assert handled == [0, 1, 2, 3, 4]
    assert seeks == [{tp: 2}, {tp: 2}] and not any(gaps.values())


async def test_by_default_a_gap_is_skipped_and_counted_done_as_faust_does() -> None:
    tp = TopicPartition("cx.calls", 0)
    handled, seeks, gaps = await drain(False, [[0, 1, 3, 4]])
    assert handled == [0, 1, 3, 4] and not seeks and gaps == {tp: [2]}


class Thread:
    """The consumer thread's seeks, as aiokafka makes them: a committed partition
    goes to its offset, one with none stays where it is unless sought again."""

    def __init__(self, committed: dict) -> None:
        self.committed, self.beginning = committed, []

    async def seek_to_committed(self) -> dict:
        return dict(self.committed)

    async def seek_to_beginning(self, *partitions: TopicPartition) -> None:
        self.beginning.extend(partitions)


async def seek_after_rebalance(reset: str = "earliest") -> tuple[list, dict]:
    app = App(f"seek-{reset}", broker="cxkpi://127.0.0.1:9", consumer_auto_offset_reset=reset)
    app.topics._acking_topics.update(["cx.calls", "cxkpi-facts"])
    made = app.consumer
    committed = {
        TopicPartition("cx.calls", 0): 28,
        TopicPartition("cx.calls", 1): None,  # nothing committed yet
        TopicPartition("cxkpi-facts", 3): None,
        TopicPartition("cxkpi-slices-changelog", 3): None,  # recovery's to place
    }
    made._thread = thread = Thread(committed)
    await made.perform_seek()
    return thread.beginning, dict(made._read_offset)


async def test_a_partition_with_no_commit_is_read_again_from_its_beginning() -> None:
    """What a poll dropped at an assignment fetched is read again: a committed
    partition from its offset (aiokafka), one with no commit from its beginning, where
    the worker's reads start (it lost whole polls at restarts in a worker's first
    seconds). Changelogs are left to Faust's recovery."""
    beginning, read = await seek_after_rebalance()
    assert beginning == [TopicPartition("cx.calls", 1), TopicPartition("cxkpi-facts", 3)]
    assert read[TopicPartition("cx.calls", 0)] == 28
    assert read[TopicPartition("cx.calls", 1)] is None  # read from the start, no filter


async def test_under_another_reset_policy_a_partition_with_no_commit_stays() -> None:
    beginning, _ = await seek_after_rebalance("latest")
    assert beginning == []
