"""The demo's terminal view: the busiest queues and the totals of one /metrics scrape.

Pure text in, text out, so that it is tested without a worker; ``cxkpi demo`` prints it
every ``--interval`` seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

#: Gauges of one (queue, channel) row: sample name → (row field, required labels).
ROW_SAMPLES: dict[str, tuple[str, dict[str, str]]] = {
    "cx_contacts_waiting": ("waiting", {}),
    "cx_longest_wait_seconds": ("longest_wait", {}),
    "cx_service_level_ratio": ("service_level", {"window": "15m"}),
    "cx_abandonment_ratio": ("abandonment", {"window": "15m"}),
}
#: Counters summed over every label set for the header line.
TOTAL_SAMPLES = {
    "cx_contacts_offered_total": "offered",
    "cx_contacts_answered_total": "answered",
    "cx_contacts_abandoned_total": "abandoned",
    "cx_events_total": "events",
    "cx_events_invalid_total": "invalid",
}


@dataclass(slots=True)
class QueueRow:
    queue: str
    channel: str
    waiting: float = 0.0
    longest_wait: float = 0.0
    service_level: float | None = None  # None: nothing in the window yet
    abandonment: float | None = None


@dataclass(slots=True)
class Snapshot:
    """What the demo shows of one scrape."""

    rows: list[QueueRow] = field(default_factory=list)  # busiest first
    totals: dict[str, float] = field(default_factory=dict)


def parse_metrics(text: str) -> Snapshot:
    """The busiest-queues table and totals from a Prometheus text exposition."""
    from prometheus_client.parser import text_string_to_metric_families

    rows: dict[tuple[str, str], QueueRow] = {}
    totals = dict.fromkeys(TOTAL_SAMPLES.values(), 0.0)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in TOTAL_SAMPLES:
                totals[TOTAL_SAMPLES[sample.name]] += sample.value
                continue
            wanted = ROW_SAMPLES.get(sample.name)
            if wanted is None:
                continue
            attribute, required = wanted
            labels = sample.labels
            if any(labels.get(k) != v for k, v in required.items()):
                continue
            key = (labels.get("queue", "?"), labels.get("channel", "?"))
            row = rows.get(key)
            if row is None:
                row = rows[key] = QueueRow(*key)
            setattr(row, attribute, sample.value)
    ordered = sorted(rows.values(), key=lambda r: (-r.waiting, -r.longest_wait, r.queue, r.channel))
    return Snapshot(ordered, totals)


def seconds_text(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _percent(ratio: float | None, digits: int = 0) -> str:
    if ratio is None or ratio != ratio:  # absent or NaN (empty window)
        return "-"
    return f"{ratio * 100:.{digits}f}%"


def format_snapshot(
    snapshot: Snapshot, top: int, events_per_s: float | None = None, note: str = ""
) -> str:
    """A compact block: one totals line, then the ``top`` busiest queues."""
    t = snapshot.totals
    rate = f" ({events_per_s:,.0f}/s)" if events_per_s is not None else ""
    lines = [
        f"{time.strftime('%H:%M:%S')}  offered {t.get('offered', 0):,.0f}  "
        f"answered {t.get('answered', 0):,.0f}  abandoned {t.get('abandoned', 0):,.0f}  "
        f"events {t.get('events', 0):,.0f}{rate}  invalid {t.get('invalid', 0):,.0f}"
        + (f"  {note}" if note else "")
    ]
    rows = snapshot.rows[:top]
    if not rows:
        lines.append("  (no queue has reported yet)")
        return "\n".join(lines)
    width = max(12, *(len(r.queue) for r in rows))
    lines.append(
        f"  {'queue':<{width}}  {'channel':<7}  {'waiting':>7}  {'longest':>7}  "
        f"{'SL 15m':>6}  {'aband 15m':>9}"
    )
    for r in rows:
        lines.append(
            f"  {r.queue:<{width}}  {r.channel:<7}  {r.waiting:>7.0f}  "
            f"{seconds_text(r.longest_wait):>7}  {_percent(r.service_level):>6}  "
            f"{_percent(r.abandonment, 1):>9}"
        )
    return "\n".join(lines)
