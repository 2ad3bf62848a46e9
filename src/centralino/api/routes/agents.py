"""Agents. Read: admin and supervisor see the tenant's agents; an agent sees only their own
record. Write: admin. Bodies are ``config.model.Agent``; a SIP password becomes HA1 digests
(MD5 and SHA-256) for the tenant's realm and is never stored or returned in clear.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from centralino.api.deps import API_PREFIX, Auth, DbDep, PagingDep, TenantQuery, audit, target_tenant
from centralino.api.errors import ApiError
from centralino.api.resources import delete_owned, owned_with_tenant, refuse_move, tenant_page, tenant_select
from centralino.api.schemas import NO_NUL, AgentIn, AgentOut, Page
from centralino.api.security import Principal
from centralino.config import model as cfg
from centralino.core.ids import new_id
from centralino.store.models import Agent, AgentSkill, Queue, QueueMember, Skill, Tenant, User
from centralino.store.passwords import digest_ha1

router = APIRouter(prefix=API_PREFIX, tags=["agents"])


def agent_out(session: Session, row: Agent, tenant: str) -> AgentOut:
    skill_names = dict(
        session.execute(select(Skill.id, Skill.name).where(Skill.tenant_id == row.tenant_id)).all()
    )
    queue_names = dict(
        session.execute(select(Queue.id, Queue.name).where(Queue.tenant_id == row.tenant_id)).all()
    )
    user = session.get(User, row.user_id) if row.user_id else None
    return AgentOut(
        id=row.id,
        tenant=tenant,
        extension=row.extension,
        name=row.name,
        contact=row.contact_uri,
        languages=list(row.languages or []),
        tier=row.tier,
        skills=sorted(
            (cfg.AgentSkill(name=skill_names[s.skill_id], level=s.level) for s in row.skills),
            key=lambda s: s.name,
        ),
        queues=sorted(
            (cfg.QueueMembership(queue=queue_names[q.queue_id], penalty=q.penalty) for q in row.memberships),
            key=lambda q: q.queue,
        ),
        user=user.username if user else None,
        has_sip_password=row.sip_ha1_md5 is not None,
    )


def _write(session: Session, tenant: Tenant, row: Agent, agent: cfg.Agent) -> None:
    """Copy ``agent`` onto ``row``, resolving skill, queue and user names within the tenant."""
    clash = session.scalar(
        select(Agent.id).where(Agent.tenant_id == tenant.id, Agent.extension == agent.extension)
    )
    if clash is not None and clash != row.id:
        raise ApiError.conflict(
            f"extension {agent.extension} exists in tenant {tenant.name!r}", field="extension"
        )
    if len(agent.name) > 200:
        raise ApiError.invalid("name", "at most 200 characters")
    skills = dict(session.execute(select(Skill.name, Skill.id).where(Skill.tenant_id == tenant.id)).all())
    queues = dict(session.execute(select(Queue.name, Queue.id).where(Queue.tenant_id == tenant.id)).all())
    want_skills: dict[str, int] = {}
    for index, item in enumerate(agent.skills):
        name, level = (item, 5) if isinstance(item, str) else (item.name, item.level)
        if name not in skills:
            raise ApiError.invalid(f"skills[{index}]", f"no skill {name!r} in tenant {tenant.name!r}")
        want_skills[skills[name]] = level
    want_queues: dict[str, int] = {}
    for index, member in enumerate(agent.queues):
        name, penalty = (member, 0) if isinstance(member, str) else (member.queue, member.penalty)
        if name not in queues:
            raise ApiError.invalid(f"queues[{index}]", f"no queue {name!r} in tenant {tenant.name!r}")
        want_queues[queues[name]] = penalty
    user_id = None
    if agent.user is not None:
        user_id = session.scalar(
            select(User.id).where(User.tenant_id == tenant.id, User.username == agent.user)
        )
        if user_id is None:
            raise ApiError.invalid("user", f"no user {agent.user!r} in tenant {tenant.name!r}")
    row.extension, row.name, row.contact_uri = agent.extension, agent.name, agent.contact
    row.languages, row.tier, row.user_id = list(agent.languages), agent.tier.value, user_id
    if agent.sip_password is not None:
        realm = tenant.sip_domain or tenant.name
        row.sip_realm = realm
        row.sip_ha1_md5 = digest_ha1(agent.extension, realm, agent.sip_password, "MD5")
        row.sip_ha1_sha256 = digest_ha1(agent.extension, realm, agent.sip_password, "SHA-256")
    row.skills = [AgentSkill(skill_id=k, level=v) for k, v in want_skills.items()]
    row.memberships = [QueueMember(queue_id=k, penalty=v) for k, v in want_queues.items()]


def _visible(principal: Principal, row: Agent) -> bool:
    return principal.has_role("admin", "supervisor") or row.user_id == principal.user_id


def _load(session: Session, principal: Principal, agent_id: str) -> tuple[Agent, Tenant]:
    row, tenant = owned_with_tenant(session, principal, Agent, agent_id, "agent")
    if not _visible(principal, row):
        raise ApiError.not_found("agent")
    return row, tenant


@router.get("/agents", response_model=Page[AgentOut])
def list_agents(
    principal: Auth,
    db: DbDep,
    paging: PagingDep,
    tenant: TenantQuery = None,
    extension: Annotated[str | None, Query(max_length=16, pattern=NO_NUL)] = None,
) -> Page[AgentOut]:
    """Agents of the tenant by extension; an agent's list holds only their own record."""
    with db.session() as session:
        stmt = tenant_select(session, principal, Agent, tenant)
        stmt = stmt.options(selectinload(Agent.skills), selectinload(Agent.memberships))
        if not principal.has_role("admin", "supervisor"):
            stmt = stmt.where(Agent.user_id == principal.user_id)
        if extension is not None:
            stmt = stmt.where(Agent.extension == extension)
        order = [Agent.tenant_id, Agent.extension, Agent.id]
        return tenant_page(session, stmt, order, paging, lambda row, name: agent_out(session, row, name))


@router.get("/agents/{agent_id}", response_model=AgentOut)
def get_agent(agent_id: str, principal: Auth, db: DbDep) -> AgentOut:
    with db.session() as session:
        row, owner = _load(session, principal, agent_id)
        return agent_out(session, row, owner.name)


@router.post("/agents", status_code=201, response_model=AgentOut)
def create_agent(body: AgentIn, principal: Auth, db: DbDep) -> AgentOut:
    principal.require("admin")
    with db.session() as session:
        tenant = target_tenant(session, principal, body.tenant)
        row = Agent(id=new_id(), tenant_id=tenant.id)
        _write(session, tenant, row, cfg.Agent(**body.model_dump(exclude={"tenant"})))
        session.add(row)
        audit(session, principal, "agent.create", row.extension, tenant_id=tenant.id)
        session.flush()
        return agent_out(session, row, tenant.name)


@router.put("/agents/{agent_id}", response_model=AgentOut)
def replace_agent(agent_id: str, body: AgentIn, principal: Auth, db: DbDep) -> AgentOut:
    """Replace the agent; without ``sip_password`` the stored SIP secret is kept."""
    principal.require("admin")
    with db.session() as session:
        row, tenant = owned_with_tenant(session, principal, Agent, agent_id, "agent")
        refuse_move(body.tenant, tenant, "an agent")
        old_extension = row.extension
        agent = cfg.Agent(**body.model_dump(exclude={"tenant"}))
        if agent.extension != old_extension and agent.sip_password is None and row.sip_ha1_md5 is not None:
            raise ApiError.invalid("sip_password", "changing the extension needs the SIP password again")
        _write(session, tenant, row, agent)
        audit(session, principal, "agent.update", row.extension, tenant_id=tenant.id)
        session.flush()
        return agent_out(session, row, tenant.name)


@router.delete("/agents/{agent_id}", status_code=204)
def delete_agent(agent_id: str, principal: Auth, db: DbDep) -> Response:
    principal.require("admin")
    return delete_owned(db, principal, Agent, agent_id, "agent", lambda row: row.extension, routed_as="agent")
