"""Builders for CloudEvents lines and a lookup over evaluated KPI families.

Times are given as seconds after ``BASE`` (2024-05-02T10:00:00Z, a Thursday morning,
far from midnight in UTC) or as an RFC 3339 string used verbatim. Every event gets a
fresh id unless one is passed (``_id``), so a duplicate is built by passing the same
``_id`` and ``_source`` again, or simply by repeating the same bytes.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import orjson
import pytest

from stream.core.config import Config, config_from_dict
from stream.core.engine import Engine
from stream.core.evaluate import Family
from stream.core.events import Invalid
from stream.core.replay import replay
from stream.core.timeutil import parse_time

EXAMPLE_DAY = Path(__file__).resolve().parents[1] / "examples" / "day.jsonl"
BASE = "2024-05-02T10:00:00Z"
BASE_MS = parse_time(BASE)
WINDOWS = ("5m", "15m", "1h", "today")

_ids = itertools.count(1)

Time = float | str


def ms(t: Time) -> int:
    """Seconds after BASE (or an RFC 3339 string) → epoch milliseconds."""
    if isinstance(t, str):
        return parse_time(t)
    return BASE_MS + round(t * 1000)


def iso(t: Time) -> str:
    """Seconds after BASE (or an RFC 3339 string) → RFC 3339 UTC text with milliseconds."""
    if isinstance(t, str):
        return t
    moment = datetime.fromtimestamp(ms(t) / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def envelope(type_: str, t: Time, data: dict, *, _id: str | None = None, _source: str = "/test"):
    """The CloudEvents envelope as a dict (for tests that break it on purpose)."""
    return {
        "specversion": "1.0",
        "id": _id or f"e{next(_ids)}",
        "source": _source,
        "type": type_,
        "time": iso(t),
        "datacontenttype": "application/json",
        "data": data,
    }


def event(type_: str, t: Time, *, _id: str | None = None, _source: str = "/test", **data) -> bytes:
    return orjson.dumps(envelope(type_, t, data, _id=_id, _source=_source))


def call(action: str, t: Time, contact_id: str, **data) -> bytes:
    return event(f"call.{action}", t, contact_id=contact_id, **data)


def handled_calls(engine, queue: str, count: int) -> None:
    """``count`` calls queued, answered and wrapped up in ``queue``, 30 s apart from
    BASE_MS: enough for its agents-required search."""
    for i in range(count):
        t, c = 30 * i, f"{queue}-{i}"
        clock = BASE_MS + (t + 200) * 1000
        engine.ingest(call("queued", t, c, queue=queue), clock)
        engine.ingest(call("answered", t + 10, c, agent_id="a"), clock)
        engine.ingest(call("ended", t + 100, c), clock)
        engine.ingest(call("wrapup_ended", t + 120, c), clock)


class RecordingEngine(Engine):
    """An engine that also keeps what its stage 2 is given, one group of routes at a
    time (a batch's outputs, then the FCR outputs derived from them), and the outputs
    its customer routes derived."""

    def __init__(self) -> None:
        super().__init__()
        self.given: list[tuple[dict[str, list], int]] = []
        self.derived: list[tuple[str, object]] = []
        self._depth = 0

    def _fold(self, grouped: dict[str, list], clock_ms: int) -> None:
        self.given.append((grouped, clock_ms))
        if self._depth:
            self.derived += [(route, fact) for route, facts in grouped.items() for fact in facts]
        self._depth += 1
        super()._fold(grouped, clock_ms)
        self._depth -= 1


def recorded_example_day(lines: int, batch: int) -> RecordingEngine:
    """The example day's first ``lines`` lines, decoded, applied in batches of
    ``batch`` as a worker polls them (each judged by the newest event time so far)
    by a ``RecordingEngine``, without housekeeping."""
    engine = RecordingEngine()
    decoded = [engine.decoder.decode(raw) for raw in EXAMPLE_DAY.read_bytes().splitlines()[:lines]]
    events = [event for event in decoded if not isinstance(event, Invalid)]
    clock = 0
    for start in range(0, len(events), batch):
        pairs = []
        for event in events[start : start + batch]:
            clock = max(clock, event.time_ms)
            pairs.append((event, clock))
        engine.apply_batch(pairs)
    return engine


def chat(action: str, t: Time, contact_id: str, **data) -> bytes:
    return event(f"chat.{action}", t, contact_id=contact_id, **data)


def ticket(action: str, t: Time, ticket_id: str, **data) -> bytes:
    return event(f"ticket.{action}", t, ticket_id=ticket_id, **data)


def survey(action: str, t: Time, survey_id: str, **data) -> bytes:
    return event(f"survey.{action}", t, survey_id=survey_id, **data)


def agent(t: Time, agent_id: str, state: str, **data) -> bytes:
    return event("agent.state_changed", t, agent_id=agent_id, state=state, **data)


class Kpis:
    """Evaluated families as a lookup: ``k("cx_x", queue="a", window="5m")`` → value or None."""

    def __init__(self, families: list[Family]) -> None:
        self.families = {f.name: f for f in families}
        self.values: dict[tuple[str, frozenset], object] = {}
        for family in families:
            for labels, value in family.samples:
                key = (family.name, frozenset(zip(family.labels, labels, strict=True)))
                assert key not in self.values, f"sample repeated: {key}"
                self.values[key] = value

    def __call__(self, name: str, **labels: str):
        assert name in self.families, f"no family {name}"
        return self.values.get((name, frozenset(labels.items())))

    def samples(self, name: str) -> dict[frozenset, object]:
        """All samples of a family, keyed by their label set."""
        return {labels: v for (n, labels), v in self.values.items() if n == name}

    def labelled(self, name: str) -> list[dict[str, str]]:
        """The label sets of a family's samples."""
        return [dict(labels) for labels in self.samples(name)]

    def by_window(self, name: str, **labels: str) -> dict[str, object]:
        """{window: value} of a windowed family; windows without a sample are absent."""
        out = {}
        for window in WINDOWS:
            value = self(name, **labels, window=window)
            if value is not None:
                out[window] = value
        return out

    def outcomes(self, window: str, **labels: str) -> dict[str, object]:
        """{outcome: count} of cx_window_contacts for one series and window."""
        names = (
            "offered",
            "answered",
            "abandoned",
            "short_abandoned",
            "answered_within_threshold",
            "transferred",
        )
        return {o: self("cx_window_contacts", **labels, outcome=o, window=window) for o in names}


def cfg(raw: dict | None = None) -> Config:
    return config_from_dict(raw or {})


def kpis(lines: Iterable[bytes], at: Time | None, config: Config | dict | None = None) -> Kpis:
    """Replay lines and evaluate at ``at`` (seconds after BASE, RFC 3339 or None)."""
    if isinstance(config, dict):
        config = config_from_dict(config)
    at_ms = None if at is None else ms(at)
    return Kpis(replay(list(lines), at_ms, config).families())


def missing_tool(message: str) -> NoReturn:
    """A test's tool is missing: skip on a laptop, fail in CI (CI=true), where a missing
    tool must never look like a green run."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)
