"""JSON rendering of evaluated families, for scripts and tests (``--format json``)."""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from ..core.evaluate import Family, Histogram, le_text
from ..core.timeutil import format_time


def to_json(families: Iterable[Family], at_ms: int | None) -> bytes:
    """``{"at": ..., "families": {name: {"type", "help", "samples": [...]}}}``."""
    out = {}
    for family in families:
        samples = []
        for labels, value in family.samples:
            sample: dict = {"labels": dict(zip(family.labels, labels, strict=True))}
            if isinstance(value, Histogram):
                sample["buckets"] = {le_text(edge): count for edge, count in value.buckets}
                sample["sum"] = value.sum
                sample["count"] = value.count
            else:
                sample["value"] = value
            samples.append(sample)
        out[family.name] = {"type": family.kind, "help": family.help, "samples": samples}
    document = {"at": format_time(at_ms) if at_ms is not None else None, "families": out}
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
