"""The configuration file: one YAML file describing tenants, numbers, hours, queues, agents, users.

``load``/``loads`` return a validated ``CenterConfig`` or raise ``ConfigError`` carrying every
problem of the file at once (shape and cross-object rules, in file order, each with
file:line:column and a hint). ``check``/``check_text`` return the same problems plus warnings
without raising. ``dump`` writes a config back as YAML that loads to an equal config.
``tenant_flows(config, tenant)`` gives a tenant's IVR flows as ``centralino.ivr.Flow`` objects.
"""

from __future__ import annotations

import logging
from pathlib import Path

import yaml

from centralino.config.flows import tenant_flows
from centralino.config.hours import ALWAYS_OPEN, BusinessCalendar, calendar_for
from centralino.config.loader import Analysis, analyse
from centralino.config.model import (
    Agent,
    AgentSkill,
    BusinessHours,
    CenterConfig,
    Installation,
    PhoneNumber,
    Queue,
    QueueMembership,
    Role,
    Route,
    RouteKind,
    ServiceLevelFormula,
    SipHa1,
    Skill,
    Strategy,
    Tenant,
    Tier,
    User,
    WaitStep,
)
from centralino.config.numbers import NumberInfo, NumberKind, classify_number, number_time_zone
from centralino.config.rules import Severity, check_data
from centralino.core.errors import ConfigError, Problem

__all__ = [
    "ALWAYS_OPEN",
    "DEMO_CONFIG",
    "Agent",
    "AgentSkill",
    "Analysis",
    "BusinessCalendar",
    "BusinessHours",
    "CenterConfig",
    "ConfigError",
    "Installation",
    "NumberInfo",
    "NumberKind",
    "PhoneNumber",
    "Problem",
    "Queue",
    "QueueMembership",
    "Role",
    "Route",
    "RouteKind",
    "ServiceLevelFormula",
    "Severity",
    "SipHa1",
    "Skill",
    "Strategy",
    "Tenant",
    "Tier",
    "User",
    "WaitStep",
    "analyse",
    "calendar_for",
    "check",
    "check_config",
    "check_text",
    "classify_number",
    "dump",
    "load",
    "loads",
    "number_time_zone",
    "tenant_flows",
]

DEMO_CONFIG: Path = Path(__file__).with_name("demo.yaml")
"""The demo center shipped with the package (tenants demo and acme); used when no file is given."""

log = logging.getLogger(__name__)


def _read(path: str | Path | None) -> tuple[str | None, str, list[Problem]]:
    file = Path(path) if path is not None else DEMO_CONFIG
    name = str(file)
    try:
        return file.read_text(encoding="utf-8"), name, []
    except FileNotFoundError:
        return None, name, [Problem(message="file not found", file=name, hint="check the path")]
    except UnicodeDecodeError as exc:
        return None, name, [Problem(message=f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})",
                                    file=name, hint="save it as UTF-8")]
    except OSError as exc:
        return None, name, [Problem(message=f"cannot read the file: {exc.strerror}", file=name)]


def check_text(text: str, filename: str = "<string>") -> list[Problem]:
    """Every error and warning of a configuration text, in file order; never raises on bad content."""
    return analyse(text, filename).problems


def check(path: str | Path | None = None) -> list[Problem]:
    """Every error and warning of a configuration file (None: the demo file); never raises."""
    text, name, problems = _read(path)
    return problems if text is None else check_text(text, name)


def loads(text: str, filename: str = "<string>") -> CenterConfig:
    """The validated configuration, or ``ConfigError`` with every problem (warnings are logged)."""
    analysis = analyse(text, filename)
    if analysis.errors or analysis.config is None:
        raise ConfigError(problems=analysis.problems)
    for warning in analysis.problems:
        log.warning("%s", warning)
    return analysis.config


def load(path: str | Path | None = None) -> CenterConfig:
    """Load a configuration file; None loads the built-in demo (``DEMO_CONFIG``)."""
    text, name, problems = _read(path)
    if text is None:
        raise ConfigError(problems=problems)
    return loads(text, name)


def check_config(config: CenterConfig) -> list[Problem]:
    """The cross-object rules for a config built in code (problems carry paths, not lines)."""
    return check_data(config.model_dump(mode="json"))


def dump(config: CenterConfig) -> str:
    """YAML text that ``load`` reads back to an equal config; defaults are left out to keep it short."""
    data = {"version": config.version, **config.model_dump(mode="json", exclude_defaults=True)}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
