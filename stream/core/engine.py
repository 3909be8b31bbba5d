"""The ingest pipeline: bytes → event → lifecycle → facts → aggregates.

``Engine`` is the whole core wired together in one process: what ``cxkpi replay`` runs,
and what each worker partition runs behind Faust. It reads no clock: every ingest
takes the clock it should judge lateness by (the wall clock live; the replayed
stream's own progress offline), and ``evaluate`` takes the evaluation time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from .agents import AgentLifecycle
from .aggregates import Aggregates, Retention
from .config import Config
from .contacts import ContactLifecycle
from .customers import EMPTY, History
from .customers import prune as prune_history
from .customers import update as update_history
from .decode import Decoder
from .entity import Lifecycle, Record, apply, compact
from .events import (
    TOPIC_OF_TYPE,
    AgentEvent,
    ContactEvent,
    Event,
    Invalid,
    SurveyEvent,
    TicketEvent,
)
from .facts import CUSTOMER_QUEUED, CUSTOMER_WRAPPED, Fact
from .health import Health
from .surveys import SurveyLifecycle
from .tickets import TicketLifecycle
from .timeutil import DAY_MS, FUTURE_TOLERANCE_MS, HOUR_MS, MINUTE_MS, horizon_minute

_CUSTOMER_KINDS = frozenset({CUSTOMER_QUEUED, CUSTOMER_WRAPPED})

# What ingest did with one event (returned for tests, logs and the CLI).
OK, DUPLICATE, LATE, FUTURE, UNMATCHED, INVALID = (
    "ok",
    "duplicate",
    "late",
    "future",
    "unmatched",
    "invalid",
)


class Family(NamedTuple):
    """One lifecycle family: its state machine and its records by entity key."""

    lifecycle: Lifecycle
    records: dict[str, Record]


class Engine:
    def __init__(self, config: Config | None = None) -> None:
        self.config = config = config or Config()
        limits = config.limits
        stale_ms = round(limits.contact_max_age_hours * HOUR_MS)
        retention_ms = round(limits.ticket_retention_days * DAY_MS)
        self.decoder = Decoder(limits)
        self.families: dict[type, Family] = {
            ContactEvent: Family(ContactLifecycle(stale_ms), {}),
            TicketEvent: Family(TicketLifecycle(retention_ms), {}),
            SurveyEvent: Family(SurveyLifecycle(retention_ms), {}),
            AgentEvent: Family(AgentLifecycle(stale_ms), {}),
        }
        self.customers: dict[str, History] = {}
        self.aggregates = Aggregates(config)
        #: Live descriptors by (family name, entity key): who waits, which tickets are open...
        self.live: dict[tuple[str, str], tuple] = {}
        self.health = Health()
        self._keep: tuple[int, Retention, int] = (-1, Retention(0, 0), 0)

    # -- ingest --------------------------------------------------------------------

    def ingest(self, raw: bytes, clock_ms: int, topic: str | None = None) -> Event | Invalid:
        """Decode, validate and apply one message. Invalid messages are counted."""
        decoded = self.decoder.decode(raw, topic)
        if isinstance(decoded, Invalid):
            self.health.invalid[(decoded.topic or topic or "unknown", decoded.reason)] += 1
            return decoded
        self.apply(decoded, clock_ms)
        return decoded

    def apply(self, event: Event, clock_ms: int) -> str:
        """Apply one decoded event as of ``clock_ms``; returns what happened to it."""
        health = self.health
        topic = TOPIC_OF_TYPE[event.type]
        health.events[(topic, event.type)] += 1
        t = event.time_ms
        if t > clock_ms + FUTURE_TOLERANCE_MS:
            health.future[topic] += 1
            return FUTURE
        if t > health.newest_ms.get(topic, -1):
            health.newest_ms[topic] = t
        keep, horizon = self._retention(clock_ms)
        if t < horizon:
            health.late[topic] += 1
            return LATE
        family = self.families[type(event)]
        lifecycle, records = family
        key = event.key
        record = records.get(key)
        applied = apply(lifecycle, record, event, key)
        if applied.duplicate:
            health.duplicate[topic] += 1
            return DUPLICATE
        records[key] = applied.record
        before = lifecycle.live(record.state) if record is not None else None
        after = lifecycle.live(applied.record.state)
        if before != after:
            self._set_live((lifecycle.__class__.__name__, key), after)
        self.add_facts(applied.facts, keep)
        if applied.refused:
            health.unmatched[(topic, event.type)] += 1
            return UNMATCHED
        return OK

    def add_facts(self, facts: Iterable[Fact], keep: Retention) -> None:
        """Route facts: customer-history inputs first become FCR facts."""
        aggregates = self.aggregates
        for fact in facts:
            if fact.kind in _CUSTOMER_KINDS:
                customer = fact.labels[0]
                history, derived = update_history(self.customers.get(customer, EMPTY), [fact])
                self.customers[customer] = history
                for output in derived:
                    aggregates.add(output, keep)
            else:
                aggregates.add(fact, keep)

    def _set_live(self, key: tuple[str, str], descriptor: tuple | None) -> None:
        if descriptor is None:
            self.live.pop(key, None)
        else:
            self.live[key] = descriptor

    def _retention(self, clock_ms: int) -> tuple[Retention, int]:
        """Retention and the late horizon (ms) for a clock, cached per clock minute."""
        minute = clock_ms // MINUTE_MS
        cached_minute, keep, horizon = self._keep
        if minute != cached_minute:
            horizon = horizon_minute(self.aggregates.days, clock_ms) * MINUTE_MS
            keep = self.aggregates.retention(clock_ms)
            self._keep = (minute, keep, horizon)
        return keep, horizon

    # -- housekeeping --------------------------------------------------------------

    def prune(self, clock_ms: int) -> None:
        """Drop what can no longer change any window; compact what can't be reordered.

        Safe to call at any time and as often as wanted: it never changes a result.
        """
        _, horizon = self._retention(clock_ms)
        for lifecycle, records in self.families.values():
            name = lifecycle.__class__.__name__
            for key, record in list(records.items()):
                expires = lifecycle.expires_ms(record.state, record.last_ms)
                if expires is not None and expires < horizon:
                    del records[key]
                    self.live.pop((name, key), None)
                elif record.events and record.events[0].time_ms < horizon:
                    records[key] = compact(lifecycle, record, horizon)
        for customer, history in list(self.customers.items()):
            kept = prune_history(history, horizon)
            if kept is None:
                del self.customers[customer]
            else:
                self.customers[customer] = kept
        self.aggregates.prune(clock_ms)
