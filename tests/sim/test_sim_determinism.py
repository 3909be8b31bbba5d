"""Same settings and start → the same bytes; another seed or start → other traffic."""

from __future__ import annotations

import io
from dataclasses import replace

from sim_fixtures import DAY_START_MS

from stream.sim import SimSettings, iter_events, write_jsonl

SIX_HOURS = SimSettings(duration_s=6 * 3600, seed=5, invalid=0.01, duplicates=0.01, late=0.01)


def jsonl(settings: SimSettings, start_ms: int) -> bytes:
    out = io.BytesIO()
    write_jsonl(iter_events(settings, start_ms), out)
    return out.getvalue()


def test_same_seed_gives_identical_output() -> None:
    start = DAY_START_MS + 6 * 3_600_000
    first = jsonl(SIX_HOURS, start)
    assert first == jsonl(SIX_HOURS, start)
    assert first.count(b"\n") > 3000


def test_another_seed_or_start_gives_other_events_and_ids() -> None:
    start = DAY_START_MS + 6 * 3_600_000
    base = jsonl(SIX_HOURS, start)
    assert base != jsonl(replace(SIX_HOURS, seed=6), start)
    shifted = jsonl(SIX_HOURS, start + 1000)
    assert base != shifted
    assert b'"id":"' in base
    ids = {line.split(b'"id":"')[1][:36] for line in base.splitlines() if b'"id":"' in line}
    other = {line.split(b'"id":"')[1][:36] for line in shifted.splitlines() if b'"id":"' in line}
    assert not ids & other


def test_runs_can_be_consumed_lazily_and_without_end() -> None:
    endless = iter_events(SimSettings(duration_s=0, seed=1), DAY_START_MS)
    records = [next(endless) for _ in range(5000)]
    assert len(records) == 5000
