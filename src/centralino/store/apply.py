"""``config apply``: make the database say what the configuration file says, in one transaction.

Rows are matched by natural keys, never by id: tenant name; number (unique in
the installation); (tenant, skill name); (tenant, queue name); (tenant,
extension); username (unique in the installation). For every tenant in the file
its configuration rows are created, updated or deleted to match; tenants absent
from the file are left alone, and so are users created through the API or the
UI (``from_config`` False) unless the file names them, which makes them
config-managed. Customers and call records are data and are never touched.

Each row is compared with its wanted values before anything is written, so
applying the same file twice issues no UPDATE at all and ``updated_at`` stays
put. Secrets in the file are compared by verifying them: an argon2 hash that
accepts the file's plain password is kept (re-hashing would change the salt);
SIP passwords become HA1 digests for the tenant's realm (``sip_domain`` or, if
unset, the tenant name); ``sip_ha1`` (what export writes) is stored as given, with
its realm. A file without a secret for a user or an agent leaves the stored one as
it is. Tenants' IVR flows are stored as plain data in the tenant's ``settings``.

Trunks are installation-wide, like the admins: the file's ``trunks:`` is the whole list, each
trunk one ``settings`` row keyed ``trunks.<name>`` (see ``mapping``), and stored trunks the
file no longer names are deleted. A trunk's plain ``password`` is stored only as HA1s (MD5 and
SHA-256 of ``username:centralino:password``), its ``password_ha1`` as given.

A ``ConfigRevision`` row (hash of the file, source, summary) is added only when
something changed. All writes happen in one session transaction: if anything
fails, even a database constraint at the last statement, nothing is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from centralino.config import model as cfg
from centralino.core.errors import ConfigError, Conflict, Problem
from centralino.core.ids import new_id
from centralino.store import models as m
from centralino.store.db import Database
from centralino.store.mapping import (
    INSTALLATION_NAME,
    TRUNK_PREFIX,
    agent_secret_values,
    duplicate_keys,
    number_values,
    queue_values,
    tenant_values,
    trunk_values,
)
from centralino.store.passwords import hash_password, verify_password

__all__ = ["KINDS", "ApplySummary", "apply_config", "latest_revision"]

KINDS = ("settings", "trunks", "tenants", "users", "skills", "queues", "agents", "numbers")


@dataclass(frozen=True)
class ApplySummary:
    """What an apply did: counts per kind (``KINDS``), one line per change, the revision recorded."""

    source: str
    sha256: str
    created: Mapping[str, int]
    updated: Mapping[str, int]
    deleted: Mapping[str, int]
    changes: tuple[str, ...] = ()
    revision_id: str | None = None  # None when nothing changed (no revision is recorded then)
    demo: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "sha256": self.sha256,
            "created": dict(self.created),
            "updated": dict(self.updated),
            "deleted": dict(self.deleted),
            "changes": list(self.changes),
            "revision_id": self.revision_id,
            "demo": self.demo,
            "changed": self.changed,
        }

    def __str__(self) -> str:
        parts = [
            f"{verb} {count} {kind}"
            for verb, counts in (
                ("created", self.created),
                ("updated", self.updated),
                ("deleted", self.deleted),
            )
            for kind, count in counts.items()
            if count
        ]
        return ", ".join(parts) if parts else "no changes"


@dataclass
class _Recorder:
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    deleted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    changes: list[str] = field(default_factory=list)

    def record(self, verb: str, kind: str, label: str, fields: Iterable[str] = ()) -> None:
        getattr(self, verb)[kind] += 1
        detail = f" ({', '.join(sorted(fields))})" if fields else ""
        self.changes.append(f"{verb} {kind[:-1]} {label}{detail}")


def _assign(row: Any, values: Mapping[str, Any]) -> list[str]:
    """Set only the attributes whose value differs; return their names (empty: row untouched)."""
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    return changed


_Row = TypeVar("_Row", bound=m.Base)


def _upsert(
    session: Session,
    rec: _Recorder,
    kind: str,
    label: str,
    row: _Row | None,
    cls: type[_Row],
    values: Mapping[str, Any],
) -> _Row:
    if row is None:
        row = cls(id=new_id(), **values)
        session.add(row)
        rec.record("created", kind, label)
    else:
        changed = _assign(row, values)
        if changed:
            rec.record("updated", kind, label, changed)
    return row


def apply_config(
    db: Database,
    config: cfg.CenterConfig,
    source: str,
    *,
    demo: bool = False,
    text_sha256: str | None = None,
) -> ApplySummary:
    """Apply ``config`` all-or-nothing; ``source`` names the file, ``text_sha256`` hashes its text.

    Without ``text_sha256`` the hash is taken over the canonical JSON of ``config``. The file's
    rules are the loader's job (``centralino.config.load``); this only refuses what it cannot
    store: ``ConfigError`` for an agent naming an unknown skill, queue or user, ``Conflict`` when
    the database refuses a row (a duplicate extension...). In both cases nothing is written.
    """
    duplicates = duplicate_keys(config)
    if duplicates:
        raise ConfigError(duplicates)
    sha = text_sha256 or hashlib.sha256(config.model_dump_json().encode()).hexdigest()
    rec = _Recorder()
    revision_id: str | None = None
    try:
        with db.session() as session:
            _Apply(session, rec).run(config)
            if rec.changes:
                revision_id = new_id()
                summary = {
                    "created": rec.created,
                    "updated": rec.updated,
                    "deleted": rec.deleted,
                    "changes": rec.changes[:500],
                    "demo": demo,
                }
                session.add(
                    m.ConfigRevision(id=revision_id, sha256=sha, source=source[:255], summary=summary)
                )
    except IntegrityError as exc:
        raise Conflict(
            f"{source}: the database refused the configuration ({exc.orig}); nothing was changed. "
            "Fix the file (or the conflicting row) and apply again."
        ) from exc
    return ApplySummary(
        source=source,
        sha256=sha,
        created=rec.created,
        updated=rec.updated,
        deleted=rec.deleted,
        changes=tuple(rec.changes),
        revision_id=revision_id,
        demo=demo,
    )


def latest_revision(session: Session) -> m.ConfigRevision | None:
    """The configuration revision applied last, if any."""
    query = select(m.ConfigRevision).order_by(m.ConfigRevision.applied_at.desc(), m.ConfigRevision.id.desc())
    return session.scalars(query.limit(1)).first()


class _Apply:
    """One apply run inside one session: upserts first, a flush, then deletions."""

    def __init__(self, session: Session, rec: _Recorder) -> None:
        self.session = session
        self.rec = rec
        self.users: dict[str, m.User] = {}

    def run(self, config: cfg.CenterConfig) -> None:
        self._setting(INSTALLATION_NAME, config.installation.name)
        self._trunks(config.trunks)
        every_user = [u for u in config.installation.admins] + [u for t in config.tenants for u in t.users]
        names = [u.username for u in every_user]
        existing: Iterable[m.User] = (
            self.session.scalars(select(m.User).where(m.User.username.in_(names))) if names else []
        )
        self.users = {u.username: u for u in existing}
        for admin in config.installation.admins:
            self._user(None, "installation", admin)
        tenants = {
            t.name: t
            for t in self.session.scalars(
                select(m.Tenant).where(m.Tenant.name.in_([t.name for t in config.tenants]))
            )
        }
        kept: list[tuple[m.Tenant, cfg.Tenant]] = []
        for tenant in config.tenants:
            row = _upsert(
                self.session,
                self.rec,
                "tenants",
                tenant.name,
                tenants.get(tenant.name),
                m.Tenant,
                {"name": tenant.name, **tenant_values(tenant)},
            )
            kept.append((row, tenant))
            self._tenant(row, tenant)
        self.session.flush()
        self._delete_obsolete(config, kept)
        self.session.flush()

    def _setting(self, key: str, value: Any) -> None:
        row = self.session.get(m.Setting, key)
        if row is None:
            self.session.add(m.Setting(key=key, value=value))
            self.rec.record("created", "settings", key)
        elif _assign(row, {"value": value}):
            self.rec.record("updated", "settings", key, ["value"])

    def _trunks(self, trunks: list[cfg.Trunk]) -> None:
        """Each trunk one ``settings`` row by name; rows of trunks the file no longer names go."""
        query = select(m.Setting).where(m.Setting.key.startswith(TRUNK_PREFIX, autoescape=True))
        stored = {row.key.removeprefix(TRUNK_PREFIX): row for row in self.session.scalars(query)}
        for trunk in trunks:
            value = trunk_values(trunk)
            row = stored.pop(trunk.name, None)
            if row is None:
                self.session.add(m.Setting(key=TRUNK_PREFIX + trunk.name, value=value))
                self.rec.record("created", "trunks", trunk.name)
                continue
            old = row.value if isinstance(row.value, dict) else {}
            changed = [key for key, wanted in value.items() if old.get(key) != wanted]
            if _assign(row, {"value": value}):
                self.rec.record("updated", "trunks", trunk.name, changed or ["value"])
        for name, row in sorted(stored.items()):
            self.session.delete(row)
            self.rec.record("deleted", "trunks", name)

    def _user(self, tenant_id: str | None, tenant_label: str, user: cfg.User) -> m.User:
        row = self.users.get(user.username)
        values: dict[str, Any] = {
            "tenant_id": tenant_id,
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role.value,
            "from_config": True,
        }
        stored = row.password_hash if row is not None else None
        if user.password_hash:
            values["password_hash"] = user.password_hash
        elif user.password is not None:
            keep = stored is not None and verify_password(stored, user.password)
            values["password_hash"] = stored if keep else hash_password(user.password)
        elif row is None:
            values["password_hash"] = None  # cannot log in until a password is set
        row = _upsert(self.session, self.rec, "users", f"{tenant_label}/{user.username}", row, m.User, values)
        self.users[user.username] = row
        return row

    def _user_id(self, username: str, where: str) -> str:
        """The id of the agent's web user: from the file, else an existing (API-created) user."""
        row = self.users.get(username)
        if row is None:
            row = self.session.scalars(select(m.User).where(m.User.username == username)).first()
        if row is None:
            raise ConfigError([Problem(f"agent {where}: no user {username!r}", hint="add it under users")])
        return row.id

    def _tenant(self, row: m.Tenant, tenant: cfg.Tenant) -> None:
        session, rec, name = self.session, self.rec, tenant.name
        for user in tenant.users:
            self._user(row.id, name, user)

        skills = {s.name: s for s in session.scalars(select(m.Skill).where(m.Skill.tenant_id == row.id))}
        for skill in tenant.skills:
            values: dict[str, Any] = {
                "tenant_id": row.id, "name": skill.name, "description": skill.description,
            }
            skills[skill.name] = _upsert(
                session, rec, "skills", f"{name}/{skill.name}", skills.get(skill.name), m.Skill, values
            )

        queues = {q.name: q for q in session.scalars(select(m.Queue).where(m.Queue.tenant_id == row.id))}
        for queue in tenant.queues:
            queues[queue.name] = _upsert(
                session,
                rec,
                "queues",
                f"{name}/{queue.name}",
                queues.get(queue.name),
                m.Queue,
                queue_values(row.id, queue),
            )

        agents = {
            a.extension: a
            for a in session.scalars(
                select(m.Agent)
                .where(m.Agent.tenant_id == row.id)
                .options(selectinload(m.Agent.skills), selectinload(m.Agent.memberships))
            )
        }
        for agent in tenant.agents:
            values = {
                "tenant_id": row.id,
                "extension": agent.extension,
                "name": agent.name,
                "contact_uri": agent.contact,
                "languages": list(agent.languages),
                "tier": agent.tier.value,
                "user_id": self._user_id(agent.user, f"{name}/{agent.extension}") if agent.user else None,
            }
            values.update(agent_secret_values(tenant, agent))
            label = f"{name}/{agent.extension}"
            existing = agents.get(agent.extension)
            if existing is None:
                existing = agents[agent.extension] = m.Agent(id=new_id(), **values)
                session.add(existing)
                self._links(existing, agent, skills, queues)
                rec.record("created", "agents", label)
                continue
            changed = _assign(existing, values)
            links = self._links(existing, agent, skills, queues)
            if links and not changed:
                existing.updated_at = func.now()  # the agent changed even if only its links did
            if changed or links:
                rec.record("updated", "agents", label, changed + links)

        numbers = (
            {
                n.number: n
                for n in session.scalars(
                    select(m.PhoneNumber).where(m.PhoneNumber.number.in_([n.number for n in tenant.numbers]))
                )
            }
            if tenant.numbers
            else {}
        )
        for number in tenant.numbers:
            _upsert(
                session,
                rec,
                "numbers",
                f"{name}/{number.number}",
                numbers.get(number.number),
                m.PhoneNumber,
                number_values(row.id, tenant, number),
            )

    def _links(
        self, row: m.Agent, agent: cfg.Agent, skills: dict[str, m.Skill], queues: dict[str, m.Queue]
    ) -> list[str]:
        """Make the agent's skill levels and queue penalties match; return "skills"/"queues" if changed."""
        changed: list[str] = []
        want_skills = {}
        for skill in agent.skills:
            skill_name, level = (skill, 5) if isinstance(skill, str) else (skill.name, skill.level)
            want_skills[_known(skills, skill_name, "skill", row.extension).id] = level
        have_skills = {link.skill_id: link for link in row.skills}
        if _sync(
            self.session,
            row.skills,
            have_skills,
            want_skills,
            "level",
            lambda key, value: m.AgentSkill(skill_id=key, level=value),
        ):
            changed.append("skills")
        want_queues = {}
        for membership in agent.queues:
            queue_name, penalty = (
                (membership, 0) if isinstance(membership, str) else (membership.queue, membership.penalty)
            )
            want_queues[_known(queues, queue_name, "queue", row.extension).id] = penalty
        have_queues = {link.queue_id: link for link in row.memberships}
        if _sync(
            self.session,
            row.memberships,
            have_queues,
            want_queues,
            "penalty",
            lambda key, value: m.QueueMember(queue_id=key, penalty=value),
        ):
            changed.append("queues")
        return changed

    def _delete_obsolete(self, config: cfg.CenterConfig, kept: list[tuple[m.Tenant, cfg.Tenant]]) -> None:
        session, rec = self.session, self.rec
        usernames = {u.username for u in config.installation.admins} | {
            u.username for t in config.tenants for u in t.users
        }
        numbers_in_file = {n.number for t in config.tenants for n in t.numbers}
        managed_users = select(m.User).where(m.User.from_config.is_(True), m.User.tenant_id.is_(None))
        for user in session.scalars(managed_users):
            if user.username not in usernames:
                session.delete(user)
                rec.record("deleted", "users", f"installation/{user.username}")
        for row, tenant in kept:
            label = tenant.name
            wanted: dict[type[m.Agent | m.Queue | m.Skill | m.PhoneNumber], tuple[str, str, set[str]]] = {
                m.Agent: ("agents", "extension", {a.extension for a in tenant.agents}),
                m.Queue: ("queues", "name", {q.name for q in tenant.queues}),
                m.Skill: ("skills", "name", {s.name for s in tenant.skills}),
                m.PhoneNumber: ("numbers", "number", numbers_in_file),
            }
            for cls, (kind, key, keep) in wanted.items():
                for obj in session.scalars(select(cls).where(cls.tenant_id == row.id)):
                    if getattr(obj, key) not in keep:
                        session.delete(obj)
                        rec.record("deleted", kind, f"{label}/{getattr(obj, key)}")
            tenant_users = select(m.User).where(m.User.from_config.is_(True), m.User.tenant_id == row.id)
            for user in session.scalars(tenant_users):
                if user.username not in usernames:
                    session.delete(user)
                    rec.record("deleted", "users", f"{label}/{user.username}")


def _known(rows: dict[str, Any], name: str, what: str, extension: str) -> Any:
    """The row an agent refers to; the loader's rules report this first, this guards direct callers."""
    if name not in rows:
        raise ConfigError(
            [Problem(f"agent {extension}: unknown {what} {name!r}", hint=f"define the {what} first")]
        )
    return rows[name]


def _sync(
    session: Session, collection: list[Any], have: dict[str, Any], want: dict[str, int], attr: str, make: Any
) -> bool:
    """Reconcile an association collection keyed by the other side's id; return whether it changed."""
    changed = False
    for key, link in have.items():
        if key not in want:
            collection.remove(link)
            session.delete(link)
            changed = True
        elif getattr(link, attr) != want[key]:
            setattr(link, attr, want[key])
            changed = True
    for key, value in want.items():
        if key not in have:
            collection.append(make(key, value))
            changed = True
    return changed
