"""The catalog is consistent: every KPI names a family and labels that exist, every part
sums outcomes the evaluator exports, every recording rule aggregates by labels its
family has."""

from __future__ import annotations

import pytest
from helpers import call, ms

from stream.core.catalog import BY_NAME, KPIS, PARTS, SPECS
from stream.core.replay import replay


def exported_outcomes() -> set[str]:
    families = {
        f.name: f for f in replay([call("queued", 0, "c1", queue="sales")], at_ms=ms(60)).families()
    }
    contacts = families["cx_window_contacts"]
    at = contacts.labels.index("outcome")
    return {labels[at] for labels, _ in contacts.samples}


@pytest.mark.parametrize("key", KPIS)
def test_kpi_names_a_family_and_its_labels(key):
    kpi = KPIS[key]
    spec = BY_NAME[kpi.family]
    assert kpi.unit in {"ratio", "seconds", "count"}
    assert {name for name, _ in kpi.select} <= set(spec.labels)
    assert (kpi.numerator is None) == (kpi.denominator is None) == (not kpi.record)


def test_parts_sum_outcomes_the_worker_exports():
    outcomes = exported_outcomes()
    assert {"sl_met", "sl_eligible", "answered", "abandoned"} <= outcomes
    for part in PARTS:
        assert set(part.plus) | set(part.minus) <= outcomes, part.name
        if part.weight:
            weight = BY_NAME[part.weight]
            assert weight.kind == "gauge" and weight.labels == ("queue", "channel", "window")
            assert len(part.plus) == 1 and not part.minus, part.name


def test_every_rebuilt_kpi_divides_recorded_parts():
    recorded = {part.name for part in PARTS}
    for kpi in KPIS.values():
        if kpi.numerator and kpi.denominator:
            assert {kpi.numerator.name, kpi.denominator.name} <= recorded


@pytest.mark.parametrize("spec", [s for s in SPECS if s.rules], ids=lambda s: s.name)
def test_rules_aggregate_by_labels_the_family_has(spec):
    for rule in spec.rules:
        assert set(rule.level) <= set(spec.labels)
        assert rule.operation in {"sum", "max", "rate5m"}
        assert (rule.operation == "rate5m") == (spec.kind == "counter")
