"""A prometheus_client Collector over the core's evaluated families.

Built from a snapshot on every scrape, like client_python's own process collector:
``collect()`` asks ``evaluate_now()`` for the families and converts them to fresh
metric-family objects. The registry is injected, never assumed, so tests and
``cxkpi replay`` use their own; the live worker registers it on the registry it serves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from ..core.catalog import SPECS
from ..core.evaluate import Family, Histogram, le_text


class KpiCollector(Collector):
    def __init__(self, evaluate_now: Callable[[], Iterable[Family]]) -> None:
        self.evaluate_now = evaluate_now

    def describe(self) -> Iterator[Metric]:
        for spec in SPECS:
            yield _empty(spec.name, spec.kind, spec.help, spec.labels)

    def collect(self) -> Iterator[Metric]:
        for family in self.evaluate_now():
            yield to_metric(family)


def to_metric(family: Family) -> Metric:
    """One core family → one prometheus_client metric family."""
    metric = _empty(family.name, family.kind, family.help, family.labels)
    if family.kind == "histogram":
        for labels, value in family.samples:
            assert isinstance(value, Histogram)
            buckets = [(le_text(edge), count) for edge, count in value.buckets]
            metric.add_metric(list(labels), buckets, value.sum)
    else:
        for labels, value in family.samples:
            metric.add_metric(list(labels), value)
    return metric


def _empty(name: str, kind: str, help_text: str, labels: tuple[str, ...]) -> Metric:
    if kind == "counter":
        return CounterMetricFamily(name.removesuffix("_total"), help_text, labels=labels)
    if kind == "histogram":
        return HistogramMetricFamily(name, help_text, labels=labels)
    return GaugeMetricFamily(name, help_text, labels=labels)


def render(families: Iterable[Family]) -> bytes:
    """Prometheus text exposition of families, through a private registry."""
    registry = CollectorRegistry(auto_describe=True)
    snapshot = list(families)
    registry.register(KpiCollector(lambda: snapshot))
    return generate_latest(registry)
