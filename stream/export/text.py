"""Prometheus text exposition (format 0.0.4) of the core's families, written directly.

Byte for byte what prometheus_client's ``generate_latest`` writes for the same families
through ``KpiCollector`` (tests/export/test_export.py holds the two equal, on replayed
days and on generated label values). Why a writer of our own: a worker renders its
page on the event loop that ingests, and with thousands of samples the library's
per-sample path (a metric-family object per family, a dict and a label-name
validation per sample) cost about as much as evaluating the KPIs. Here the catalog's
label names are sorted once per family, and a sample is one string join.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.utils import floatToGoString

from ..core.evaluate import Family, Histogram, le_text

__all__ = ["render_text"]


def render_text(families: Iterable[Family]) -> bytes:
    out: list[str] = []
    write = out.append
    for family in families:
        kind = family.kind
        if kind == "counter":
            name = family.name.removesuffix("_total") + "_total"
        else:
            name = family.name
            kind = kind if kind == "histogram" else "gauge"
        help_text = family.help.replace("\\", r"\\").replace("\n", r"\n")
        write(f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n")
        names = family.labels
        order = sorted(range(len(names)), key=names.__getitem__)  # labels by name
        heads = [f'{names[i]}="' for i in order]
        if kind == "histogram":
            le_at = sorted([*names, "le"]).index("le")
            for labels, value in family.samples:
                _histogram(write, name, _pairs(heads, order, labels), le_at, value)
            continue
        for labels, value in family.samples:
            pairs = _pairs(heads, order, labels)
            write(f"{name}{_braces(pairs)} {floatToGoString(value)}\n")
    return "".join(out).encode()


def _histogram(write, name: str, pairs: list[str], le_at: int, value: Histogram) -> None:
    """``_bucket`` per edge (``le`` sorted in among the labels), then ``_count``, ``_sum``."""
    assert isinstance(value, Histogram)
    before, after = pairs[:le_at], pairs[le_at:]
    for edge, count in value.buckets:
        labels = ",".join([*before, f'le="{le_text(edge)}"', *after])
        write(f"{name}_bucket{{{labels}}} {floatToGoString(count)}\n")
    if value.buckets and float(le_text(value.buckets[0][0])) >= 0 and value.sum is not None:
        plain = _braces(pairs)
        write(f"{name}_count{plain} {floatToGoString(value.buckets[-1][1])}\n")
        write(f"{name}_sum{plain} {floatToGoString(value.sum)}\n")


def _pairs(heads: list[str], order: list[int], labels: tuple) -> list[str]:
    """``name="value"`` of each label, sorted by name, values escaped."""
    return [h + _escape(str(labels[i])) + '"' for h, i in zip(heads, order, strict=True)]


def _braces(pairs: list[str]) -> str:
    return "{" + ",".join(pairs) + "}" if pairs else ""


def _escape(value: str) -> str:
    if "\\" in value or "\n" in value or '"' in value:
        return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return value
