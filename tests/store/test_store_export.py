"""config export: the database back as a CenterConfig; applying it changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from centralino import config
from centralino.config.model import CenterConfig
from centralino.store.apply import apply_config
from centralino.store.db import Database
from centralino.store.export import export_config
from centralino.store.models import User

pytestmark = pytest.mark.usefixtures("cheap_argon2")  # argon2 cost is not what these tests measure

DumpRows = Callable[[Database], dict[str, list[dict[str, Any]]]]


def test_export_then_apply_changes_nothing(
    db: Database, demo_config: CenterConfig, dump_rows: DumpRows
) -> None:
    apply_config(db, demo_config, "demo.yaml")
    before = dump_rows(db)
    exported = export_config(db)
    summary = apply_config(db, exported, "export.yaml")
    assert not summary.changed, summary.changes
    assert dump_rows(db) == before
    assert export_config(db) == exported


def test_export_carries_hashes_not_passwords(db: Database, demo_config: CenterConfig) -> None:
    apply_config(db, demo_config, "demo.yaml")
    exported = export_config(db)
    assert exported.installation.name == "demo-center"
    users = {u.username: u for t in exported.tenants for u in t.users}
    assert users["alice"].password is None and (users["alice"].password_hash or "").startswith("$argon2id$")
    assert all(a.sip_password is None for t in exported.tenants for a in t.agents)
    assert "alice-sip" not in exported.model_dump_json()


def test_export_matches_the_file_up_to_order_and_secrets(db: Database, demo_config: CenterConfig) -> None:
    apply_config(db, demo_config, "demo.yaml")
    acme = {t.name: t for t in export_config(db).tenants}["acme"]
    original = demo_config.tenants[0]
    assert acme.business_hours == original.business_hours and acme.sip_domain == original.sip_domain
    assert sorted(acme.queues, key=lambda q: q.name) == sorted(original.queues, key=lambda q: q.name)
    alice = {a.extension: a for a in acme.agents}["1001"]
    assert [(s.name, s.level) for s in alice.skills] == [("billing", 5), ("tech", 8)]
    assert [(q.queue, q.penalty) for q in alice.queues] == [("sales", 2), ("support", 0)]
    assert alice.user == "alice"


def test_users_created_outside_the_file_are_exported_only_on_request(
    db: Database, demo_config: CenterConfig
) -> None:
    apply_config(db, demo_config, "demo.yaml")
    with db.session() as session:
        session.add(User(username="api-admin", role="admin", from_config=False))
    assert "api-admin" not in {u.username for u in export_config(db).installation.admins}
    assert "api-admin" in {u.username for u in export_config(db, all_users=True).installation.admins}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_shipped_demo_file_applies_once(db: Database, dump_rows: DumpRows) -> None:
    demo = config.load(config.DEMO_CONFIG)
    first = apply_config(db, demo, str(config.DEMO_CONFIG), demo=True)
    assert first.created["agents"] == sum(len(t.agents) for t in demo.tenants) > 0
    before = dump_rows(db)
    assert not apply_config(db, demo, str(config.DEMO_CONFIG), demo=True).changed
    assert not apply_config(db, export_config(db), "export.yaml").changed
    assert dump_rows(db) == before
