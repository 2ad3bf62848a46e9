"""export → dump → load → apply: the file ``config export`` writes is a complete configuration.

It loads with ``config.load`` (no problems at all), applying it to the database it came from
changes nothing, and applying it to a fresh database gives an installation that works the
same: phones register with their old SIP passwords, users log in with theirs, IVR flows run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from centralino import config
from centralino.config.model import CenterConfig
from centralino.store.apply import apply_config
from centralino.store.db import Database
from centralino.store.export import export_config
from centralino.store.mapping import sip_realm
from centralino.store.models import User
from centralino.store.passwords import digest_ha1, verify_password
from centralino.store.sip_bindings import SqlCredentialSource

pytestmark = pytest.mark.usefixtures("cheap_argon2")  # argon2 cost is not what these tests measure

DumpRows = Callable[[Database], dict[str, list[dict[str, Any]]]]

FLOW = {
    "languages": ["en"],
    "nodes": {
        "answer": {"type": "answer", "next": "menu"},
        "menu": {"type": "menu", "prompt": ["menu"], "choices": {"1": "support"}, "fail": "support"},
        "support": {"type": "enqueue", "queue": "support"},
    },
    "prompts": {"menu": {"en": "For support press 1."}},
}


def test_the_demo_export_loads_back_and_applies_as_a_no_op(db: Database, dump_rows: DumpRows) -> None:
    demo = config.load(config.DEMO_CONFIG)
    assert any(t.flows for t in demo.tenants)
    apply_config(db, demo, str(config.DEMO_CONFIG), demo=True)
    before = dump_rows(db)
    text = config.dump(export_config(db))
    assert config.check_text(text, "export.yaml") == []
    loaded = config.loads(text, "export.yaml")
    assert {t.name: t.flows for t in loaded.tenants} == {t.name: t.flows for t in demo.tenants}
    summary = apply_config(db, loaded, "export.yaml")
    assert not summary.changed, summary.changes
    assert dump_rows(db) == before


def test_an_export_sets_up_a_fresh_installation_that_works_the_same(db: Database, tmp_path: Path) -> None:
    demo = config.load(config.DEMO_CONFIG)
    source = Database(f"sqlite:///{tmp_path / 'source.db'}")
    try:
        source.upgrade()
        apply_config(source, demo, str(config.DEMO_CONFIG), demo=True)
        exported = export_config(source)
    finally:
        source.dispose()

    fresh = apply_config(db, config.loads(config.dump(exported), "export.yaml"), "export.yaml")
    assert fresh.created["agents"] == sum(len(t.agents) for t in demo.tenants)
    assert export_config(db) == exported

    credentials = SqlCredentialSource(db)
    for tenant in demo.tenants:
        realm = sip_realm(tenant)
        for agent in tenant.agents:
            assert agent.sip_password is not None
            ha1s = credentials.lookup(realm, agent.extension)
            assert ha1s is not None, agent.extension
            assert ha1s.md5 == digest_ha1(agent.extension, realm, agent.sip_password, "MD5")
            assert ha1s.sha256 == digest_ha1(agent.extension, realm, agent.sip_password, "SHA-256")
    with db.session() as session:
        agent1 = session.query(User).filter_by(username="agent1").one()
        assert agent1.password_hash is not None and verify_password(agent1.password_hash, "agent1")
    demo_tenant = next(t for t in exported.tenants if t.flows)
    assert set(config.tenant_flows(exported, demo_tenant)) == set(demo_tenant.flows)


def test_flows_are_stored_applied_idempotently_and_exported(
    db: Database, demo_data: dict[str, Any], dump_rows: DumpRows
) -> None:
    demo_data["tenants"][0]["flows"] = {"main": FLOW}
    first = CenterConfig.model_validate(demo_data)
    assert set(config.tenant_flows(first, "acme")) == {"main"}
    apply_config(db, first, "v1.yaml")
    before = dump_rows(db)
    assert not apply_config(db, first, "v1.yaml").changed
    assert dump_rows(db) == before
    assert {t.name: t.flows for t in export_config(db).tenants} == {"acme": {"main": FLOW}, "polska": {}}

    changed = CenterConfig.model_validate(demo_data | {"tenants": [
        demo_data["tenants"][0] | {"flows": {"main": FLOW | {"prompts": {"menu": {"en": "Press 1."}}}}},
        demo_data["tenants"][1],
    ]})
    summary = apply_config(db, changed, "v2.yaml")
    assert summary.changes == ("updated tenant acme (settings)",)
    exported = {t.name: t for t in export_config(db).tenants}
    assert exported["acme"].flows["main"]["prompts"] == {"menu": {"en": "Press 1."}}

    demo_data["tenants"][0]["flows"] = {}
    assert apply_config(db, CenterConfig.model_validate(demo_data), "v3.yaml").changes == (
        "updated tenant acme (settings)",
    )
    assert {t.name: t.flows for t in export_config(db).tenants} == {"acme": {}, "polska": {}}
