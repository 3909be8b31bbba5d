"""Configuration: SPEC §4 defaults, per-queue overrides, ticket targets, timezone, limits.

Read from an optional TOML file (stdlib ``tomllib``). Every key is checked at start-up
and a bad one fails with a message that names the key and what it accepts, so an
operator never discovers a typo from a wrong wallboard.

Example::

    timezone = "Europe/Berlin"

    [service]                       # defaults for every queue
    short_abandon_seconds = 10
    service_level_threshold_seconds = 20
    service_level_target = 0.80
    service_level_mode = "abandons_negative"
    csat_target = 0.80
    abandonment_alert = 0.05

    [queues.billing]                # any [service] key, for one queue
    service_level_threshold_seconds = 30
    calendar = "berlin"             # its business hours (calendars.py)

    [calendars.berlin]              # "default" applies to queues that name none
    timezone = "Europe/Berlin"
    country = "DE"                  # public holidays (the holidays package)
    subdivision = "BE"
    holidays = ["2026-12-24", "2026-12-28..2026-12-31"]
    [calendars.berlin.hours]        # local wall time; days left out are closed
    mon = ["08:00-12:00", "13:00-17:00"]
    fri = ["08:00-14:00"]

    [tickets.first_reply_target_seconds]
    urgent = 3600
    high = 14400
    normal = 28800
    low = 86400

    [wallboard]
    min_sample = 10                 # ratios of fewer contacts are shown greyed

    [limits]
    max_queues = 500
    max_teams = 200
    max_channels = 50
    max_event_bytes = 65536
    contact_max_age_hours = 24
    ticket_retention_days = 8
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .calendars import ALWAYS, AnyCalendar, Calendar, calendar_from_table
from .errors import ConfigError
from .events import PRIORITIES

SERVICE_LEVEL_MODES = ("abandons_negative", "abandons_ignored", "abandons_positive")


@dataclass(frozen=True, slots=True)
class QueuePolicy:
    """The thresholds and targets of one queue (SPEC §4 defaults)."""

    short_abandon_seconds: float = 10
    service_level_threshold_seconds: float = 20
    service_level_target: float = 0.80
    service_level_mode: str = "abandons_negative"
    csat_target: float = 0.80
    abandonment_alert: float = 0.05

    @property
    def short_abandon_ms(self) -> int:
        return round(self.short_abandon_seconds * 1000)

    @property
    def threshold_ms(self) -> int:
        return round(self.service_level_threshold_seconds * 1000)


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on label cardinality, message size and retained state."""

    max_queues: int = 500
    max_teams: int = 200
    max_channels: int = 50
    max_event_bytes: int = 65_536
    contact_max_age_hours: float = 24
    ticket_retention_days: float = 8


DEFAULT_CALENDAR = "default"

DEFAULT_FIRST_REPLY_TARGETS = {
    "urgent": 3600,
    "high": 4 * 3600,
    "normal": 8 * 3600,
    "low": 24 * 3600,
}


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the core needs to know besides the events themselves."""

    timezone: str = "UTC"
    service: QueuePolicy = field(default_factory=QueuePolicy)
    queues: dict[str, QueuePolicy] = field(default_factory=dict)
    first_reply_target_seconds: dict[str, float] = field(
        default_factory=lambda: dict(DEFAULT_FIRST_REPLY_TARGETS)
    )
    limits: Limits = field(default_factory=Limits)
    calendars: dict[str, Calendar] = field(default_factory=dict)
    queue_calendars: dict[str, str] = field(default_factory=dict)  # queue → calendar name
    #: The built-in wallboard greys a ratio of fewer contacts or answers than this.
    wallboard_min_sample: int = 10
    #: Count handled contacts per agent for the opt-in agents view. Not a TOML key:
    #: ``cxkpi worker --agents-view`` sets it, behind a password (agents_view.py).
    agents_view: bool = False

    def calendar_of(self, queue: str | None) -> AnyCalendar:
        """The business hours a queue's ticket clocks count: its own calendar, else the
        one named "default", else 24/7."""
        name = self.queue_calendars.get(queue or "", DEFAULT_CALENDAR)
        return self.calendars.get(name, ALWAYS)

    def today_timezone(self, queue: str | None) -> str:
        """Where a queue's ``today`` starts: its calendar's zone with ``local_today``,
        else the top-level timezone. One zone per queue, so its windows never mix two."""
        calendar = self.calendar_of(queue)
        return calendar.timezone if getattr(calendar, "local_today", False) else self.timezone

    @property
    def day_timezones(self) -> tuple[str, ...]:
        """Every zone some queue's ``today`` follows, the top-level one first."""
        local = (c.timezone for c in self.calendars.values() if c.local_today)
        return tuple(dict.fromkeys((self.timezone, *local)))

    def policy(self, queue: str) -> QueuePolicy:
        """The policy of a queue: its overrides on top of the [service] defaults."""
        return self.queues.get(queue, self.service)

    def first_reply_target_ms(self, priority: str) -> int:
        return round(self.first_reply_target_seconds[priority] * 1000)


def load_config(path: str | Path | None) -> Config:
    """Read and check a TOML configuration file; ``None`` gives the SPEC defaults."""
    if path is None:
        return Config()
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    return config_from_dict(raw)


def config_from_dict(raw: dict[str, Any]) -> Config:
    """Build a Config from parsed TOML, naming the first bad key it finds."""
    _only(raw, "", {"timezone", "service", "queues", "tickets", "limits", "calendars", "wallboard"})
    timezone = raw.get("timezone", "UTC")
    if not isinstance(timezone, str):
        raise ConfigError("timezone: must be an IANA timezone name such as 'Europe/Berlin'")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"timezone: unknown timezone {timezone!r}; use an IANA name such as 'UTC' or "
            "'America/New_York'"
        ) from None
    service = _policy(QueuePolicy(), _table(raw, "service"), "service")
    calendars = {
        name: calendar_from_table(name, table) for name, table in _table(raw, "calendars").items()
    }
    queues: dict[str, QueuePolicy] = {}
    queue_calendars: dict[str, str] = {}
    for name, table in _table(raw, "queues").items():
        where = f"queues.{name}"
        table = dict(_table(table, "", where))
        if "calendar" in table:
            queue_calendars[name] = _calendar_name(table.pop("calendar"), calendars, where)
        queues[name] = _policy(service, table, where)
    tickets = _table(raw, "tickets")
    _only(tickets, "tickets", {"first_reply_target_seconds"})
    targets = dict(DEFAULT_FIRST_REPLY_TARGETS)
    given = _table(tickets, "first_reply_target_seconds", "tickets.first_reply_target_seconds")
    _only(given, "tickets.first_reply_target_seconds", set(PRIORITIES))
    for priority, value in given.items():
        targets[priority] = _number(value, f"tickets.first_reply_target_seconds.{priority}", 1)
    limits_raw = _table(raw, "limits")
    limit_names = {f.name for f in fields(Limits)}
    _only(limits_raw, "limits", limit_names)
    limits = Limits(
        **{
            name: _number(value, f"limits.{name}", 1, integer=name.startswith("max_"))
            for name, value in limits_raw.items()
        }
    )
    wallboard = _table(raw, "wallboard")
    _only(wallboard, "wallboard", {"min_sample"})
    min_sample = int(
        _number(wallboard.get("min_sample", 10), "wallboard.min_sample", 0, integer=True)
    )
    return Config(
        timezone, service, queues, targets, limits, calendars, queue_calendars, min_sample
    )


def _calendar_name(value: Any, calendars: dict[str, Calendar], where: str) -> str:
    if not isinstance(value, str) or value not in calendars:
        known = ", ".join(sorted(calendars)) or "none ([calendars.NAME] defines one)"
        raise ConfigError(f"{where}.calendar: unknown calendar {value!r}; the calendars: {known}")
    return value


def _policy(base: QueuePolicy, table: dict[str, Any], where: str) -> QueuePolicy:
    names = {f.name for f in fields(QueuePolicy)}
    _only(table, where, names)
    changes: dict[str, Any] = {}
    for name, value in table.items():
        key = f"{where}.{name}"
        if name == "service_level_mode":
            if value not in SERVICE_LEVEL_MODES:
                raise ConfigError(
                    f"{key}: {value!r} is not one of {', '.join(SERVICE_LEVEL_MODES)}"
                )
            changes[name] = value
        elif name.endswith("_seconds"):
            changes[name] = _number(value, key, 0)
        else:
            changes[name] = _number(value, key, 0, upper=1)
    return replace(base, **changes)


def _table(raw: dict[str, Any], name: str, where: str | None = None) -> dict[str, Any]:
    value = raw.get(name, {}) if name else raw
    if not isinstance(value, dict):
        raise ConfigError(f"{where or name}: must be a table ([{where or name}])")
    return value


def _only(table: dict[str, Any], where: str, allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            place = f"{where}.{key}" if where else key
            raise ConfigError(f"{place}: unknown key; allowed here: {', '.join(sorted(allowed))}")


def _number(
    value: Any, key: str, lower: float, upper: float | None = None, integer: bool = False
) -> float:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise ConfigError(f"{key}: must be {'a whole number' if integer else 'a number'}")
    if value < lower or (upper is not None and value > upper):
        bound = f"between {lower} and {upper}" if upper is not None else f"at least {lower}"
        raise ConfigError(f"{key}: {value} is out of range; must be {bound}")
    return value
