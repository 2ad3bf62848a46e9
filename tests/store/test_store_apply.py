"""config apply: natural keys, all-or-nothing, a second apply writes nothing, secrets only hashed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from centralino.config.model import CenterConfig
from centralino.core.errors import ConfigError, Conflict
from centralino.store import apply as apply_module
from centralino.store.apply import KINDS, apply_config, latest_revision
from centralino.store.db import Database
from centralino.store.models import Agent, ConfigRevision, PhoneNumber, Queue, QueueMember, User
from centralino.store.passwords import digest_ha1, hash_password, verify_password

pytestmark = pytest.mark.usefixtures("cheap_argon2")  # argon2 cost is not what these tests measure

DumpRows = Callable[[Database], dict[str, list[dict[str, Any]]]]


@contextmanager
def writes(db: Database) -> Iterator[list[str]]:
    """Collect every INSERT/UPDATE/DELETE statement sent to the database inside the block."""
    seen: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def only(counts: dict[str, int] | Any, **expected: int) -> bool:
    return dict(counts) == {kind: expected.get(kind, 0) for kind in KINDS}


def test_first_apply_creates_everything(db: Database, demo_config: CenterConfig) -> None:
    summary = apply_config(db, demo_config, "demo.yaml", demo=True)
    assert summary.changed and summary.demo
    assert only(summary.created, settings=1, tenants=2, users=3, skills=3, queues=3, agents=3, numbers=4)
    assert only(summary.updated) and only(summary.deleted)
    with db.session() as session:
        revision = latest_revision(session)
        assert revision is not None and revision.id == summary.revision_id
        assert revision.source == "demo.yaml" and revision.summary["demo"] is True
        alice = session.scalars(select(Agent).where(Agent.extension == "1001")).one()
        links = {(m.queue_id, m.penalty) for m in alice.memberships}
        queues = {q.name: q.id for q in session.scalars(select(Queue))}
        assert links == {(queues["support"], 0), (queues["sales"], 2)}
        assert alice.user_id == session.scalars(select(User.id).where(User.username == "alice")).one()


def test_second_apply_writes_nothing(db: Database, demo_config: CenterConfig, dump_rows: DumpRows) -> None:
    apply_config(db, demo_config, "demo.yaml")
    before = dump_rows(db)
    with writes(db) as statements:
        summary = apply_config(db, demo_config, "demo.yaml")
    assert statements == []
    assert not summary.changed and summary.revision_id is None and str(summary) == "no changes"
    assert dump_rows(db) == before  # every column of every row, updated_at included
    with db.session() as session:
        assert len(session.scalars(select(ConfigRevision)).all()) == 1


def test_one_changed_field_is_one_update(
    db: Database, demo_data: dict[str, Any], dump_rows: DumpRows
) -> None:
    apply_config(db, CenterConfig.model_validate(demo_data), "demo.yaml")
    before = dump_rows(db)
    demo_data["tenants"][0]["queues"][1]["priority"] = 7
    summary = apply_config(db, CenterConfig.model_validate(demo_data), "demo.yaml")
    assert only(summary.updated, queues=1) and only(summary.created) and only(summary.deleted)
    assert summary.changes == ("updated queue acme/sales (priority)",)
    after = dump_rows(db)
    changed = [t for t in before if t != "config_revisions" and before[t] != after[t]]
    assert changed == ["queues"]
    assert [q["priority"] for q in after["queues"] if q["name"] == "sales"] == [7]
    assert len(after["config_revisions"]) == 2


def test_agent_link_change_counts_as_an_agent_update(db: Database, demo_data: dict[str, Any]) -> None:
    apply_config(db, CenterConfig.model_validate(demo_data), "demo.yaml")
    demo_data["tenants"][0]["agents"][0]["skills"][0]["level"] = 9
    summary = apply_config(db, CenterConfig.model_validate(demo_data), "demo.yaml")
    assert only(summary.updated, agents=1) and summary.changes == ("updated agent acme/1001 (skills)",)


def test_removed_queue_is_deleted_with_its_members(db: Database, demo_data: dict[str, Any]) -> None:
    apply_config(db, CenterConfig.model_validate(demo_data), "demo.yaml")
    acme = demo_data["tenants"][0]
    acme["queues"] = [q for q in acme["queues"] if q["name"] != "sales"]
    acme["numbers"] = [n for n in acme["numbers"] if n["route"].get("target") != "sales"]
    for agent in acme["agents"]:
        agent["queues"] = [q for q in agent["queues"] if q != "sales" and not isinstance(q, dict)]
    summary = apply_config(db, CenterConfig.model_validate(demo_data), "demo.yaml")
    assert only(summary.deleted, queues=1, numbers=1)
    assert only(summary.updated, agents=2)  # both lost their membership
    with db.session() as session:
        assert sorted(session.scalars(select(Queue.name))) == ["obsluga", "support"]
        assert len(session.scalars(select(QueueMember)).all()) == 2  # alice/support, ola/obsluga
        assert "+12125550123" not in session.scalars(select(PhoneNumber.number)).all()


def test_scope_is_the_tenants_in_the_file(db: Database, demo_data: dict[str, Any]) -> None:
    apply_config(db, CenterConfig.model_validate(demo_data), "demo.yaml")
    with db.session() as session:
        session.add(
            User(
                username="walk-in",
                role="agent",
                password_hash=hash_password("x"),
                from_config=False,
                tenant_id=session.scalars(select(Agent.tenant_id).where(Agent.extension == "1001")).one(),
            )
        )
    acme = demo_data["tenants"][0]
    acme["users"] = [u for u in acme["users"] if u["username"] != "sam"]
    demo_data["tenants"] = [acme]  # polska is no longer in the file
    summary = apply_config(db, CenterConfig.model_validate(demo_data), "acme.yaml")
    assert only(summary.deleted, users=1) and summary.changes == ("deleted user acme/sam",)
    with db.session() as session:
        assert "2001" in session.scalars(select(Agent.extension)).all()  # polska left alone
        assert sorted(session.scalars(select(User.username))) == ["alice", "root", "walk-in"]


def test_a_user_named_in_the_file_becomes_config_managed(
    db: Database, demo_config: CenterConfig, sam_hash: str
) -> None:
    with db.session() as session:
        session.add(User(username="sam", role="agent", from_config=False))
    summary = apply_config(db, demo_config, "demo.yaml")
    assert only(summary.updated, users=1) and summary.created["users"] == 2
    with db.session() as session:
        sam = session.scalars(select(User).where(User.username == "sam")).one()
        assert (sam.from_config, sam.role, sam.password_hash) == (True, "supervisor", sam_hash)


def test_secrets_are_stored_only_as_hashes(
    db: Database, demo_config: CenterConfig, dump_rows: DumpRows, demo_secrets: tuple[str, ...]
) -> None:
    apply_config(db, demo_config, "demo.yaml")
    text = repr(dump_rows(db))
    assert [secret for secret in demo_secrets if secret in text] == []
    with db.session() as session:
        alice = session.scalars(select(User).where(User.username == "alice")).one()
        assert alice.password_hash and verify_password(alice.password_hash, "alice-web")
        agents = {a.extension: a for a in session.scalars(select(Agent))}
    assert agents["1001"].sip_realm == "acme.example.com"  # the tenant's sip_domain
    assert agents["1001"].sip_ha1_md5 == digest_ha1("1001", "acme.example.com", "alice-sip", "MD5")
    assert agents["1001"].sip_ha1_sha256 == digest_ha1("1001", "acme.example.com", "alice-sip", "SHA-256")
    assert agents["2001"].sip_realm == "polska"  # no sip_domain: the tenant name
    assert agents["1002"].sip_ha1_md5 is None and agents["1002"].contact_uri == "sip:bob@192.0.2.10"


def test_password_changes_are_detected(db: Database, demo_data: dict[str, Any]) -> None:
    apply_config(db, CenterConfig.model_validate(demo_data), "demo.yaml")
    demo_data["tenants"][0]["users"][0]["password"] = "alice-new"
    demo_data["tenants"][1]["agents"][0]["sip_password"] = "ola-new"
    summary = apply_config(db, CenterConfig.model_validate(demo_data), "demo.yaml")
    assert only(summary.updated, users=1, agents=1)
    with db.session() as session:
        alice = session.scalars(select(User).where(User.username == "alice")).one()
        ola = session.scalars(select(Agent).where(Agent.extension == "2001")).one()
    assert alice.password_hash and verify_password(alice.password_hash, "alice-new")
    assert ola.sip_ha1_md5 == digest_ha1("2001", "polska", "ola-new")


def test_numbers_are_stored_classified(db: Database, demo_config: CenterConfig) -> None:
    apply_config(db, demo_config, "demo.yaml")
    with db.session() as session:
        rows = {n.number: (n.kind, n.country, n.time_zone) for n in session.scalars(select(PhoneNumber))}
    assert rows == {
        "+18005550100": ("toll-free", "US", "America/New_York"),
        "+12125550123": ("geographic", "US", "America/New_York"),
        "100": ("internal", None, "America/New_York"),
        "+48221234567": ("geographic", "PL", "Europe/Warsaw"),
    }


REFUSE_SQLITE = """
CREATE TRIGGER refuse_queue BEFORE INSERT ON queues WHEN NEW.name = 'refused'
BEGIN SELECT RAISE(ABORT, 'queue refused by trigger'); END
"""
REFUSE_POSTGRES = (
    """CREATE FUNCTION refuse_queue() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.name = 'refused' THEN
        RAISE EXCEPTION 'queue refused by trigger' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER refuse_queue BEFORE INSERT ON queues FOR EACH ROW EXECUTE FUNCTION refuse_queue()",
)


def test_a_database_constraint_rolls_everything_back(
    db: Database, demo_data: dict[str, Any], dump_rows: DumpRows
) -> None:
    apply_config(db, CenterConfig.model_validate(demo_data), "demo.yaml")
    with db.engine.begin() as connection:
        for statement in (REFUSE_SQLITE,) if db.dialect == "sqlite" else REFUSE_POSTGRES:
            connection.exec_driver_sql(statement)
    before = dump_rows(db)
    demo_data["tenants"][0]["display_name"] = "Acme Corporation"  # written first...
    demo_data["tenants"][0]["users"][0]["password"] = "alice-new"
    demo_data["tenants"][1]["queues"].append({"name": "refused"})  # ...then the database says no
    with pytest.raises(Conflict, match="nothing was changed") as caught:
        apply_config(db, CenterConfig.model_validate(demo_data), "bad.yaml")
    assert isinstance(caught.value.__cause__, IntegrityError)
    assert "refused by trigger" in str(caught.value)
    assert dump_rows(db) == before


def test_duplicate_keys_in_the_file_are_refused(
    db: Database, demo_data: dict[str, Any], dump_rows: DumpRows
) -> None:
    before = dump_rows(db)
    polska = demo_data["tenants"][1]
    polska["agents"].append({**polska["agents"][0], "name": "Ola again"})
    polska["numbers"].append(demo_data["tenants"][0]["numbers"][0])
    with pytest.raises(ConfigError) as caught:
        apply_config(db, CenterConfig.model_validate(demo_data), "bad.yaml")
    assert [p.path for p in caught.value.problems] == [
        "tenants[1].numbers[1].number",
        "tenants[1].agents[1].extension",
    ]
    assert dump_rows(db) == before


def test_a_failure_after_the_writes_rolls_everything_back(
    db: Database, demo_data: dict[str, Any], dump_rows: DumpRows, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_config(db, CenterConfig.model_validate(demo_data), "demo.yaml")
    before = dump_rows(db)
    demo_data["tenants"][0]["queues"][0]["description"] = "changed"
    demo_data["tenants"][1]["queues"].append({"name": "nowa"})

    def explode(self: Any, *_args: Any) -> None:
        self.session.flush()  # the upserts have reached the database...
        raise RuntimeError("injected failure")  # ...and then something breaks

    monkeypatch.setattr(apply_module._Apply, "_delete_obsolete", explode)
    with pytest.raises(RuntimeError, match="injected"):
        apply_config(db, CenterConfig.model_validate(demo_data), "demo.yaml")
    assert dump_rows(db) == before


def test_unknown_reference_is_a_config_error(
    db: Database, demo_data: dict[str, Any], dump_rows: DumpRows
) -> None:
    before = dump_rows(db)
    demo_data["tenants"][1]["agents"][0]["skills"] = ["nonexistent"]
    with pytest.raises(ConfigError, match="unknown skill 'nonexistent'"):
        apply_config(db, CenterConfig.model_validate(demo_data), "demo.yaml")
    assert dump_rows(db) == before
