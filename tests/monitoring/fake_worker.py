"""A stand-in for a cxkpi worker's /metrics: every family of the contract, with values.

It serves the metric contract (SPEC §6 and the extras) with plausible numbers: counters
and histograms grow with time so rates are positive, queue "billing" is in breach of its
service-level and abandonment targets, and one label overflow happened. Tests run a real
Prometheus against it to evaluate every dashboard query and rule; the same test pointed
at a real worker is the end-to-end check of issue 4.
"""

from __future__ import annotations

import itertools
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .contract import COUNTER, EXTRAS, HISTOGRAM, SPEC, WINDOWS

LABEL_VALUES = {
    "queue": ("billing",),
    "channel": ("voice", "chat"),
    "state": ("available", "on_contact", "after_contact_work", "away", "offline"),
    "priority": ("urgent", "high", "normal", "low"),
    "status": ("new", "open", "pending", "on_hold"),
    "team": ("team-01",),
    "survey": ("csat", "nps", "ces", "esat"),
    "outcome": ("answered", "abandoned", "transferred"),
    "window": WINDOWS,
    "topic": ("cx.calls", "cx.chats", "cx.tickets", "cx.surveys", "cx.agents"),
    "type": ("call.queued",),
    "reason": ("schema",),
    "version": ("0.1.0",),
    "partition": ("0",),
}
#: cx_window_contacts per outcome: service level 60 / (80 + 15 − 5) = 67 % < 80 %,
#: abandonment 10 / 90 = 11 % > 5 %.
WINDOW_CONTACTS = {
    "offered": 100,
    "answered": 80,
    "abandoned": 15,
    "short_abandoned": 5,
    "answered_within_threshold": 60,
    "transferred": 3,
    # The service level's parts, as the default mode (abandons_negative) counts them.
    "sl_met": 60,
    "sl_eligible": 90,
}
GAUGES = {
    "cx_config_service_level_target_ratio": 0.8,
    "cx_config_service_level_threshold_seconds": 20,
    "cx_config_abandonment_alert_ratio": 0.05,
    "cx_config_csat_target_ratio": 0.8,
    "cx_worker_ready": 1,
    "cx_kafka_reachable": 1,
    "cx_nps_score": 35,
    "cx_ces_average": 5.5,
    "cx_oldest_waiting_enqueued_timestamp_seconds": 1.7e9,
    "cx_config_first_reply_target_seconds": 3600,
}
SECONDS_BUCKETS = (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200, 1800, 3600)
SCORE_BUCKETS = tuple(range(11))


def _label_sets(family: str, labels: tuple[str, ...]):
    values = dict(LABEL_VALUES)
    if family == "cx_window_contacts":
        values["outcome"] = tuple(WINDOW_CONTACTS)
    for combo in itertools.product(*(values[name] for name in labels)):
        yield dict(zip(labels, combo, strict=True))


def _fmt(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def exposition(elapsed: float) -> str:
    """The text format of every contract family after ``elapsed`` seconds of traffic."""
    lines = []
    for family, (kind, labels) in sorted({**SPEC, **EXTRAS}.items()):
        lines.append(f"# HELP {family} cxkpi contract family (fake).")
        lines.append(f"# TYPE {family} {kind}")
        for labelset in _label_sets(family, labels):
            if kind == COUNTER:
                lines.append(f"{family}{_fmt(labelset)} {1 + elapsed:.3f}")
            elif kind == HISTOGRAM:
                lines.extend(_histogram(family, labelset, elapsed))
            else:
                lines.append(f"{family}{_fmt(labelset)} {_gauge(family, labelset)}")
    return "\n".join(lines) + "\n"


def _gauge(family: str, labels: dict[str, str]) -> float:
    if family == "cx_window_contacts":
        return WINDOW_CONTACTS[labels["outcome"]]
    if family in GAUGES:
        return GAUGES[family]
    if family.endswith("_ratio"):
        return 0.7
    if family.endswith("_seconds"):
        return 30
    return 10


def _histogram(family: str, labels: dict[str, str], elapsed: float):
    buckets = SCORE_BUCKETS if family == "cx_survey_score" else SECONDS_BUCKETS
    total = 10 * (1 + elapsed)
    for i, edge in enumerate(buckets):
        count = total * (i + 1) / (len(buckets) + 1)
        yield f"{family}_bucket{_fmt({**labels, 'le': str(edge)})} {count:.3f}"  # as le_text
    yield f"{family}_bucket{_fmt({**labels, 'le': '+Inf'})} {total:.3f}"
    yield f"{family}_count{_fmt(labels)} {total:.3f}"
    yield f"{family}_sum{_fmt(labels)} {total * 30:.3f}"


class FakeWorker:
    """Serves /metrics on 127.0.0.1 from a background thread (a context manager)."""

    def __init__(self) -> None:
        started = time.monotonic()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = exposition(time.monotonic() - started).encode()
                self.send_response(200 if self.path == "/metrics" else 404)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeWorker:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
