"""Configuration: SPEC §4 defaults, per-queue overrides, and errors that name the key."""

from __future__ import annotations

import pytest
from helpers import call, kpis

from stream.core.config import Config, config_from_dict, load_config
from stream.core.errors import ConfigError, CxkpiError

MODES = ("abandons_negative", "abandons_ignored", "abandons_positive")


def test_defaults_match_the_spec():
    config = config_from_dict({})
    policy = config.policy("any-queue")
    assert policy.short_abandon_seconds == 10
    assert policy.service_level_threshold_seconds == 20
    assert policy.service_level_target == 0.80
    assert policy.service_level_mode == "abandons_negative"
    assert policy.csat_target == 0.80
    assert policy.abandonment_alert == 0.05
    assert config.first_reply_target_seconds == {
        "urgent": 3600,
        "high": 4 * 3600,
        "normal": 8 * 3600,
        "low": 24 * 3600,
    }
    assert config.timezone == "UTC"
    assert config.limits.max_queues == 500
    assert config.limits.max_teams == 200
    assert config == Config()


def test_exported_configuration_gauges():
    raw = {
        "service": {"service_level_target": 0.9},
        "queues": {"vip": {"service_level_threshold_seconds": 10, "csat_target": 0.95}},
        "tickets": {"first_reply_target_seconds": {"urgent": 1800}},
    }
    lines = [call("queued", 60, "c1", queue="vip"), call("queued", 60, "c2", queue="std")]
    k = kpis(lines, 300, raw)
    assert k("cx_config_service_level_threshold_seconds", queue="vip") == 10
    assert k("cx_config_service_level_threshold_seconds", queue="std") == 20
    assert k("cx_config_service_level_target_ratio", queue="vip") == 0.9  # inherited
    assert k("cx_config_service_level_target_ratio", queue="std") == 0.9
    assert k("cx_config_csat_target_ratio", queue="vip") == 0.95
    assert k("cx_config_csat_target_ratio", queue="std") == 0.80
    assert k("cx_config_abandonment_alert_ratio", queue="std") == 0.05
    assert k("cx_config_first_reply_target_seconds", priority="urgent") == 1800
    assert k("cx_config_first_reply_target_seconds", priority="low") == 86400


def test_queue_overrides_inherit_the_service_section():
    config = config_from_dict(
        {
            "service": {"service_level_mode": "abandons_positive", "short_abandon_seconds": 5},
            "queues": {"billing": {"service_level_threshold_seconds": 30}},
        }
    )
    billing = config.policy("billing")
    assert billing.service_level_threshold_seconds == 30
    assert billing.service_level_mode == "abandons_positive"
    assert billing.short_abandon_seconds == 5
    other = config.policy("sales")
    assert other.service_level_threshold_seconds == 20
    assert other.service_level_mode == "abandons_positive"


@pytest.mark.parametrize(
    ("raw", "fragments"),
    [
        ({"servce": {}}, ["servce", "service", "queues", "limits", "timezone"]),
        ({"service": {"threshold": 5}}, ["service.threshold", "service_level_threshold_seconds"]),
        (
            {"service": {"service_level_mode": "abandons_maybe"}},
            ["service.service_level_mode", *MODES],
        ),
        (
            {"queues": {"billing": {"service_level_mode": "strict"}}},
            ["queues.billing.service_level_mode", *MODES],
        ),
        ({"queues": {"billing": {"colour": "red"}}}, ["queues.billing.colour", "csat_target"]),
        ({"queues": {"billing": 5}}, ["queues.billing", "table"]),
        ({"service": 5}, ["service", "table"]),
        ({"service": {"service_level_target": 1.5}}, ["service.service_level_target", "0", "1"]),
        ({"service": {"abandonment_alert": -0.1}}, ["service.abandonment_alert", "0", "1"]),
        (
            {"service": {"service_level_threshold_seconds": -1}},
            ["service.service_level_threshold_seconds", "0"],
        ),
        (
            {"service": {"service_level_threshold_seconds": "20"}},
            ["service.service_level_threshold_seconds", "number"],
        ),
        ({"service": {"csat_target": True}}, ["service.csat_target", "number"]),
        (
            {"tickets": {"first_reply_target_seconds": {"critical": 60}}},
            ["tickets.first_reply_target_seconds.critical", "urgent", "high", "normal", "low"],
        ),
        (
            {"tickets": {"first_reply_target_seconds": {"urgent": 0}}},
            ["tickets.first_reply_target_seconds.urgent", "1"],
        ),
        ({"tickets": {"sla": {}}}, ["tickets.sla", "first_reply_target_seconds"]),
        ({"limits": {"max_queues": 2.5}}, ["limits.max_queues", "whole number"]),
        ({"limits": {"max_queues": 0}}, ["limits.max_queues", "1"]),
        ({"limits": {"max_queus": 2}}, ["limits.max_queus", "max_queues", "max_teams"]),
        ({"timezone": "Mars/Olympus_Mons"}, ["timezone", "Mars/Olympus_Mons"]),
        ({"timezone": 5}, ["timezone"]),
        ({"timezone": "../../etc/passwd"}, ["timezone"]),
        ({"timezone": ""}, ["timezone"]),
    ],
)
def test_bad_key_or_value_names_the_key_and_what_it_accepts(raw, fragments):
    with pytest.raises(ConfigError) as caught:
        config_from_dict(raw)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert isinstance(caught.value, CxkpiError)


def test_timezone_is_used_for_today():
    config = config_from_dict({"timezone": "Asia/Kolkata"})
    assert config.timezone == "Asia/Kolkata"


def test_load_config_from_toml(tmp_path):
    path = tmp_path / "cxkpi.toml"
    path.write_text(
        'timezone = "Europe/Berlin"\n'
        "[service]\nservice_level_threshold_seconds = 25\n"
        '[queues.billing]\nservice_level_mode = "abandons_ignored"\n'
        "[tickets.first_reply_target_seconds]\nurgent = 1800\n"
        "[limits]\nmax_queues = 3\n"
    )
    config = load_config(path)
    assert config.timezone == "Europe/Berlin"
    assert config.policy("billing").service_level_mode == "abandons_ignored"
    assert config.policy("billing").service_level_threshold_seconds == 25
    assert config.first_reply_target_seconds["urgent"] == 1800
    assert config.first_reply_target_seconds["normal"] == 28800
    assert config.limits.max_queues == 3
    assert load_config(None) == Config()


def test_load_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[service\nthreshold = ")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("[service]\nservice_level_mode = 'fast'\n")
    with pytest.raises(ConfigError, match=r"service\.service_level_mode"):
        load_config(wrong)


def test_the_wallboards_minimum_sample():
    assert config_from_dict({}).wallboard_min_sample == 10
    assert config_from_dict({"wallboard": {"min_sample": 30}}).wallboard_min_sample == 30
    with pytest.raises(ConfigError, match=r"wallboard\.min_sample: must be a whole number"):
        config_from_dict({"wallboard": {"min_sample": 2.5}})
    with pytest.raises(ConfigError, match=r"wallboard\.sound: unknown key"):
        config_from_dict({"wallboard": {"sound": True}})
