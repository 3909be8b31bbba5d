"""The built-in wallboard: a page for a TV in the contact center, updated in place.

Two parts, as a supervisor's screen needs them:

- ``wallboard_data``: the evaluated families (the same as /metrics, so the two never
  disagree) as the JSON of ``/api/wallboard``: one tile per queue and channel, a
  totals strip for the center, and the tickets. Every ratio carries its sample size,
  and below ``min_sample`` it is marked thin, so "CSAT 100 %" from two answers is shown
  as such. Colours follow the configured targets exactly as the alert rules do:
  service level red below its target, abandonment red above its alert ratio, longest
  wait amber past the service-level threshold and red past three times it; a tile in
  breach pulses.
- ``WALLBOARD_PAGE`` (``wallboard.html``): plain HTML, CSS and a little JavaScript,
  with no build step and nothing fetched from the internet. It asks ``api/wallboard``
  every few seconds and updates the tiles in place (no reloads, no flicker); when the
  worker stops answering it says so across the top and greys the numbers instead of
  freezing on old ones. An optional chime on a new breach is off until someone turns
  it on.

Titles and units come from the catalog (``core/catalog.py``, ``KPIS``), like the
Grafana panels'.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.resources import files
from typing import Any

from ..core.agents_view import merge_agents
from ..core.catalog import KPIS
from ..core.evaluate import Family
from ..core.timeutil import format_time

REFRESH_S = 5
#: Longest wait is red past this many service-level thresholds (amber past one).
WAIT_RED_FACTOR = 3
WINDOWS = ("15m", "today")


def _samples(families: dict[str, Family], name: str) -> Iterable[tuple[dict[str, str], float]]:
    family = families.get(name)
    for values, value in family.samples if family else ():
        yield dict(zip(family.labels, values, strict=True)), float(value)  # type: ignore[union-attr, arg-type]


def _ratio(value: float | None, n: float, min_sample: int) -> dict[str, Any]:
    return {"value": value, "n": int(n), "thin": n < min_sample}


def wallboard_data(
    families: Iterable[Family],
    at_ms: int,
    min_sample: int = 10,
    sparklines: dict[tuple[str, str], list[float | None]] | None = None,
    agents: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The JSON of /api/wallboard (see the module docstring); ``sparklines``: each
    queue and channel's service level per minute over the last hour, oldest first;
    ``agents``: the opt-in agents view (``core/agents_view.py``), None when off."""
    by_name = {family.name: family for family in families}
    tiles: dict[tuple[str, str], dict[str, Any]] = {}

    def tile(labels: dict[str, str]) -> dict[str, Any]:
        key = (labels["queue"], labels["channel"])
        found = tiles.get(key)
        if found is None:
            found = tiles[key] = {"queue": key[0], "channel": key[1], "waiting": 0}
        return found

    for name, field in (
        ("cx_contacts_waiting", "waiting"),
        ("cx_longest_wait_seconds", "longest_wait_s"),
        ("cx_estimated_wait_seconds", "estimated_wait_s"),
    ):
        for labels, value in _samples(by_name, name):
            tile(labels)[field] = int(value) if field == "waiting" else value
    counts: dict[tuple[str, str, str], dict[str, float]] = {}
    for labels, value in _samples(by_name, "cx_window_contacts"):
        if labels["window"] in WINDOWS:
            tile(labels)
            key = (labels["queue"], labels["channel"], labels["window"])
            counts.setdefault(key, {})[labels["outcome"]] = value
    ratios = {
        "service_level": "cx_service_level_ratio",
        "abandonment": "cx_abandonment_ratio",
        "speed_of_answer": "cx_average_speed_of_answer_seconds",
    }
    values: dict[tuple[str, str, str, str], float] = {}
    for key, name in ratios.items():
        for labels, value in _samples(by_name, name):
            values[(key, labels["queue"], labels["channel"], labels["window"])] = value
    for (queue, channel, window), c in counts.items():
        t = tiles[(queue, channel)]
        counted = c.get("answered", 0) + c.get("abandoned", 0) - c.get("short_abandoned", 0)
        sizes = {
            "service_level": c.get("sl_eligible", 0),
            "abandonment": counted,
            "speed_of_answer": c.get("answered", 0),
        }
        for key, n in sizes.items():
            value = values.get((key, queue, channel, window))
            t.setdefault(key, {})[window] = _ratio(value, n, min_sample)
        if window == "today":
            t["offered_today"] = int(c.get("offered", 0))
            t["answered_today"] = int(c.get("answered", 0))
    responses = {
        (labels["queue"], labels["channel"]): value
        for labels, value in _samples(by_name, "cx_window_survey_responses")
        if labels["survey"] == "csat" and labels["window"] == "today"
    }
    for labels, value in _samples(by_name, "cx_csat_ratio"):
        if labels["window"] == "today" and (labels["queue"], labels["channel"]) in tiles:
            n = responses.get((labels["queue"], labels["channel"]), 0)
            tile(labels)["csat"] = {"today": _ratio(value, n, min_sample)}
    by_state: dict[str, dict[str, int]] = {}  # queue → agents per state
    for labels, value in _samples(by_name, "cx_agents"):
        by_state.setdefault(labels["queue"], {})[labels["state"]] = int(value)
    targets: dict[str, dict[str, float]] = {}
    for name, field in (
        ("cx_config_service_level_target_ratio", "service_level"),
        ("cx_config_abandonment_alert_ratio", "abandonment"),
        ("cx_config_service_level_threshold_seconds", "threshold_s"),
    ):
        for labels, value in _samples(by_name, name):
            targets.setdefault(labels["queue"], {})[field] = value
    for key, line in (sparklines or {}).items():
        if key in tiles:
            tiles[key]["sparkline"] = line
    for t in tiles.values():
        t["agents"] = by_state.get(t["queue"], {})
        t["targets"] = targets.get(t["queue"], {})
        t["state"], t["reasons"] = _judge(t)
    board = _board(format_time(at_ms), min_sample, list(tiles.values()), _tickets(by_name))
    if agents is not None:
        board["agents"] = agents
    return board


def merge_wallboards(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Several workers' wallboards as one: every worker owns other queues, so their
    tiles are put together (a tile two workers show during a rebalance, once) and the
    totals and tickets are summed again. ``parts[0]`` is this worker's."""
    tiles: dict[tuple[str, str], dict[str, Any]] = {}
    tickets: dict[str, dict[str, int]] = {}
    for part in parts:
        for t in part["tiles"]:
            tiles.setdefault((t["queue"], t["channel"]), t)
        for name, counts in part["tickets"].items():
            into = tickets.setdefault(name, {})
            for key, n in counts.items():
                into[key] = into.get(key, 0) + n
    first = parts[0]
    board = _board(first["at"], first["min_sample"], list(tiles.values()), tickets)
    if "agents" in first:
        board["agents"] = merge_agents(part.get("agents", []) for part in parts)
    return board


def _board(
    at: str, min_sample: int, tiles: list[dict[str, Any]], tickets: dict[str, dict[str, int]]
) -> dict[str, Any]:
    ordered = sorted(
        tiles,
        key=lambda t: (-t["waiting"], -t.get("longest_wait_s", 0), t["queue"], t["channel"]),
    )
    return {
        "at": at,
        "refresh_s": REFRESH_S,
        "min_sample": min_sample,
        "titles": {key: kpi.title for key, kpi in KPIS.items()},
        "totals": _totals(ordered, min_sample),
        "tiles": ordered,
        "tickets": tickets,
    }


def _judge(t: dict[str, Any]) -> tuple[str, list[str]]:
    """ok, warn or breach, and why: the alert rules' comparisons, on thick samples."""
    targets, reasons, state = t["targets"], [], "ok"
    level = _judged(t.get("service_level", {}).get("15m"), targets.get("service_level"))
    if level is not None and level[0] < level[1]:
        reasons.append("service level 15m below target")
    abandon = _judged(t.get("abandonment", {}).get("15m"), targets.get("abandonment"))
    if abandon is not None and abandon[0] > abandon[1]:
        reasons.append("abandonment 15m above its alert level")
    wait, limit = t.get("longest_wait_s", 0), targets.get("threshold_s")
    if limit is not None and wait > WAIT_RED_FACTOR * limit:
        reasons.append(f"longest wait past {WAIT_RED_FACTOR} × the threshold")
    elif limit is not None and wait > limit:
        state = "warn"
    return ("breach" if reasons else state), reasons


def _judged(ratio: dict[str, Any] | None, target: float | None) -> tuple[float, float] | None:
    """(value, target) when both exist and the sample is not thin."""
    if ratio is None or ratio["value"] is None or ratio["thin"] or target is None:
        return None
    return ratio["value"], target


def _totals(tiles: list[dict[str, Any]], min_sample: int) -> dict[str, Any]:
    """The center's strip, from the tiles alone (so a merged board sums the same way)."""
    today = [t["service_level"]["today"] for t in tiles if "today" in t.get("service_level", {})]
    eligible = sum(level["n"] for level in today)
    met = sum(round(level["value"] * level["n"]) for level in today if level["value"] is not None)
    return {
        "waiting": sum(t["waiting"] for t in tiles),
        "longest_wait_s": max((t.get("longest_wait_s", 0) for t in tiles), default=0),
        "offered_today": sum(t.get("offered_today", 0) for t in tiles),
        "answered_today": sum(t.get("answered_today", 0) for t in tiles),
        "service_level_today": _ratio(met / eligible if eligible else None, eligible, min_sample),
        "breaches": sum(t["state"] == "breach" for t in tiles),
    }


def _tickets(by_name: dict[str, Family]) -> dict[str, dict[str, int]]:
    open_by_status: dict[str, int] = {}
    for labels, value in _samples(by_name, "cx_tickets_open"):
        status = labels["status"]
        open_by_status[status] = open_by_status.get(status, 0) + int(value)
    overdue: dict[str, int] = {}
    for labels, value in _samples(by_name, "cx_tickets_first_reply_overdue"):
        overdue[labels["priority"]] = overdue.get(labels["priority"], 0) + int(value)
    return {"open_by_status": open_by_status, "first_reply_overdue_by_priority": overdue}


#: The page itself (``wallboard.html`` next to this module), read once.
WALLBOARD_PAGE = (files(__package__) / "wallboard.html").read_bytes()
