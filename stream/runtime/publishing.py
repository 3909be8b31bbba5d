"""Publishing simulated traffic to Kafka, paced to its event time.

Shared by ``cxkpi simulate --broker`` and the demo supervisor, which runs the simulator
as a task in its own event loop (``runtime/demo.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

from ..core.errors import CxkpiError

if TYPE_CHECKING:
    from ..sim import Record
    from .producer import EventProducer

T = TypeVar("T")


class Pacer:
    """When to send each record: ``speed`` times real time from the first one.

    With ``catch_up`` a record is also held until its emission time has come on the
    wall clock, so a simulation started in the past fast-forwards to the present and
    then runs in real time: a live worker ignores events more than 5 minutes ahead of
    its clock as skew, which plain ``speed > 1`` from now would produce within minutes.
    """

    __slots__ = ("_began", "_clock", "_monotonic", "catch_up", "speed", "start_ms")

    def __init__(
        self,
        start_ms: int,
        speed: float = 1.0,
        *,
        catch_up: bool = False,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if speed <= 0:
            raise CxkpiError("--speed must be greater than 0")
        self.start_ms, self.speed, self.catch_up = start_ms, speed, catch_up
        self._monotonic, self._clock = monotonic, clock
        self._began = monotonic()

    def delay(self, emit_ms: int) -> float:
        """Seconds to wait before sending a record due at ``emit_ms`` (≤ 0: send now)."""
        wait = self._began + (emit_ms - self.start_ms) / 1000 / self.speed - self._monotonic()
        if self.catch_up:
            wait = max(wait, emit_ms / 1000 - self._clock())
        return wait

    def lag(self) -> float:
        """Seconds the paced position trails the wall clock; 0 once it has caught up.

        Independent of how dense the traffic is, unlike the time of the last record.
        """
        position = self.start_ms / 1000 + (self._monotonic() - self._began) * self.speed
        return max(0.0, self._clock() - position)


def paced(
    timed: Iterable[tuple[int, T]],
    start_ms: int,
    speed: float = 1.0,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    *,
    catch_up: bool = False,
    clock: Callable[[], float] = time.time,
) -> Iterator[tuple[int, T]]:
    """Hold each record back until its emission time has come (see ``Pacer``)."""
    pacer = Pacer(start_ms, speed, catch_up=catch_up, monotonic=monotonic, clock=clock)
    for emit_ms, record in timed:
        wait = pacer.delay(emit_ms)
        if wait > 0:
            sleep(wait)
        yield emit_ms, record


#: Records sent between two explicit yields to the event loop when nothing waits: the
#: generator is synchronous, and signals, acknowledgements and (in the demo) the
#: supervisor need the loop now and then even at full speed.
_YIELD_EVERY = 256


async def publish_records(
    timed: Iterable[tuple[int, Record]],
    producer: EventProducer,
    stop: asyncio.Event,
    *,
    topic_prefix: str = "",
    pacer: Pacer | None = None,
    on_sent: Callable[[int], None] | None = None,
) -> int | None:
    """Send records to ``topic_prefix + record.topic`` keyed by ``record.key`` until
    ``timed`` ends or ``stop`` is set; returns the emission time of the last one sent.

    Values are the exact JSON Lines bytes without the newline (invalid ones as they
    are), so Kafka holds what a file would; in binary content mode an event's
    attributes go in ``ce_*`` headers instead. ``on_sent(emit_ms)`` runs after each send
    (progress). Acknowledgements are not awaited here: flush the producer after.
    """
    last: int | None = None
    stats = producer.stats
    for count, (emit_ms, record) in enumerate(timed):
        if pacer is not None:
            wait = pacer.delay(emit_ms)
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
        if count % _YIELD_EVERY == 0:
            await asyncio.sleep(0)
        if stop.is_set():
            break
        value, topic = record.value, topic_prefix + record.topic
        key = record.key.encode("utf-8", "surrogatepass") if record.key is not None else None
        if isinstance(value, bytes):  # a deliberately broken message: sent as it is
            await producer.send(topic, value, key)
            stats.invalid += 1
        else:
            await producer.send_event(topic, value, key)
        last = emit_ms
        if on_sent is not None:
            on_sent(emit_ms)
    return last
