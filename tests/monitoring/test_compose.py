"""docker-compose.yml and the Dockerfile, as far as a machine without Docker can check.

The Compose schema is ``compose_spec.json`` next to this file, taken unchanged from the
PyPI package docker-compose 1.29.2 (``compose/config/compose_spec.json``, Apache-2.0,
copyright the Compose Specification authors). It predates a few newer keys (top-level
``name``, ``healthcheck.start_interval``); the compose file sticks to what it knows,
which every later Compose version accepts too. Its ``$schema`` names draft 2019-09 by a
URI jsonschema does not know, so the validator class is chosen explicitly.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shlex
import tomllib
from pathlib import Path, PurePosixPath

import jsonschema
import pytest

from stream.cli.args import kafka_settings
from stream.cli.main import COMMANDS, build_parser

from .tools import ROOT, load_yaml

COMPOSE = load_yaml(ROOT / "docker-compose.yml")
SERVICES = COMPOSE["services"]
SCHEMA = json.loads((Path(__file__).parent / "compose_spec.json").read_text())


def test_compose_file_is_valid_against_the_compose_schema():
    validator = jsonschema.Draft201909Validator(SCHEMA)
    errors = sorted(validator.iter_errors(COMPOSE), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_catches_mistakes():
    broken = {"services": {"worker": {"image": "x", "helthcheck": {}}}}
    validator = jsonschema.Draft201909Validator(SCHEMA)
    assert list(validator.iter_errors(broken))


def test_the_stack_has_its_services():
    assert set(SERVICES) == {
        "kafka",
        "kafka-init",
        "worker",
        "simulator",
        "prometheus",
        "alertmanager",
        "grafana",
    }
    assert SERVICES["kafka"]["image"].startswith("apache/kafka:")
    assert SERVICES["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_ports_only_on_localhost(name):
    for port in SERVICES[name].get("ports", []):
        if isinstance(port, dict):
            assert port.get("host_ip") == "127.0.0.1", port
        else:
            assert str(port).startswith("127.0.0.1:"), port


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_has_a_healthcheck(name):
    check = SERVICES[name].get("healthcheck")
    assert check and not check.get("disable") and check["test"], name


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_dependencies_exist(name):
    depends = SERVICES[name].get("depends_on", {})
    for other, condition in depends.items() if isinstance(depends, dict) else []:
        assert other in SERVICES
        if condition["condition"] == "service_healthy":
            assert "healthcheck" in SERVICES[other]


def _mounts(service):
    """(host path or volume name, container path) of a service's volumes."""
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        yield source, target


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_mounted_paths_exist(name):
    for source, _target in _mounts(SERVICES[name]):
        if source.startswith((".", "/")):
            assert (ROOT / source).exists(), f"{name} mounts missing {source}"
        else:
            assert source in COMPOSE.get("volumes", {}), f"undeclared volume {source}"


def _host_path(service, container_path):
    """The host file behind a container path, through the service's bind mounts."""
    path = PurePosixPath(container_path)
    for source, target in _mounts(service):
        if source.startswith(".") and path.is_relative_to(target):
            return ROOT / source / path.relative_to(target)
    return None


@pytest.mark.parametrize("name", ["prometheus", "alertmanager", "grafana"])
def test_referenced_config_files_exist(name):
    service = SERVICES[name]
    words = [*service.get("command", []), *map(str, service.get("environment", {}).values())]
    paths = [w.split("=", 1)[-1] for w in words if "/etc/" in w or "/var/lib/" in w]
    checked = [p for p in paths if p.endswith((".yml", ".json"))]
    assert checked, "no config file referenced"
    for container_path in checked:
        host = _host_path(service, container_path)
        assert host is not None and host.is_file(), f"{name}: {container_path} not mounted"


def test_prometheus_and_grafana_point_at_the_stack():
    prometheus = load_yaml(ROOT / "prometheus" / "prometheus.yml")
    targets = [
        t
        for job in prometheus["scrape_configs"]
        for sc in job["static_configs"]
        for t in sc["targets"]
    ]
    for target in targets:
        host, port = target.split(":")
        if host == "localhost":
            continue  # Prometheus itself
        published = {str(p).rsplit(":", 1)[-1] for p in SERVICES[host].get("ports", [])}
        assert port in published, f"{target}: {host} serves no port {port}"
    worker = SERVICES["worker"]["command"]
    assert worker[worker.index("--web-port") + 1] == "6066"
    provider = load_yaml(ROOT / "grafana/provisioning/dashboards/cxkpi.yml")["providers"][0]
    assert _host_path(SERVICES["grafana"], provider["options"]["path"]) == (
        ROOT / "grafana" / "dashboards"
    )
    assert _host_path(SERVICES["grafana"], "/etc/grafana/provisioning/datasources") == (
        ROOT / "grafana" / "provisioning" / "datasources"
    )


def _check_cli(argv):
    """argv (without the program) must be a cxkpi subcommand with flags its real parser
    accepts; returns the parsed arguments."""
    command = argv[0]
    assert command in {name for name, _module, _help in COMMANDS}, f"no subcommand {command!r}"
    parser = build_parser(only=command)
    with contextlib.redirect_stderr(io.StringIO()) as err:
        try:
            args = parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"cxkpi {shlex.join(argv)}: {err.getvalue()}")
    assert isinstance(args, argparse.Namespace)
    assert hasattr(args, "func"), f"cxkpi {command} is not available in this installation"
    return args


def _cxkpi_commands(service):
    """The cxkpi argv lists a service runs: its command, or each stage of a sh -c line."""
    if service.get("entrypoint") == ["/bin/sh", "-c"]:
        for stage in re.split(r"\|\||&&|\||;", " ".join(service["command"])):
            words = shlex.split(stage)
            assert words[0] == "cxkpi", stage
            yield words[1:]
    else:
        yield service["command"]


@pytest.mark.parametrize("name", ["worker", "simulator"])
def test_service_commands_match_the_cli(name):
    service = SERVICES[name]
    assert service["build"] == "."
    commands = list(_cxkpi_commands(service))
    assert commands
    for argv in commands:
        _check_cli(argv)


@pytest.mark.parametrize("where", ["compose", "dockerfile"])
def test_worker_serves_what_prometheus_scrapes(where, monkeypatch):
    """The real ``cxkpi worker`` parser, with the service's environment, listens on all
    interfaces at the port Prometheus scrapes, and reads from the compose Kafka."""
    service = SERVICES["worker"]
    if where == "compose":
        argv = service["command"]
    else:
        text = (ROOT / "Dockerfile").read_text()
        argv = json.loads(re.search(r"^CMD (.+)$", text, re.M).group(1))
    for name in [n for n in os.environ if n.startswith("CXKPI_")]:
        monkeypatch.delenv(name)
    for name, value in service["environment"].items():
        monkeypatch.setenv(name, str(value))
    args = _check_cli(argv)
    assert args.web_host == "0.0.0.0"
    target = load_yaml(ROOT / "prometheus" / "prometheus.yml")["scrape_configs"][0]
    assert target["job_name"] == "cxkpi"
    assert target["static_configs"][0]["targets"] == [f"worker:{args.web_port}"]
    assert kafka_settings(args).bootstrap == ("kafka:9092",)
    assert args.partitions == int(service["environment"]["CXKPI_PARTITIONS"])


def test_partition_counts_agree():
    """Source topics and the worker's tables must be co-partitioned."""
    created = re.findall(r"--partitions (\d+)", SERVICES["kafka-init"]["command"][0])
    worker = SERVICES["worker"]["command"]
    counts = {
        *created,
        worker[worker.index("--partitions") + 1],
        str(SERVICES["kafka"]["environment"]["KAFKA_NUM_PARTITIONS"]),
        SERVICES["worker"]["environment"]["CXKPI_PARTITIONS"],
        SERVICES["simulator"]["environment"]["CXKPI_PARTITIONS"],
    }
    assert len(counts) == 1, counts


def test_dockerfile():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    for line in re.findall(r"^COPY (.+)$", text, re.M):
        *sources, _dest = line.split()
        for source in sources:
            matches = list(ROOT.glob(source))
            assert matches or source.endswith("*"), f"COPY {source}: missing"
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (.+)$", text, re.M).group(1))
    cmd = json.loads(re.search(r"^CMD (.+)$", text, re.M).group(1))
    assert entrypoint == ["cxkpi"]
    _check_cli(cmd)
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert "cxkpi" in scripts


def test_dockerignore_keeps_what_the_dockerfile_copies():
    kept = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    text = (ROOT / "Dockerfile").read_text()
    for line in re.findall(r"^COPY (.+)$", text, re.M):
        for source in line.split()[:-1]:
            assert source.rstrip("*") in kept, source
