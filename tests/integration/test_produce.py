"""``cxkpi produce``: routing, keys, invalid lines, progress and errors, on a real broker."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from stream.cli.args import add_kafka_arguments, kafka_settings
from stream.cli.main import main
from stream.core.errors import ConfigError
from stream.runtime.broker import free_port
from stream.runtime.kafka_settings import KafkaSettings
from stream.runtime.producer import Route, Router

pytestmark = pytest.mark.integration


def event(type_: str, **data: object) -> bytes:
    n = event.count = getattr(event, "count", 0) + 1
    return orjson.dumps(
        {
            "specversion": "1.0",
            "id": f"e{n}",
            "source": "test",
            "type": type_,
            "time": "2026-01-05T10:00:00Z",
            "data": data,
        }
    )


#: (line, topic, key) — what the producer must do with each line.
GOOD = [
    (event("call.queued", contact_id="c1", queue="billing"), "cx.calls", b"c1"),
    (event("call.answered", contact_id="c1", agent_id="a1"), "cx.calls", b"c1"),
    (event("chat.queued", contact_id="h7", queue="web"), "cx.chats", b"h7"),
    (event("chat.message", contact_id="h7", author="customer"), "cx.chats", b"h7"),
    (event("ticket.created", ticket_id="t1", queue="billing"), "cx.tickets", b"t1"),
    (event("survey.sent", survey_id="s1", kind="csat"), "cx.surveys", b"s1"),
    (event("agent.state_changed", agent_id="a1", state="available"), "cx.agents", b"a1"),
    (event("call.ended", contact_id="c1"), "cx.calls", b"c1"),
]
BAD = [b"not json at all", b"[1, 2, 3]", orjson.dumps({"type": "call.teleported", "data": {}})]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (GOOD[0][0], Route("cx.calls", b"c1", True)),
        (GOOD[4][0], Route("cx.tickets", b"t1", True)),
        (GOOD[6][0], Route("cx.agents", b"a1", True)),
        (event("call.queued", queue="q"), Route("cx.calls", None, True)),  # no id: worker says
        (event("survey.sent", survey_id=17, kind="nps"), Route("cx.surveys", b"17", True)),
        (b'{"type": "call.queued", "data": []}', Route("cx.calls", None, True)),
        (b"not json", Route("cx.calls", None, False)),
        (b'"a string"', Route("cx.calls", None, False)),
        (b'{"type": 5}', Route("cx.calls", None, False)),
        (b'{"type": "call.teleported"}', Route("cx.calls", None, False)),
        (b"\xff\xfe bad utf-8", Route("cx.calls", None, False)),
    ],
)
def test_router(line: bytes, expected: Route) -> None:
    assert Router().route(line) == expected


def test_router_prefix_and_invalid_topic() -> None:
    router = Router("p.", "junk")
    assert router.route(GOOD[2][0]) == Route("p.cx.chats", b"h7", True)
    assert router.route(b"nope") == Route("junk", None, False)
    assert Router("p.").invalid_topic == "p.cx.calls"


def _cli(*argv: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "stream.cli.main", "produce", *argv]
    return subprocess.run(command, input=input, capture_output=True, timeout=60, check=False)


async def _produce(*argv: str) -> int:
    return await asyncio.to_thread(main, ["produce", *argv])


async def test_produce_routes_keys_and_invalid_lines(
    broker, topic_prefix, read_topic, tmp_path, capsys
) -> None:
    path = tmp_path / "events.jsonl"
    lines = [line for line, _, _ in GOOD]
    path.write_bytes(b"\n".join([*lines[:3], b"", *BAD, b"  ", *lines[3:]]) + b"\n")

    code = await _produce(str(path), "--broker", broker.bootstrap, "--topic-prefix", topic_prefix)
    assert code == 0

    for topic in ("cx.calls", "cx.chats", "cx.tickets", "cx.surveys", "cx.agents"):
        expected_good = [(line, key) for line, t, key in GOOD if t == topic]
        expected_bad = BAD if topic == "cx.calls" else []
        want = len(expected_good) + len(expected_bad)
        records = await read_topic(topic_prefix + topic, want)
        got = sorted((r.value, r.key) for r in records)
        assert got == sorted([*expected_good, *((b, None) for b in expected_bad)]), topic
        by_key: dict[bytes, set[int]] = {}
        for r in records:
            if r.key is not None:
                by_key.setdefault(r.key, set()).add(r.partition)
        assert all(len(parts) == 1 for parts in by_key.values())  # one entity, one partition
        # per entity, file order is kept
        for key in by_key:
            ordered = [r.value for r in sorted(records, key=lambda r: r.offset) if r.key == key]
            assert ordered == [line for line, k in expected_good if k == key]

    err = capsys.readouterr().err
    assert f"created topics {topic_prefix}cx.agents" in err and "(8 partitions)" in err
    assert f"produced {len(GOOD) + len(BAD)} messages" in err
    assert f"{len(BAD)} unroutable lines" in err and f"{topic_prefix}cx.calls" in err


async def test_topics_are_created_with_explicit_partitions(broker, topic_prefix, tmp_path) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    path = tmp_path / "one.jsonl"
    path.write_bytes(GOOD[0][0] + b"\n")
    code = await _produce(
        str(path), "--broker", broker.bootstrap, "--topic-prefix", topic_prefix, "--partitions", "3"
    )
    assert code == 0
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topic_prefix + "cx.calls"])
    finally:
        await admin.close()
    assert len(described[0]["partitions"]) == 3


async def test_invalid_topic_option(broker, topic_prefix, read_topic, tmp_path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(BAD) + b"\n")
    junk = topic_prefix + "junk"
    code = await _produce(
        str(path),
        "--broker",
        broker.bootstrap,
        "--topic-prefix",
        topic_prefix,
        "--invalid-topic",
        junk,
        "-q",
    )
    assert code == 0
    records = await read_topic(junk, len(BAD))
    assert sorted(r.value for r in records) == sorted(BAD)
    assert all(r.key is None for r in records)


def test_stdin_pipe_with_progress(broker, topic_prefix, tmp_path) -> None:
    """A pipe is read through the event loop; progress lines appear every N records."""
    lines = [event("agent.state_changed", agent_id=f"a{i}", state="away") for i in range(7)]
    proc = _cli(
        "-",
        "--broker",
        broker.bootstrap,
        "--topic-prefix",
        topic_prefix,
        "--progress-every",
        "3",
        input=b"\n".join(lines) + b"\n",
    )
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "  3 sent (0 invalid)" in err and "  6 sent (0 invalid)" in err
    assert "produced 7 messages" in err and f"{topic_prefix}cx.agents 7" in err


def test_unreachable_broker_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_bytes(GOOD[0][0] + b"\n")
    nobody = f"127.0.0.1:{free_port()}"
    proc = _cli(str(path), "--broker", nobody, "--connect-timeout", "1")
    err = proc.stderr.decode()
    assert proc.returncode == 2
    assert f"cxkpi produce: error: cannot reach Kafka at {nobody} within 1 s" in err
    assert "Traceback" not in err
    assert err.count("\n") == 1  # one line, no client log noise


def test_idempotent_producer_refused_by_tansu_is_explained(broker, tmp_path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_bytes(GOOD[0][0] + b"\n")
    proc = _cli(str(path), "--broker", broker.bootstrap, "--idempotent")
    err = proc.stderr.decode()
    assert proc.returncode == 2
    assert "refused an idempotent producer" in err and "Traceback" not in err


def test_missing_file_is_reported_before_connecting(capsys) -> None:
    assert main(["produce", "/nonexistent.jsonl", "--broker", "127.0.0.1:1"]) == 2
    assert "cannot read /nonexistent.jsonl" in capsys.readouterr().err


# -- connection settings (shared with the worker) ---------------------------------------


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_kafka_arguments(parser)
    return parser.parse_args(argv)


def test_settings_flag_beats_environment_beats_default() -> None:
    assert kafka_settings(_args(), {}).bootstrap == ("localhost:9092",)
    env = {"CXKPI_BROKER": "k1:9092, k2:9093"}
    assert kafka_settings(_args(), env).bootstrap == ("k1:9092", "k2:9093")
    assert kafka_settings(_args("--broker", "k3:1"), env).bootstrap == ("k3:1",)


def test_sasl_settings_pass_through(tmp_path: Path) -> None:
    env = {
        "CXKPI_SECURITY_PROTOCOL": "sasl_plaintext",
        "CXKPI_SASL_MECHANISM": "scram-sha-512",
        "CXKPI_SASL_USERNAME": "cx",
        "CXKPI_SASL_PASSWORD": "s3cret",
    }
    settings = kafka_settings(_args("--broker", "kafka:9094"), env)
    kwargs = settings.aiokafka_kwargs()
    assert kwargs["security_protocol"] == "SASL_PLAINTEXT"
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (kwargs["sasl_plain_username"], kwargs["sasl_plain_password"]) == ("cx", "s3cret")
    assert "s3cret" not in repr(settings) and "s3cret" not in settings.describe()
    faust = settings.faust_kwargs()
    assert faust["broker"] == ["kafka://kafka:9094"]
    assert faust["broker_credentials"].mechanism.value == "SCRAM-SHA-512"


def test_ssl_settings_build_a_context(tmp_path: Path) -> None:
    settings = KafkaSettings(security_protocol="SSL")
    assert settings.aiokafka_kwargs()["ssl_context"] is not None
    assert settings.faust_kwargs()["broker_credentials"].protocol.value == "SSL"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"bootstrap": ("nohostport",)}, "not HOST:PORT"),
        ({"security_protocol": "TLS"}, "not one of"),
        ({"security_protocol": "SASL_SSL"}, "needs --sasl-username"),
        ({"ssl_cafile": "/nonexistent.pem"}, "no such file"),
    ],
)
def test_bad_settings_are_config_errors(values: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        KafkaSettings(**values)
