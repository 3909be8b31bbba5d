"""The opt-in agents view: per agent, state and time in it, contacts handled today and
average handle time today, for the wallboard's agents panel.

Agent ids are personal data. As metric labels they would reach Prometheus, its
long-term storage and every Grafana user, for as long as the data is kept; a
supervisor's screen behind a password is another thing. So agents are summed only
here, apart from the KPI families (``AGENT`` series are never exported), never
logged, and served only behind the HTTP password (``cxkpi worker --agents-view``
requires ``--web-config-file`` with users).

Presence comes from the agents' live team copies (``stages.split_live``); handled
contacts from ``AGENT_HANDLED`` facts, summed per agent and day. With several workers
the two may sit on different workers (a team's route and an agent's route are
partitioned apart), so each part is a row that may lack one side, and
``merge_agents`` joins the rows of all workers by agent id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .aggregates import AGENT, G, Series
from .gauges import LiveSet
from .live import AgentPresence
from .timeutil import LocalDays


def _agent_of(key: str) -> str:
    """The agent id of a live key: ``agent/ID`` (replay) or ``live/t:TEAM/agent/ID``
    (a worker's table; a team name with "/agent/" in it would confuse this)."""
    return key[len("agent/") :] if key.startswith("agent/") else key.split("/agent/", 1)[1]


def agents_view(
    all_series: Mapping[tuple, Series], live: Iterable[LiveSet], days: LocalDays, at_ms: int
) -> list[dict[str, Any]]:
    """One row per agent known here: presence (team, state, seconds in it) where this
    part has it, and today's handled contacts and handle time where it has those."""
    rows: dict[str, dict[str, Any]] = {}
    for live_set in live:
        for key, descriptor in live_set.entries.items():
            if type(descriptor) is AgentPresence and descriptor.team is not None:
                row = rows.setdefault(_agent_of(key), {})
                row["team"], row["state"] = descriptor.team, descriptor.state
                row["in_state_s"] = max(0, at_ms - descriptor.since) / 1000
    today = days.day_of(at_ms)
    for key, series in all_series.items():
        if key[0] == AGENT:
            bucket = series.days.get(today)
            if bucket and bucket[G.handled]:
                row = rows.setdefault(key[1], {})
                row["handled_today"] = bucket[G.handled]
                row["handle_s_today"] = bucket[G.handle_ms] / 1000
    return [{"agent": agent, **row} for agent, row in sorted(rows.items())]


def merge_agents(parts: Iterable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Several workers' rows as one per agent (presence from one, counts summed), with
    the average handle time today, sorted by team and agent."""
    joined: dict[str, dict[str, Any]] = {}
    for rows in parts:
        for row in rows:
            into = joined.setdefault(row["agent"], {"agent": row["agent"]})
            for field in ("team", "state", "in_state_s"):
                if field in row:
                    into[field] = row[field]
            for field in ("handled_today", "handle_s_today"):
                into[field] = into.get(field, 0) + row.get(field, 0)
    for row in joined.values():
        handled = row["handled_today"]
        row["aht_today_s"] = row["handle_s_today"] / handled if handled else None
    return sorted(joined.values(), key=lambda r: (r.get("team") or "~", r["agent"]))
