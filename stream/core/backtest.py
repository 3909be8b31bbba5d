"""How accurate is an estimated wait? Replay a recording and score the estimates.

For every contact that enters a queue (queued, or transferred in) the engine is
evaluated at that instant, before the event is applied: what a wallboard or an IVR
announcement would have read then. When the contact is answered, its real wait is
compared with each estimate. Contacts that abandon, are transferred on or never
finish have no real wait to compare with (their wait is censored) and are left out,
as in Ibrahim & Whitt's comparison.

Four estimators run side by side on the same contacts:

- ``ours``: ``cx_estimated_wait_seconds`` (forecast.py, the queue-length estimator);
- ``asa_15m``: the rolling 15-minute average speed of answer;
- ``head_of_line``: how long the contact waiting longest has waited now;
- ``asterisk``: Asterisk's exponential average of hold time, per queue and channel,
  updated at every answer as new = (3 × old + wait) / 4 from 0 (app_queue.c); it has no
  estimate before the queue's first answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from .config import Config
from .engine import Engine
from .events import ContactEvent, Invalid
from .stages import OK

ESTIMATORS = ("ours", "asa_15m", "head_of_line", "asterisk")
_ENTERS = frozenset({"queued", "transferred"})
_LEAVES = frozenset({"abandoned", "ended", "wrapup_ended"})


class Score(NamedTuple):
    """One estimator's errors over the contacts every estimator had a value for."""

    contacts: int
    mean_abs_error_s: float
    p90_abs_error_s: float


class QueueScores(NamedTuple):
    queue: str
    channel: str
    answered: int  # answered contacts with a known entry into the queue
    compared: int  # of which every estimator had an estimate
    scores: dict[str, Score]


def backtest(lines: Iterable[bytes], config: Config | None = None) -> list[QueueScores]:
    """Per (queue, channel), then ``("*", "*")`` for all, each estimator's errors."""
    engine = Engine(config)
    decode = engine.decoder.decode
    waiting: dict[str, tuple[tuple[str, str], int, dict[str, float | None]]] = {}
    holdtime: dict[tuple[str, str], float] = {}
    errors: dict[tuple[str, str], list[dict[str, float | None]]] = {}
    watermark = None
    for raw in lines:
        event = decode(raw)
        if isinstance(event, Invalid):
            engine.count_invalid(event)
            continue
        watermark = event.time_ms if watermark is None else max(watermark, event.time_ms)
        entering = isinstance(event, ContactEvent) and event.action in _ENTERS
        estimates = _estimates(engine, event, holdtime) if entering else None
        outcome = engine.apply(event, watermark)
        if not isinstance(event, ContactEvent) or outcome != OK:
            continue
        ref = event.key
        if estimates is not None:
            waiting[ref] = ((event.queue, event.channel), event.time_ms, estimates)
        elif event.action == "answered" and ref in waiting:
            labels, since, held = waiting.pop(ref)
            wait_s = (event.time_ms - since) / 1000
            errors.setdefault(labels, []).append(
                {
                    name: None if value is None else abs(value - wait_s)
                    for name, value in held.items()
                }
            )
            old = holdtime.get(labels, 0.0)
            holdtime[labels] = (3 * old + wait_s) / 4
        elif event.action in _LEAVES:
            waiting.pop(ref, None)
    everything = [row for rows in errors.values() for row in rows]
    out = [_scores(labels, rows) for labels, rows in sorted(errors.items())]
    out.append(_scores(("*", "*"), everything))
    return out


def _estimates(
    engine: Engine, event: ContactEvent, holdtime: dict[tuple[str, str], float]
) -> dict[str, float | None]:
    """What each estimator said when ``event`` put its contact in a queue."""
    labels = (event.queue, event.channel)
    wanted = {
        "cx_estimated_wait_seconds": ("ours", labels),
        "cx_average_speed_of_answer_seconds": ("asa_15m", (*labels, "15m")),
        "cx_longest_wait_seconds": ("head_of_line", labels),
    }
    found: dict[str, float | None] = dict.fromkeys(ESTIMATORS)
    for family in engine.families(event.time_ms):
        want = wanted.get(family.name)
        if want is None:
            continue
        name, key = want
        for sample_labels, value in family.samples:
            if sample_labels == key:
                found[name] = float(value)  # gauges: always floats
    found["asterisk"] = holdtime.get(labels)
    if found["head_of_line"] is None:
        found["head_of_line"] = 0.0  # nobody waits, nobody ahead: it says 0
    return found


def _scores(labels: tuple[str, str], rows: list[dict[str, float | None]]) -> QueueScores:
    common = [row for row in rows if all(row[name] is not None for name in ESTIMATORS)]
    scores = {}
    for name in ESTIMATORS:
        errs = sorted(row[name] for row in common)  # type: ignore[type-var]
        if errs:
            p90 = errs[min(len(errs) - 1, int(0.9 * len(errs)))]
            scores[name] = Score(len(errs), sum(errs) / len(errs), p90)
    return QueueScores(labels[0], labels[1], len(rows), len(common), scores)
