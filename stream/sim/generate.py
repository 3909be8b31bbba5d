"""Wiring: builds the world, its parts and the fault layer, and runs the clock.

This is the only place that knows every part; each part only knows the ones it hands
work to (contacts → tickets and surveys, workforce → surveys).
"""

from __future__ import annotations

from collections.abc import Iterator

from .builder import Record
from .contacts import ContactCenter
from .curve import SHAPES, DailyCurve
from .faults import FaultCounts, Timed, inject_faults
from .floor import FloorManager
from .settings import SimSettings
from .surveys import Surveys
from .tickets import TicketDesk
from .workforce import Workforce
from .world import World


def _clean(world: World) -> Iterator[Timed]:
    sched, outbox = world.sched, world.outbox
    while sched.step():
        if outbox:
            now = sched.now
            for record in outbox:
                yield now, record
            outbox.clear()


def iter_timed(
    settings: SimSettings, start_ms: int, counts: FaultCounts | None = None
) -> Iterator[Timed]:
    """``(emit_ms, record)`` pairs in the order a producer would send them.

    ``emit_ms`` never decreases; it is the event time except for faults (a late
    straggler's time is in the past, a duplicate or held event is sent later).
    """
    world = World(settings, start_ms)
    curve = DailyCurve(SHAPES[settings.curve], settings.timezone)
    surveys = Surveys(world)
    workforce = Workforce(world, curve, on_shift_end=surveys.esat)
    tickets = TicketDesk(world, curve, workforce, surveys)
    floor = None
    if settings.floor_target is not None:
        floor = FloorManager(world, workforce, settings.floor_target)
    center = ContactCenter(world, curve, workforce, tickets, surveys, floor)
    workforce.start()
    center.start()
    if floor is not None:
        floor.start()
    tickets.start()
    return inject_faults(_clean(world), settings, world.rng("faults"), counts)


def iter_events(
    settings: SimSettings, start_ms: int, counts: FaultCounts | None = None
) -> Iterator[Record]:
    """``(topic, key, value)`` records in event-time order (faults aside).

    ``value`` is a CloudEvent dict, or raw bytes for an invalid message. Same settings
    and start give the same records, byte for byte.
    """
    return (record for _, record in iter_timed(settings, start_ms, counts))
