"""The Kafka side of the producing commands (produce, simulate --broker, demo).

Topic creation with the worker's partition count, quiet client logs and progress
lines: the same behaviour for every command that publishes events.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ..runtime.kafka_settings import KafkaSettings
    from ..runtime.producer import Stats


@contextmanager
def kafka_client_logs(verbose: bool) -> Iterator[None]:
    """Silence aiokafka unless ``verbose``: it logs every failed connection attempt,
    while we report the outcome ourselves in one line."""
    kafka_log = logging.getLogger("aiokafka")
    level = kafka_log.level
    if not verbose:
        kafka_log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        kafka_log.setLevel(level)


async def create_source_topics(
    settings: KafkaSettings,
    args: argparse.Namespace,
    extra: tuple[str, ...] = (),
    out: TextIO | None = None,
) -> list[str]:
    """``runtime.producer.create_source_topics`` with the command's topic flags; the
    topics created are said on ``out`` (stderr) unless --quiet."""
    from ..runtime.producer import create_source_topics as create
    from .args import topic_layout

    def say(text: str) -> None:
        print(text, file=out or sys.stderr)

    return await create(
        settings, topic_layout(args), extra, None if getattr(args, "quiet", False) else say
    )


class Progress:
    """Progress lines every N messages or S seconds, whichever comes first (0: never).

    ``detail`` adds a suffix to each line (the simulator shows its event time).
    """

    __slots__ = ("_detail", "_every", "_next", "_out", "_seconds")

    def __init__(
        self,
        every: int,
        seconds: float,
        out: TextIO | None = None,
        detail: Callable[[], str] | None = None,
    ) -> None:
        self._every, self._seconds = every, seconds
        self._out = out or sys.stderr
        self._detail = detail
        self._next = time.monotonic() + seconds

    def tick(self, stats: Stats) -> None:
        """Call after each message; prints when one of the two thresholds is crossed."""
        every, seconds = self._every, self._seconds
        if (every and stats.sent % every == 0) or (seconds and time.monotonic() >= self._next):
            self._next = time.monotonic() + seconds
            suffix = self._detail() if self._detail is not None else ""
            print(
                f"  {stats.sent:,} sent ({stats.invalid:,} invalid), "
                f"{stats.delivered:,} acknowledged, {stats.rate():,.0f}/s{suffix}",
                file=self._out,
                flush=True,
            )
