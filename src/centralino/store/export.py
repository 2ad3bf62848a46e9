"""``config export``: rebuild the configuration file's model from the database.

The inverse of ``apply_config`` for everything the file can say, so that
applying an export changes nothing, and ``config.dump`` of an export loads back
with ``config.load`` (no errors) into a fresh installation that works the same:

- **Secrets as hashes.** Users are exported with ``password_hash`` (the stored
  argon2 hash), agents with ``sip_ha1`` (realm and the stored HA1 digests);
  neither needs the plain password, and both are stored as given on apply.
- **IVR flows** come back from the tenant's ``settings`` as the file gave them.
- **Trunks** come back from their ``settings`` rows, with ``password_ha1`` (the stored HA1s,
  realm ``centralino``) instead of a password.
- **Order and defaults spelled out.** Entities come back sorted by their natural
  key, every field explicit, and each number with its resolved time zone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from centralino.config import model as cfg
from centralino.store import models as m
from centralino.store.db import Database
from centralino.store.mapping import INSTALLATION_NAME, TRUNK_PREFIX, agent_ha1, trunk_from_value

__all__ = ["export_config"]


def export_config(db: Database, *, all_users: bool = False) -> cfg.CenterConfig:
    """The configuration stored in ``db``; ``all_users`` adds users created outside the file.

    Exported users carry ``password_hash``, agents ``sip_ha1``, trunks ``password_ha1`` (see the
    module docstring).
    Applying this export with ``all_users=True`` would make those users config-managed.
    """
    with db.session() as session:
        name = session.get(m.Setting, INSTALLATION_NAME)
        admins = [_user(u) for u in _users(session, None, all_users)]
        tenants = [
            _tenant(session, t, all_users) for t in session.scalars(select(m.Tenant).order_by(m.Tenant.name))
        ]
        trunk_rows = session.scalars(
            select(m.Setting).where(m.Setting.key.startswith(TRUNK_PREFIX, autoescape=True))
        )
        trunks = sorted(
            (trunk_from_value(row.key.removeprefix(TRUNK_PREFIX), row.value) for row in trunk_rows),
            key=lambda t: t.name,
        )
    installation = cfg.Installation(admins=admins, **({"name": name.value} if name and name.value else {}))
    return cfg.CenterConfig(installation=installation, trunks=trunks, tenants=tenants)


def _users(session: Session, tenant_id: str | None, all_users: bool) -> list[m.User]:
    query = select(m.User).order_by(m.User.username)
    query = query.where(m.User.tenant_id.is_(None) if tenant_id is None else m.User.tenant_id == tenant_id)
    if not all_users:
        query = query.where(m.User.from_config.is_(True))
    return list(session.scalars(query))


def _user(row: m.User) -> cfg.User:
    return cfg.User(
        username=row.username,
        role=cfg.Role(row.role),
        password_hash=row.password_hash,
        display_name=row.display_name,
    )


def _tenant(session: Session, row: m.Tenant, all_users: bool) -> cfg.Tenant:
    tid = row.id
    skills = list(session.scalars(select(m.Skill).where(m.Skill.tenant_id == tid).order_by(m.Skill.name)))
    queues = list(session.scalars(select(m.Queue).where(m.Queue.tenant_id == tid).order_by(m.Queue.name)))
    skill_names = {s.id: s.name for s in skills}
    queue_names = {q.id: q.name for q in queues}
    agents = session.scalars(
        select(m.Agent)
        .where(m.Agent.tenant_id == tid)
        .order_by(m.Agent.extension)
        .options(selectinload(m.Agent.skills), selectinload(m.Agent.memberships))
    )
    usernames = {uid: name for uid, name in session.execute(select(m.User.id, m.User.username))}
    numbers = session.scalars(
        select(m.PhoneNumber).where(m.PhoneNumber.tenant_id == tid).order_by(m.PhoneNumber.number)
    )
    settings: dict[str, Any] = row.settings or {}
    return cfg.Tenant(
        name=row.name,
        display_name=row.display_name,
        country=row.country,
        time_zone=row.time_zone,
        language=row.language,
        sip_domain=row.sip_domain,
        **settings,
        numbers=[
            cfg.PhoneNumber(
                number=n.number,
                name=n.name,
                time_zone=n.time_zone,
                hours=n.hours,
                route=cfg.Route(kind=cfg.RouteKind(n.route_kind), target=n.route_target),
            )
            for n in numbers
        ],
        skills=[cfg.Skill(name=s.name, description=s.description) for s in skills],
        queues=[
            cfg.Queue(
                name=q.name,
                description=q.description,
                strategy=cfg.Strategy(q.strategy),
                priority=q.priority,
                service_level_threshold=q.service_level_threshold,
                service_level_formula=cfg.ServiceLevelFormula(q.service_level_formula),
                **(q.settings or {}),
            )
            for q in queues
        ],
        agents=[_agent(a, skill_names, queue_names, usernames) for a in agents],
        users=[_user(u) for u in _users(session, tid, all_users)],
    )


def _agent(
    row: m.Agent, skill_names: dict[str, str], queue_names: dict[str, str], usernames: dict[str, str]
) -> cfg.Agent:
    skills = sorted((skill_names[k.skill_id], k.level) for k in row.skills)
    queues = sorted((queue_names[k.queue_id], k.penalty) for k in row.memberships)
    return cfg.Agent(
        extension=row.extension,
        name=row.name,
        sip_ha1=agent_ha1(row.sip_realm, row.sip_ha1_md5, row.sip_ha1_sha256),
        contact=row.contact_uri,
        languages=list(row.languages),
        tier=cfg.Tier(row.tier),
        user=usernames.get(row.user_id) if row.user_id else None,
        skills=[cfg.AgentSkill(name=name, level=level) for name, level in skills],
        queues=[cfg.QueueMembership(queue=name, penalty=penalty) for name, penalty in queues],
    )
