"""Exposition of evaluated families (SPEC §6): Prometheus text and JSON."""

from __future__ import annotations

import math

import orjson
import pytest
from helpers import BASE_MS, agent, call, cfg, chat, ms, survey, ticket
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from stream.core.catalog import SPECS
from stream.core.replay import replay
from stream.export.collector import KpiCollector, render
from stream.export.json_format import to_json

BASE_EDGES = ("5", "10", "15", "20", "30", "45", "60", "90", "120", "180", "300", "600")
BASE_EDGES += ("1200", "1800", "3600")

CONFIG = {
    "service": {"service_level_threshold_seconds": 25},
    "queues": {"vip": {"service_level_threshold_seconds": 12.5, "short_abandon_seconds": 7}},
    "tickets": {"first_reply_target_seconds": {"urgent": 5400}},
}


def scenario() -> list[bytes]:
    return [
        call("queued", 60, "c1", queue="sales"),
        call("answered", 75, "c1", agent_id="a1"),
        call("ended", 120, "c1"),
        call("wrapup_ended", 150, "c1", resolved=True),
        call("queued", 60, "c2", queue="vip"),
        call("abandoned", 90, "c2"),
        call("queued", 200, "c3", queue="sales"),  # still waiting
        chat("queued", 60, "s1", queue="web"),
        chat("answered", 70, "s1", agent_id="a2"),
        chat("message", 80, "s1", author="agent"),
        ticket("created", 60, "t1", queue="billing", priority="urgent"),
        ticket("commented", 120, "t1", author="agent"),
        ticket("status_changed", 180, "t1", status="solved"),
        survey("sent", 60, "v1", kind="csat", queue="sales", channel="voice"),
        survey("responded", 120, "v1", kind="csat", score=4),
        survey("responded", 120, "v2", kind="esat", score=5, team="blue"),
        agent(60, "a1", "available", queues=["sales"], team="blue"),
        agent(100, "a1", "on_contact"),
        b"not json",
    ]


@pytest.fixture(scope="module")
def replayed():
    return replay(scenario(), ms(300), cfg(CONFIG))


@pytest.fixture(scope="module")
def parsed(replayed):
    text = render(replayed.families()).decode()
    return {family.name: family for family in text_string_to_metric_families(text)}


def samples(parsed, family: str, name: str | None = None) -> list:
    return [s for s in parsed[family].samples if name is None or s.name == name]


def test_text_parses_and_every_catalog_family_is_described(parsed):
    # the parser names counter families without their _total suffix
    names = {
        spec.name.removesuffix("_total") if spec.kind == "counter" else spec.name for spec in SPECS
    }
    assert set(parsed) == names
    for spec in SPECS:
        family = parsed[spec.name.removesuffix("_total") if spec.kind == "counter" else spec.name]
        assert family.type == spec.kind, spec.name
        assert spec.name.startswith("cx_")


def test_counters_end_in_total(parsed, replayed):
    for spec in SPECS:
        if spec.kind == "counter":
            assert spec.name.endswith("_total"), spec.name
            for sample in parsed[spec.name.removesuffix("_total")].samples:
                assert sample.name == spec.name
        else:
            assert not spec.name.endswith("_total"), spec.name
    offered = samples(parsed, "cx_contacts_offered", "cx_contacts_offered_total")
    values = {(s.labels["queue"], s.labels["channel"]): s.value for s in offered}
    assert values == {("sales", "voice"): 2, ("vip", "voice"): 1, ("web", "chat"): 1}
    assert samples(parsed, "cx_events_invalid")[0].labels == {
        "topic": "unknown",
        "reason": "not_json",
    }


def test_histogram_buckets_include_spec_edges_and_configured_thresholds(parsed):
    waits = samples(parsed, "cx_wait_seconds", "cx_wait_seconds_bucket")
    sales = [s for s in waits if s.labels["queue"] == "sales"]
    edges = [s.labels["le"] for s in sales]
    for edge in (*BASE_EDGES, "25", "12.5", "7", "+Inf"):
        assert edge in edges, edge
    # cumulative and ordered
    values = [s.value for s in sales]
    assert values == sorted(values)
    bounds = [float(e) for e in edges]
    assert bounds == sorted(bounds)
    # the 15 s answer of c1: first counted at le=15
    by_le = {s.labels["le"]: s.value for s in sales}
    assert (by_le["10"], by_le["15"], by_le["+Inf"]) == (0, 1, 1)
    count = samples(parsed, "cx_wait_seconds", "cx_wait_seconds_count")
    assert {s.labels["queue"]: s.value for s in count} == {"sales": 1, "vip": 1, "web": 1}
    total = samples(parsed, "cx_wait_seconds", "cx_wait_seconds_sum")
    assert {s.labels["queue"]: s.value for s in total} == {"sales": 15, "vip": 30, "web": 10}


def test_ticket_histograms_include_the_first_reply_targets(parsed):
    buckets = samples(
        parsed, "cx_ticket_first_reply_seconds", "cx_ticket_first_reply_seconds_bucket"
    )
    edges = [s.labels["le"] for s in buckets]
    for edge in (*BASE_EDGES, "5400", "14400", "28800", "86400", "+Inf"):
        assert edge in edges, edge
    by_le = {s.labels["le"]: s.value for s in buckets}
    assert (by_le["45"], by_le["60"]) == (0, 1)  # first reply after 60 s


def test_survey_score_histogram_has_integer_buckets(parsed):
    buckets = samples(parsed, "cx_survey_score", "cx_survey_score_bucket")
    csat = {s.labels["le"]: s.value for s in buckets if s.labels["survey"] == "csat"}
    assert list(csat) == [str(i) for i in range(11)] + ["+Inf"]
    assert (csat["3"], csat["4"], csat["+Inf"]) == (0, 1, 1)


def test_left_out_ratios_have_no_line(parsed):
    # vip: one abandon after 30 s, nothing answered: ASA left out, abandonment 1
    asa = samples(parsed, "cx_average_speed_of_answer_seconds")
    assert {s.labels["queue"] for s in asa} == {"sales", "web"}
    abandonment = samples(parsed, "cx_abandonment_ratio")
    vip = {s.labels["window"]: s.value for s in abandonment if s.labels["queue"] == "vip"}
    assert vip == {"5m": 1.0, "15m": 1.0, "1h": 1.0, "today": 1.0}
    for family in parsed.values():
        for sample in family.samples:
            assert not math.isnan(sample.value), sample


def test_gauge_values_and_labels(parsed):
    waiting = samples(parsed, "cx_contacts_waiting")
    assert {(s.labels["queue"], s.labels["channel"]): s.value for s in waiting} == {
        ("sales", "voice"): 1,
        ("vip", "voice"): 0,
        ("web", "chat"): 0,
    }
    oldest = samples(parsed, "cx_oldest_waiting_enqueued_timestamp_seconds")
    assert [(s.labels, s.value) for s in oldest] == [
        ({"queue": "sales", "channel": "voice"}, (BASE_MS + 200_000) / 1000)
    ]
    occupancy = samples(parsed, "cx_occupancy_ratio")
    # blue: available 60–100 s, on contact since 100 s; T = 300 s → 200 / 240
    assert {s.labels["window"]: s.value for s in occupancy} == {
        w: pytest.approx(200 / 240) for w in ("5m", "15m", "1h", "today")
    }
    assert samples(parsed, "cx_build_info")[0].value == 1


def test_collector_registers_on_an_injected_registry(replayed):
    registry = CollectorRegistry()
    registry.register(KpiCollector(replayed.families))
    labels = {"queue": "sales", "channel": "voice"}
    assert registry.get_sample_value("cx_contacts_offered_total", labels) == 2
    assert registry.get_sample_value("cx_contacts_waiting", labels) == 1
    assert registry.get_sample_value("cx_label_overflow_total") == 0


# -- JSON -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def document(replayed):
    return orjson.loads(to_json(replayed.families(), replayed.at_ms))


def test_json_structure(document):
    assert document["at"] == "2024-05-02T10:05:00.000Z"
    families = document["families"]
    assert list(families) == [spec.name for spec in SPECS]
    for spec in SPECS:
        family = families[spec.name]
        assert set(family) == {"type", "help", "samples"}
        assert family["type"] == spec.kind
        assert family["help"] == spec.help
        for sample in family["samples"]:
            assert list(sample["labels"]) == list(spec.labels)
            if spec.kind == "histogram":
                assert set(sample) == {"labels", "buckets", "sum", "count"}
                assert sample["count"] == sample["buckets"]["+Inf"]
            else:
                assert set(sample) == {"labels", "value"}


def test_json_values(document):
    families = document["families"]
    offered = families["cx_contacts_offered_total"]["samples"]
    assert {"labels": {"queue": "sales", "channel": "voice"}, "value": 2} in offered
    assert families["cx_oldest_waiting_enqueued_timestamp_seconds"]["samples"] == [
        {"labels": {"queue": "sales", "channel": "voice"}, "value": (BASE_MS + 200_000) / 1000}
    ]
    waits = families["cx_wait_seconds"]["samples"]
    vip = next(s for s in waits if s["labels"]["queue"] == "vip")
    assert vip["labels"]["outcome"] == "abandoned"
    assert (vip["sum"], vip["count"]) == (30, 1)
    assert (vip["buckets"]["25"], vip["buckets"]["30"], vip["buckets"]["12.5"]) == (0, 1, 0)
    assert families["cx_events_future_total"]["samples"] == []


def test_json_without_evaluation_time():
    empty = replay([b"{"])
    document = orjson.loads(to_json(empty.families(), empty.at_ms))
    assert document["at"] is None
    assert document["families"]["cx_events_invalid_total"]["samples"] == [
        {"labels": {"topic": "unknown", "reason": "not_json"}, "value": 1}
    ]


def test_json_bucket_keys_match_prometheus_le_for_large_edges():
    config = cfg({"tickets": {"first_reply_target_seconds": {"low": 1_209_600}}})
    lines = [
        ticket("created", 60, "t1", queue="q", priority="low"),
        ticket("commented", 120, "t1", author="agent"),
    ]
    r = replay(lines, ms(300), config)
    text = render(r.families()).decode()
    assert 'le="1209600"' in text
    document = orjson.loads(to_json(r.families(), r.at_ms))
    sample = document["families"]["cx_ticket_first_reply_seconds"]["samples"][0]
    assert "1209600" in sample["buckets"]


# -- the worker's own text writer equals prometheus_client's ---------------------------


@pytest.mark.parametrize("example", ["small.jsonl", "day.jsonl"])
def test_render_text_is_byte_for_byte_prometheus_client(example):
    from pathlib import Path

    from stream.export.text import render_text

    lines = (Path(__file__).resolve().parents[2] / "examples" / example).read_bytes()
    families = replay(lines.splitlines()).families()
    assert sum(len(f.samples) for f in families) > 100
    assert render_text(families) == render(families)


def test_a_writer_that_remembers_series_writes_each_page_as_prometheus_client():
    """The worker's writer keeps label texts between pages: pages of a day replayed in
    parts (series come, change and go, values move) are what a fresh writer gives."""
    import contextlib
    from pathlib import Path

    from stream.core.engine import Engine
    from stream.core.timeutil import parse_time
    from stream.export.text import TextWriter

    lines = (Path(__file__).resolve().parents[2] / "examples" / "day.jsonl").read_bytes()
    lines = lines.splitlines()
    engine, writer, clock = Engine(), TextWriter(), 0
    for start in range(0, len(lines), len(lines) // 6):
        for line in lines[start : start + len(lines) // 6]:
            with contextlib.suppress(ValueError, KeyError, TypeError):  # the day's bad lines
                clock = max(clock, parse_time(orjson.loads(line)["time"]))
            engine.ingest(line, clock)
        families = engine.families(clock)
        assert writer.render(families) == render(families)


def test_a_writer_writes_a_value_again_only_as_prometheus_client_would():
    """A series whose value stays equal is written from the last page's lines; a zero
    that changes sign, an int that becomes a float, or NaN is written anew."""
    from stream.core.evaluate import Family, Histogram
    from stream.export.text import TextWriter

    writer = TextWriter()
    pages = [
        (3, 0.0, Histogram(((1.0, 1), (float("inf"), 2)), 0.0, 2)),
        (3, -0.0, Histogram(((1.0, 1), (float("inf"), 2)), -0.0, 2)),
        (3.0, float("nan"), Histogram(((1.0, 1), (float("inf"), 2)), -0.0, 2)),
        (3.0, float("nan"), Histogram(((1.0, 1), (float("inf"), 3)), 0.5, 3)),
        (3.0, 0.25, Histogram(((1.0, 1), (float("inf"), 3)), 0.5, 3)),
    ]
    for count, level, histogram in pages:
        families = [
            Family("cx_contacts_waiting", "gauge", "Waiting.", ("queue",), [(("billing",), count)]),
            Family("cx_service_level_ratio", "gauge", "SL.", ("queue",), [(("billing",), level)]),
            Family("cx_wait_seconds", "histogram", "Waits.", ("queue",), [(("b",), histogram)]),
        ]
        assert writer.render(families) == render(families)


def test_render_text_escapes_label_values_like_prometheus_client(replayed):
    from hypothesis import given
    from hypothesis import strategies as st

    from stream.core.evaluate import Family
    from stream.export.text import render_text

    families = replayed.families()
    histogram = next(f for f in families if f.kind == "histogram" and f.samples)
    counter = next(f for f in families if f.kind == "counter" and f.samples)

    @given(st.data())
    def check(data):
        relabelled = [
            Family(f.name, f.kind, f.help, f.labels, [(values, f.samples[0][1])])
            for f in (histogram, counter)
            for values in [tuple(data.draw(st.text()) for _ in f.labels)]
        ]
        assert render_text(relabelled) == render(relabelled)

    check()
