"""Traffic for the end-to-end tests: simulated events around *now*, a few hand-made ones,
and a producer thread that publishes each event when it is due.

Event times are relative to the wall clock, so the worker judges nothing late by
accident: the simulation starts ``history_s`` ago (well inside the 1 h late horizon of
SPEC §5) and runs ``live_s`` into the future. The history is fast-forwarded over a few
seconds, then events go out at their emit time (live traffic), so rates, windows and
``increase()`` all see counters move while Prometheus scrapes.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import queue as queue_module
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import replace
from typing import NamedTuple

import orjson

from stream.core.events import TOPIC_OF_TYPE
from stream.core.timeutil import MINUTE_MS, format_time
from stream.runtime.kafka_settings import KafkaSettings
from stream.runtime.producer import EventProducer, ProducerOptions
from stream.sim import Behaviour, FaultCounts, SimSettings, iter_timed, to_json_line


class Message(NamedTuple):
    """One message to publish at ``emit_ms`` (wall clock, epoch milliseconds)."""

    emit_ms: int
    topic: str  # without the topic prefix
    key: bytes | None
    value: bytes


def now_ms() -> int:
    return int(time.time() * 1000)


def midday_timezone() -> str:
    """An ``Etc/GMT`` zone where it is about noon now.

    Shifts follow the simulator's local day: around local midnight only a skeleton night
    crew works, and rare outcomes such as a transfer while waiting may not happen at
    all during the run (seen at 00:30 UTC). Noon keeps the traffic the same at any hour.
    """
    offset = 12 - time.gmtime().tm_hour  # hours east of UTC, -11..12
    return "Etc/GMT" + (f"{-offset:+d}" if offset else "")  # Etc/GMT-N is UTC+N


#: Busier than the defaults and with every fault well represented: three queues, both
#: channels, enough agents for a realistic mix of answered and abandoned contacts, many
#: tickets and surveys (answered quickly) so that every family moves within a minute.
SETTINGS = SimSettings(
    queues=3,
    agents=120,
    contacts_per_hour=500.0,
    curve="flat",
    chat_share=0.4,
    tickets_per_contact=1.0,
    duplicates=0.01,
    late=0.005,
    out_of_order=0.005,
    invalid=0.005,
    seed=4,
    timezone=midday_timezone(),
    behaviour=replace(
        Behaviour(),
        survey_share=1.0,
        response_share_voice=0.8,
        response_share_chat=0.8,
        response_share_ticket=0.8,
        transfer_waiting_share=0.1,
        transfer_answered_share=0.1,
    ),
)


def simulated(
    wall_ms: int, history_s: int, live_s: int, catch_up_s: float, counts: FaultCounts | None = None
) -> list[Message]:
    """The simulator's messages from ``history_s`` before ``wall_ms`` to ``live_s`` after,
    the history fast-forwarded so that the feed catches up with real time after
    ``catch_up_s`` seconds.

    Like ``cxkpi simulate --catch-up``: simulated time runs at a constant speed from the
    start of the history until it meets the wall clock, then in real time. So the
    history is not one burst between two scrapes (a series born in a burst shows no
    rate(): Prometheus counts increases from its first sample), and no message is sent
    before its own emit time (nothing from the future).
    """
    settings = replace(SETTINGS, duration_s=history_s + live_s)
    start_ms = wall_ms - history_s * 1000
    speed = history_s / catch_up_s + 1
    out = []
    for emit_ms, record in iter_timed(settings, start_ms, counts):
        send_ms = max(round(wall_ms + (emit_ms - start_ms) / speed), emit_ms)
        key = record.key.encode() if record.key is not None else None
        out.append(Message(send_ms, record.topic, key, to_json_line(record.value).rstrip(b"\n")))
    return out


def event(type_: str, time_ms: int, emit_ms: int | None = None, **data: object) -> Message:
    """A hand-made CloudEvent, published at ``emit_ms`` (default: its event time)."""
    body = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/tests/monitoring",
        "type": type_,
        "time": format_time(time_ms),
        "data": data,
    }
    entity = next(v for k, v in data.items() if k.endswith("_id"))
    return Message(
        time_ms if emit_ms is None else emit_ms,
        TOPIC_OF_TYPE[type_],
        str(entity).encode(),
        orjson.dumps(body),
    )


def extras(now: int) -> list[Message]:
    """What the simulator makes too rarely for a short run, all sent now.

    ESAT answers (agents are asked at shift end, hours apart), an idle agent (busy
    simulated queues may have none at times), one on a break and one logged off, an
    event from 10 minutes in the future (cx_events_future_total), an answer for a contact
    nobody queued (cx_events_unmatched_total), and a ticket of every priority in every
    open status.
    """
    minutes_ago = [now - n * MINUTE_MS for n in range(61)]
    out = []

    def add(type_: str, time_ms: int, **data: object) -> None:
        out.append(event(type_, time_ms, now, **data))

    for n, score in enumerate((5, 4, 2)):
        esat = {"survey_id": f"mon-esat-{n}", "kind": "esat", "team": "aurora"}
        add("survey.sent", minutes_ago[2], **esat)
        add("survey.responded", minutes_ago[1], score=score, **esat)
    agents = (
        ("mon-agent-idle", "available"),
        ("mon-agent-away", "away"),
        ("mon-agent-gone", "offline"),
    )
    for agent, state in agents:
        roster = {"agent_id": agent, "queues": ["billing"], "team": "aurora"}
        add("agent.state_changed", minutes_ago[20], state="available", **roster)
        add("agent.state_changed", minutes_ago[5], state=state, **roster)
    add("call.queued", now + 10 * MINUTE_MS, contact_id="mon-future", queue="billing")
    add("call.answered", minutes_ago[1], contact_id="mon-orphan", agent_id="mon-agent-away")
    statuses = ("new", "open", "pending", "on_hold")
    for priority, status in itertools.product(("urgent", "high", "normal", "low"), statuses):
        ticket = f"mon-ticket-{priority}-{status}"
        add("ticket.created", minutes_ago[50], ticket_id=ticket, queue="billing", priority=priority)
        if status != "new":
            add("ticket.status_changed", minutes_ago[40], ticket_id=ticket, status=status)
    return out


def help_desk(now: int, tickets: int = 40, every_ms: int = 2000) -> list[Message]:
    """Tickets answered and solved live, one every ``every_ms``, from ``now`` on.

    Simulated tickets wait hours for a reply, so a short run sees too few first replies
    and resolutions for the ticket histograms to grow between two scrapes. These were
    opened 30-50 minutes ago (sent now), and each gets an agent reply and is solved
    while Prometheus watches; every fourth is reopened and solved again.
    """
    out = []
    priorities = ("urgent", "high", "normal", "low")
    for n in range(tickets):
        ticket = f"mon-desk-{n}"
        priority = priorities[n % len(priorities)]
        opened = now - (50 - n % 20) * MINUTE_MS
        out.append(
            event(
                "ticket.created",
                opened,
                now,
                ticket_id=ticket,
                queue="tech-support",
                priority=priority,
            )
        )
        at = now + 3000 + n * every_ms
        out.append(event("ticket.commented", at, ticket_id=ticket, author="agent", public=True))
        out.append(event("ticket.status_changed", at + 200, ticket_id=ticket, status="solved"))
        if n % 4 == 0:
            out.append(event("ticket.status_changed", at + 400, ticket_id=ticket, status="open"))
            out.append(event("ticket.status_changed", at + 600, ticket_id=ticket, status="solved"))
    return out


def breach(now: int, queue: str, contacts: int = 12) -> list[Message]:
    """Drive ``queue`` into breach: contacts waiting for 4 minutes now, and contacts
    that abandoned after waiting 100 s — nobody answered. Service level 0 %, abandonment
    100 %, longest wait beyond 9 × the 20 s threshold."""
    out = []
    for n in range(contacts):
        waiting = f"mon-{queue}-wait-{n}"
        out.append(event("call.queued", now - 240_000, now, contact_id=waiting, queue=queue))
        gone = f"mon-{queue}-gone-{n}"
        out.append(event("call.queued", now - 200_000, now, contact_id=gone, queue=queue))
        out.append(event("call.abandoned", now - 100_000, now, contact_id=gone))
    return out


class Feeder:
    """Publishes messages to the broker when they are due, from a background thread.

    ``add()`` may be called at any time (thread-safe); ``stop()`` flushes what was sent
    and ends the thread. ``sent`` counts acknowledged messages' hand-offs.
    """

    def __init__(self, bootstrap: str, topic_prefix: str) -> None:
        self.settings = KafkaSettings(bootstrap=(bootstrap,))
        self.prefix = topic_prefix
        self.inbox: queue_module.Queue[list[Message]] = queue_module.Queue()
        self.sent = 0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feeder", daemon=True)

    def start(self, messages: Iterable[Message] = ()) -> Feeder:
        self.add(messages)
        self._thread.start()
        if not self._started.wait(90) or self.error is not None:
            raise RuntimeError(f"feeder did not start: {self.error!r}")
        return self

    def add(self, messages: Iterable[Message]) -> None:
        self.inbox.put(list(messages))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        if self.error is not None:
            raise RuntimeError(f"feeder failed: {self.error!r}")

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by start() / stop()
            self.error = exc
            self._started.set()

    async def _main(self) -> None:
        heap: list[tuple[int, int, Message]] = []
        order = itertools.count()
        options = ProducerOptions(linger_ms=5, connect_timeout=60)
        async with EventProducer(self.settings, options=options) as producer:
            self._started.set()
            while not self._stop.is_set():
                while not self.inbox.empty():
                    for message in self.inbox.get_nowait():
                        heapq.heappush(heap, (message.emit_ms, next(order), message))
                due = now_ms()
                batch = 0
                while heap and heap[0][0] <= due:
                    message = heapq.heappop(heap)[2]
                    await producer.send(self.prefix + message.topic, message.value, message.key)
                    batch += 1
                if batch:
                    await producer.flush()
                    self.sent += batch
                wait = (heap[0][0] - now_ms()) / 1000 if heap else 0.1
                await asyncio.sleep(min(max(wait, 0.01), 0.1))
