"""Fixtures of the store tests: a demo-like configuration as plain data, and a dump of every row."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from centralino.config.model import CenterConfig
from centralino.store.db import Database
from centralino.store.models import Base
from centralino.store.passwords import hash_password

SAM_PASSWORD = "sam-supervises"
SAM_HASH = hash_password(SAM_PASSWORD)
SECRETS = ("admin-secret", "alice-web", "alice-sip", "ola-sip", SAM_PASSWORD)
"""Every plain secret in DEMO_DATA: none of them may appear in any stored row."""

DEMO_DATA: dict[str, Any] = {
    "installation": {
        "name": "demo-center",
        "admins": [{"username": "root", "role": "admin", "password": "admin-secret"}],
    },
    "tenants": [
        {
            "name": "acme",
            "display_name": "Acme Inc.",
            "country": "US",
            "time_zone": "America/New_York",
            "sip_domain": "acme.example.com",
            "business_hours": {
                "office": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"], "holidays": "US"},
            },
            "numbers": [
                {
                    "number": "+18005550100",
                    "name": "Support",
                    "hours": "office",
                    "route": {"kind": "queue", "target": "support"},
                },
                {"number": "+12125550123", "name": "Sales", "route": {"kind": "queue", "target": "sales"}},
                {"number": "100", "name": "Echo test", "route": {"kind": "echo"}},
            ],
            "skills": [{"name": "billing"}, {"name": "tech", "description": "Technical support"}],
            "queues": [
                {"name": "support", "skills": {"tech": 3}, "steps": [{"after": 30, "min_level": 1}]},
                {"name": "sales", "strategy": "round-robin", "priority": 5, "service_level_threshold": 30},
            ],
            "agents": [
                {
                    "extension": "1001",
                    "name": "Alice",
                    "sip_password": "alice-sip",
                    "user": "alice",
                    "skills": [{"name": "tech", "level": 8}, "billing"],
                    "queues": ["support", {"queue": "sales", "penalty": 2}],
                },
                {
                    "extension": "1002",
                    "name": "Bob",
                    "contact": "sip:bob@192.0.2.10",
                    "skills": ["billing"],
                    "queues": ["sales"],
                },
            ],
            "users": [
                {"username": "alice", "role": "agent", "password": "alice-web"},
                {"username": "sam", "role": "supervisor", "password_hash": SAM_HASH},
            ],
        },
        {
            "name": "polska",
            "country": "PL",
            "time_zone": "Europe/Warsaw",
            "language": "pl",
            "numbers": [{"number": "+48221234567", "route": {"kind": "queue", "target": "obsluga"}}],
            "skills": [{"name": "polski"}],
            "queues": [{"name": "obsluga"}],
            "agents": [
                {
                    "extension": "2001",
                    "name": "Ola",
                    "sip_password": "ola-sip",
                    "languages": ["pl"],
                    "skills": ["polski"],
                    "queues": ["obsluga"],
                }
            ],
        },
    ],
}


@pytest.fixture
def demo_data() -> dict[str, Any]:
    """A fresh deep copy of DEMO_DATA that a test may edit before validating it."""
    return copy.deepcopy(DEMO_DATA)


@pytest.fixture
def demo_config(demo_data: dict[str, Any]) -> CenterConfig:
    return CenterConfig.model_validate(demo_data)


Dump = dict[str, list[dict[str, Any]]]


def dump(db: Database) -> Dump:
    """Every row of every table, ordered by primary key: equal dumps mean nothing was written."""
    result: Dump = {}
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            result[table.name] = [dict(row) for row in rows]
    return result


@pytest.fixture
def dump_rows() -> Callable[[Database], Dump]:
    return dump


@pytest.fixture
def demo_secrets() -> tuple[str, ...]:
    return SECRETS


@pytest.fixture
def sam_hash() -> str:
    """The argon2 hash DEMO_DATA gives user sam as ``password_hash``."""
    return SAM_HASH
