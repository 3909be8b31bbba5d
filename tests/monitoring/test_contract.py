"""The metric contract the monitoring tests rely on, and the PromQL name extractor."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stream.core.catalog import SPECS as CATALOG

from .contract import EXTRAS, PLANNED, RUNTIME_EXTRAS, SPEC
from .tools import ROOT, metric_names, range_windows

SPEC_FILES = (ROOT.parent / "shared" / "SPEC.md", Path("/work/shared/SPEC.md"))


def test_contract_matches_spec_section_6():
    spec = next((p for p in SPEC_FILES if p.exists()), None)
    if spec is None:
        pytest.skip("shared/SPEC.md is not next to the repository")
    text = spec.read_text(encoding="utf-8")
    section = text[text.index("## 6.") :]
    section = section[: section.index("\n## ", 1)]
    assert set(re.findall(r"\bcx_[a-z_]+\b", section)) == set(SPEC) | PLANNED


def test_planned_families_are_not_built_yet():
    """A planned family that is built belongs in SPEC, with its kind and labels."""
    assert not PLANNED & {spec.name for spec in CATALOG}


def test_contract_matches_the_core_catalog():
    """Same names, kinds and labels as the families the core evaluates and exports."""
    catalog = {spec.name: (spec.kind, spec.labels) for spec in CATALOG}
    contract = {**SPEC, **EXTRAS}
    assert {n: contract[n] for n in contract if n not in RUNTIME_EXTRAS} == catalog


def test_extras_do_not_shadow_spec():
    assert not set(SPEC) & set(EXTRAS)


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("up", {"up"}),
        ('sum by (queue) (rate(cx_a_total{x="y"}[5m]))', {"cx_a_total"}),
        ("a / on (queue) group_left () b:c:d offset 1h > 1e-9", {"a", "b:c:d"}),
        ('absent(up{job="cxkpi"} == 1) and max without (le) (x_bucket)', {"up", "x_bucket"}),
        (
            'histogram_quantile(0.9, sum by (le) (rate(h_bucket{q=~"a|b"}[$__rate_interval])))',
            {"h_bucket"},
        ),
        ('{__name__=~"m_one|m_two", queue="sum"}', {"m_one", "m_two"}),
        ('count_values("v", topk(3, m)) unless bool n', {"m", "n"}),
    ],
)
def test_metric_names(expr, names):
    assert metric_names(expr) == names


def test_range_windows():
    expr = 'rate(a[1m]) + irate(b{c="d"}[$__rate_interval]) + increase(e[5m:30s]) + f[1h]'
    assert range_windows(expr) == ["1m", "$__rate_interval", "5m:30s"]
