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

from collections.abc import Callable, Iterable
from functools import partial
from math import copysign
from typing import Any

from prometheus_client.utils import floatToGoString

from ..core.evaluate import Family, Histogram, le_text

__all__ = ["TextWriter", "render_text"]


def render_text(families: Iterable[Family]) -> bytes:
    return TextWriter().render(families)


class TextWriter:
    """Writes pages, remembering each series' text from one page to the next.

    A worker writes a page per render interval, mostly of the same series: their
    ``{name="value",…}`` texts (sorted, escaped) are kept per family and label values,
    for as long as the series is on the pages, and with them the series' last value
    and the lines written for it, as bytes: a page joined as text would be encoded
    whole on every render, and slowly, since one non-ASCII character (a help text's
    "×") makes all of it wide text. Between two scrapes most series do not change (about
    three quarters of the histograms in ``bench/scrape_bench.py``'s centre), and their
    lines, a histogram's twenty-odd buckets above all, are written again as they were.
    What a page holds does not depend on the pages before it.
    """

    def __init__(self) -> None:
        #: family → label values → (label text or histogram parts, last value, its lines)
        self._series: dict[str, dict[tuple, tuple]] = {}

    def render(self, families: Iterable[Family]) -> bytes:
        out: list[bytes] = []
        write = out.append
        previous, self._series = self._series, {}
        for family in families:
            kind = family.kind
            if kind == "counter":
                name = family.name.removesuffix("_total") + "_total"
            else:
                name = family.name
                kind = kind if kind == "histogram" else "gauge"
            help_text = family.help.replace("\\", r"\\").replace("\n", r"\n")
            write(f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n".encode())
            names = family.labels
            order = sorted(range(len(names)), key=names.__getitem__)  # labels by name
            heads = [f'{names[i]}="' for i in order]
            known = previous.get(family.name, {})
            kept = self._series[family.name] = {}
            if kind == "histogram":
                le_at = sorted([*names, "le"]).index("le")
                head = partial(_histogram_head, name, heads, order, le_at)
                # An edge's `le="…"` is written once per family.
                lines: Callable[[Any, Any], str] = partial(_histogram_lines, {})
            else:
                head = partial(_sample_head, name, heads, order)
                lines = _sample_line
            for labels, value in family.samples:
                held = known.get(labels)
                if held is None or not _same(held[1], value):
                    start = head(labels) if held is None else held[0]
                    held = (start, value, lines(start, value).encode())
                kept[labels] = held
                write(held[2])
        return b"".join(out)


def _same(last: object, value: object) -> bool:
    """Whether ``value`` is written as ``last`` was: equal, of the same type (``1`` and
    ``1.0`` are written alike today, but that is the number formatting's business), and
    not a zero whose sign may differ (``0.0 == -0.0``; a histogram's sum included)."""
    if type(last) is not type(value) or last != value:
        return False
    if type(value) is Histogram:
        return value.sum != 0 or copysign(1.0, last.sum) == copysign(1.0, value.sum)
    return value != 0 or copysign(1.0, last) == copysign(1.0, value)


def _sample_head(name: str, heads: list[str], order: list[int], labels: tuple) -> str:
    """A sample's line up to its number."""
    return f"{name}{_braces(_pairs(heads, order, labels))} "


def _sample_line(head: str, value: float) -> str:
    return f"{head}{_number(value)}\n"


def _histogram_head(
    name: str, heads: list[str], order: list[int], le_at: int, labels: tuple
) -> tuple[str, str, str, str]:
    """What a histogram's lines are made of: the ``_bucket`` line before and after its
    ``le`` (sorted in among the labels), and the starts of ``_count`` and ``_sum``."""
    pairs = _pairs(heads, order, labels)
    before, after = ",".join(pairs[:le_at]), ",".join(pairs[le_at:])
    head = f"{name}_bucket{{{before}{',' if before else ''}"
    tail = f"{',' if after else ''}{after}}} "
    plain = _braces(pairs)
    return head, tail, f"{name}_count{plain} ", f"{name}_sum{plain} "


def _histogram_lines(edges: dict, parts: tuple[str, str, str, str], value: Histogram) -> str:
    """``_bucket`` per edge, then ``_count`` and ``_sum``."""
    assert isinstance(value, Histogram)
    lines: list[str] = []
    write = lines.append
    head, tail, count_head, sum_head = parts
    for edge, count in value.buckets:
        le = edges.get(edge)
        if le is None:
            le = edges[edge] = f'le="{le_text(edge)}"'
        write(f"{head}{le}{tail}{_number(count)}\n")
    if value.buckets and value.buckets[0][0] >= 0 and value.sum is not None:
        write(f"{count_head}{_number(value.buckets[-1][1])}\n")
        write(f"{sum_head}{_number(value.sum)}\n")
    return "".join(lines)


def _number(value: float) -> str:
    """``floatToGoString``, with the common case (a small whole count) without a float."""
    if type(value) is int and -1_000_000 < value < 1_000_000:
        return f"{value}.0"
    return floatToGoString(value)


def _pairs(heads: list[str], order: list[int], labels: tuple) -> list[str]:
    """``name="value"`` of each label, sorted by name, values escaped."""
    return [h + _escape(str(labels[i])) + '"' for h, i in zip(heads, order, strict=True)]


def _braces(pairs: list[str]) -> str:
    return "{" + ",".join(pairs) + "}" if pairs else ""


def _escape(value: str) -> str:
    if "\\" in value or "\n" in value or '"' in value:
        return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return value
