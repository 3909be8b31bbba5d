"""A deterministic contact-centre traffic generator (``cxkpi simulate``).

A discrete-event simulation of queues, agents, calls, chats, tickets and surveys that
yields the CloudEvents of SPEC §3 as ``(topic, key, value)`` records. It reads no clock
and does no I/O: the start time and the seed come in as arguments, so the same
arguments always give the same events, and the shell decides where they go.

Modules, one job each: ``settings`` (knobs), ``curve`` (daily arrival curve, Poisson
times), ``builder`` (CloudEvent envelope), ``scheduler`` (event heap), ``world``
(shared state), ``workforce`` (agents, shifts), ``contacts`` (queues and dispatch),
``conversations`` (call and chat scripts), ``tickets``, ``surveys``, ``faults``,
``generate`` (wiring), ``jsonl`` (serialisation).
"""

from .builder import Record
from .faults import INVALID_KINDS, FaultCounts
from .generate import iter_events, iter_timed
from .jsonl import to_json_line, write_jsonl
from .settings import Behaviour, SimSettings, Surge, busiest_queue

__all__ = [
    "INVALID_KINDS",
    "Behaviour",
    "FaultCounts",
    "Record",
    "SimSettings",
    "Surge",
    "busiest_queue",
    "iter_events",
    "iter_timed",
    "to_json_line",
    "write_jsonl",
]
