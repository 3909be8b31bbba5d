"""The checkpoint acknowledges whole partitions (``Consumer._ack_offsets``) with the
bookkeeping Faust's per-message ``ack`` keeps, so Faust commits the same offsets."""

from __future__ import annotations

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
