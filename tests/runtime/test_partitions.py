"""The facts producer's key partitioner, remembered: the same answers, bounded memory."""

from __future__ import annotations

from stream.runtime import transport
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
