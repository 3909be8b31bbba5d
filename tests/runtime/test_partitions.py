"""The facts producer's key partitioner: Kafka's own, remembered with bounded memory."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as kafka_murmur2
from hypothesis import given, settings
from hypothesis import strategies as st

from stream.runtime import transport
from stream.runtime.partitioner import default_partition, murmur2
from stream.runtime.transport import memoized


def test_remembered_partitions_are_the_partitioners_and_the_memory_starts_over(
    monkeypatch,
) -> None:
    monkeypatch.setattr(transport, "KEY_MEMO", 3)
    asked: list[bytes] = []

    def partition_of(key: bytes) -> int:
        asked.append(key)
        return len(key) % 4

    remembered = memoized(partition_of)
    keys = [b"q:billing", b"h:", b"q:billing", b"u:1", b"h:", b"u:22", b"q:billing"]
    answers = [remembered(k) for k in keys]
    # Each key asked once while remembered; u:22 found the memory full, so it started
    # over, and q:billing was asked again.
    assert asked == [b"q:billing", b"h:", b"u:1", b"u:22", b"q:billing"]
    assert answers == [len(k) % 4 for k in keys]


@settings(max_examples=500)
@given(key=st.binary(max_size=80), partitions=st.integers(1, 64))
def test_the_default_partition_is_kafkas(key: bytes, partitions: int) -> None:
    """Java's murmur2 as aiokafka ports it, and the partition its partitioner picks:
    a route's facts must keep going where its slice lives."""
    assert murmur2(key) == kafka_murmur2(key)
    every = list(range(partitions))
    assert default_partition(partitions, key) == DefaultPartitioner()(key, every, every)


def test_murmur2_of_known_keys() -> None:
    """Values from Kafka's own test (UtilsTest.testMurmur2), made unsigned."""
    cases = {
        b"21": -973932308,
        b"foobar": -790332482,
        b"a-little-bit-long-string": -985981536,
        b"a-little-bit-longer-string": -1486304829,
        b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
        b"abc": 479470107,
    }
    for key, signed in cases.items():
        assert murmur2(key) == signed & 0xFFFFFFFF
