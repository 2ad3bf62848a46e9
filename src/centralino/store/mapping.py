"""How configuration entities map to database rows, shared by ``apply`` and ``export``.

The values functions return exactly the column values ``apply_config`` compares with a
stored row; ``export_config`` reads the same columns back, so the two stay inverse.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from centralino.config import model as cfg
from centralino.config.numbers import classify_number, number_time_zone
from centralino.core.errors import Problem

__all__ = [
    "INSTALLATION_NAME",
    "QUEUE_COLUMNS",
    "TENANT_SETTINGS",
    "duplicate_keys",
    "number_values",
    "queue_values",
    "sip_realm",
    "tenant_values",
]

QUEUE_COLUMNS = frozenset(
    {"name", "description", "strategy", "priority", "service_level_threshold", "service_level_formula"}
)
"""Queue fields with their own column; the rest of ``config.model.Queue`` is in ``Queue.settings``."""
TENANT_SETTINGS = ("business_hours", "recording", "recording_retention_days")
"""Tenant fields kept in ``Tenant.settings`` (JSON) rather than columns."""
INSTALLATION_NAME = "installation.name"


def sip_realm(tenant: cfg.Tenant) -> str:
    """The digest realm of a tenant's agents: its SIP domain, else its name."""
    return tenant.sip_domain or tenant.name


def tenant_values(tenant: cfg.Tenant) -> dict[str, Any]:
    dumped = tenant.model_dump(mode="json", include=set(TENANT_SETTINGS))
    return {
        "display_name": tenant.display_name,
        "country": tenant.country,
        "time_zone": tenant.time_zone,
        "language": tenant.language,
        "sip_domain": tenant.sip_domain,
        "settings": dumped,
    }


def queue_values(tenant_id: str, queue: cfg.Queue) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "name": queue.name,
        "description": queue.description,
        "strategy": queue.strategy.value,
        "priority": queue.priority,
        "service_level_threshold": float(queue.service_level_threshold),
        "service_level_formula": queue.service_level_formula.value,
        "settings": queue.model_dump(mode="json", exclude=set(QUEUE_COLUMNS)),
    }


def number_values(tenant_id: str, tenant: cfg.Tenant, number: cfg.PhoneNumber) -> dict[str, Any]:
    info = classify_number(number.number, tenant.country)
    return {
        "tenant_id": tenant_id,
        "number": number.number,
        "name": number.name,
        "kind": info.kind.value,
        "country": info.region if info.region and info.region != "001" else None,
        "time_zone": number_time_zone(number.number, tenant.time_zone, number.time_zone),
        "hours": number.hours,
        "route_kind": number.route.kind.value,
        "route_target": number.route.target,
    }


def duplicate_keys(config: cfg.CenterConfig) -> list[Problem]:
    """Natural keys named twice: matching by key would silently let the last one win."""
    problems: list[Problem] = []

    def unique(values: Iterable[tuple[str, str]], what: str) -> None:
        seen: set[str] = set()
        for path, value in values:
            if value in seen:
                problems.append(Problem(f"duplicate {what} {value!r}", path=path, hint=f"each {what} once"))
            seen.add(value)

    admins = [
        (f"installation.admins[{i}].username", u.username) for i, u in enumerate(config.installation.admins)
    ]
    unique(
        admins
        + [
            (f"tenants[{t}].users[{i}].username", u.username)
            for t, tenant in enumerate(config.tenants)
            for i, u in enumerate(tenant.users)
        ],
        "username",
    )
    unique(
        [
            (f"tenants[{t}].numbers[{i}].number", n.number)
            for t, tenant in enumerate(config.tenants)
            for i, n in enumerate(tenant.numbers)
        ],
        "number",
    )
    unique([(f"tenants[{t}].name", tenant.name) for t, tenant in enumerate(config.tenants)], "tenant")
    for t, tenant in enumerate(config.tenants):
        unique([(f"tenants[{t}].skills[{i}].name", s.name) for i, s in enumerate(tenant.skills)], "skill")
        unique([(f"tenants[{t}].queues[{i}].name", q.name) for i, q in enumerate(tenant.queues)], "queue")
        unique(
            [(f"tenants[{t}].agents[{i}].extension", a.extension) for i, a in enumerate(tenant.agents)],
            "extension",
        )
    return problems
