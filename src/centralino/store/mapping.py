"""How configuration entities map to database rows, shared by ``apply`` and ``export``.

The values functions return exactly the column values ``apply_config`` compares with a
stored row; ``export_config`` reads the same columns back, so the two stay inverse.

An agent's SIP secret is stored as digest HA1s with their realm (``sip_realm``,
``sip_ha1_md5``, ``sip_ha1_sha256``): from a plain ``sip_password`` they are computed for the
tenant's realm, from ``sip_ha1`` (what export writes) they are stored as given, so an exported
file applied to a fresh database gives phones that register with their old passwords.

Trunks are installation-wide and few, and always read whole, so each is one row of the
``settings`` table (key ``trunks.<name>``, the name being the natural key) with a JSON value:
sources as written, username, internal, and the digest secret as HA1s only (``password_ha1``,
realm ``centralino``), computed from a plain ``password`` the same way as for agents.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from centralino.config import model as cfg
from centralino.config.numbers import classify_number, number_time_zone
from centralino.core.errors import ConfigError, Problem
from centralino.store.passwords import digest_ha1

__all__ = [
    "INSTALLATION_NAME",
    "QUEUE_COLUMNS",
    "TENANT_SETTINGS",
    "TRUNK_PREFIX",
    "agent_ha1",
    "agent_secret_values",
    "duplicate_keys",
    "number_values",
    "queue_values",
    "sip_realm",
    "tenant_values",
    "trunk_from_value",
    "trunk_ha1",
    "trunk_values",
]

QUEUE_COLUMNS = frozenset(
    {"name", "description", "strategy", "priority", "service_level_threshold", "service_level_formula"}
)
"""Queue fields with their own column; the rest of ``config.model.Queue`` is in ``Queue.settings``."""
TENANT_SETTINGS = ("business_hours", "flows", "recording", "recording_retention_days", "web_callback")
"""Tenant fields kept in ``Tenant.settings`` (JSON) rather than columns; ``flows`` are the IVR
flows as plain data, exactly as the file gives them (the IVR loader validates them on load)."""
INSTALLATION_NAME = "installation.name"
TRUNK_PREFIX = "trunks."
"""Key prefix of the trunks' rows in ``settings``: ``trunks.carrier`` holds trunk ``carrier``."""


def sip_realm(tenant: cfg.Tenant) -> str:
    """The digest realm of a tenant's agents: its SIP domain, else its name."""
    return tenant.sip_domain or tenant.name


def agent_secret_values(tenant: cfg.Tenant, agent: cfg.Agent) -> dict[str, Any]:
    """The agent's SIP secret columns; empty when the file gives none (the stored secret stays).

    ``ConfigError`` for HA1s the loader's rules would have refused (a config built in code):
    the columns are fixed-width hex, and a malformed HA1 would only fail at the first REGISTER.
    """
    where = f"{tenant.name}/{agent.extension}"
    if agent.sip_password is not None and agent.sip_ha1 is not None:
        raise ConfigError([Problem(f"agent {where} has both sip_password and sip_ha1",
                                   hint="keep only one of them")])
    if agent.sip_password is not None:
        realm = sip_realm(tenant)
        return {
            "sip_realm": realm,
            "sip_ha1_md5": digest_ha1(agent.extension, realm, agent.sip_password, "MD5"),
            "sip_ha1_sha256": digest_ha1(agent.extension, realm, agent.sip_password, "SHA-256"),
        }
    ha1 = agent.sip_ha1
    if ha1 is None:
        return {}
    problems = _ha1_problems(ha1, f"agent {where}", "sip_ha1", "sip_password")
    if problems:
        raise ConfigError(problems)
    return {"sip_realm": ha1.realm, "sip_ha1_md5": ha1.md5, "sip_ha1_sha256": ha1.sha256}


def agent_ha1(realm: str | None, md5: str | None, sha256: str | None) -> cfg.SipHa1 | None:
    """The ``sip_ha1`` export writes for an agent's stored columns (None: no secret stored)."""
    if realm is None or (md5 is None and sha256 is None):
        return None
    return cfg.SipHa1(realm=realm, md5=md5, sha256=sha256)


def _ha1_problems(ha1: cfg.SipHa1, where: str, field: str, plain: str) -> list[Problem]:
    problems = [
        Problem(f"{where}: {field}.{algorithm} is not {digits} lowercase hex digits",
                hint=f"export it again, or give {plain} instead")
        for algorithm, digits in cfg.HA1_HEX_DIGITS.items()
        if getattr(ha1, algorithm) is not None and not cfg.is_ha1(algorithm, getattr(ha1, algorithm))
    ]
    if ha1.md5 is None and ha1.sha256 is None:
        problems.append(Problem(f"{where}: {field} has neither md5 nor sha256",
                                hint=f"add the HA1s, or give {plain} instead"))
    return problems


def trunk_ha1(trunk: cfg.Trunk) -> cfg.SipHa1 | None:
    """The HA1s a trunk's digest answers are checked against (None: admitted by address only).

    From a plain ``password``: H(username:centralino:password) in MD5 and SHA-256, the same
    computation for the stored row and for the running node, so both hold the same hashes.
    """
    if trunk.password is None or trunk.username is None:
        return trunk.password_ha1
    realm = cfg.TRUNK_REALM
    return cfg.SipHa1(realm=realm, md5=digest_ha1(trunk.username, realm, trunk.password, "MD5"),
                      sha256=digest_ha1(trunk.username, realm, trunk.password, "SHA-256"))


def trunk_values(trunk: cfg.Trunk) -> dict[str, Any]:
    """The JSON value of a trunk's ``settings`` row: no plain password, only its HA1s.

    ``ConfigError`` for what the loader's rules would have refused (a config built in code):
    a network ``ipaddress`` cannot read, credentials not in pairs, password and HA1s together,
    malformed HA1s, or a trunk nothing can reach.
    """
    where = f"trunk {trunk.name}"
    problems = []
    for text in trunk.sources:
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            problems.append(Problem(f"{where}: {text!r} is not an IP address or network",
                                    hint="write 203.0.113.7 or 203.0.113.0/24"))
    if trunk.password is not None and trunk.password_ha1 is not None:
        problems.append(Problem(f"{where} has both password and password_ha1", hint="keep only one of them"))
    if (trunk.username is None) != (trunk.password is None and trunk.password_ha1 is None):
        problems.append(Problem(f"{where}: digest needs username and password (or password_ha1)",
                                hint="give both, or neither"))
    if not trunk.sources and trunk.username is None:
        problems.append(Problem(f"{where} has neither sources nor credentials", hint="add sources"))
    if trunk.password_ha1 is not None:
        problems += _ha1_problems(trunk.password_ha1, where, "password_ha1", "password")
    if problems:
        raise ConfigError(problems)
    ha1 = trunk_ha1(trunk)
    return {
        "sources": list(trunk.sources),
        "username": trunk.username,
        "password_ha1": None if ha1 is None else ha1.model_dump(mode="json"),
        "internal": trunk.internal,
    }


def trunk_from_value(name: str, value: dict[str, Any]) -> cfg.Trunk:
    """The trunk ``config export`` writes for a stored row (the inverse of ``trunk_values``)."""
    ha1 = value.get("password_ha1")
    return cfg.Trunk(
        name=name,
        sources=list(value.get("sources") or []),
        username=value.get("username"),
        password_ha1=None if ha1 is None else cfg.SipHa1.model_validate(ha1),
        internal=bool(value.get("internal", False)),
    )


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
    unique([(f"trunks[{i}].name", trunk.name) for i, trunk in enumerate(config.trunks)], "trunk")
    for t, tenant in enumerate(config.tenants):
        unique([(f"tenants[{t}].skills[{i}].name", s.name) for i, s in enumerate(tenant.skills)], "skill")
        unique([(f"tenants[{t}].queues[{i}].name", q.name) for i, q in enumerate(tenant.queues)], "queue")
        unique(
            [(f"tenants[{t}].agents[{i}].extension", a.extension) for i, a in enumerate(tenant.agents)],
            "extension",
        )
    return problems
