"""Queues. Read: everyone in the tenant (agents see which queues exist). Write: admin.

Bodies are ``config.model.Queue``: the API accepts exactly what the file does, and
the row mapping is the one ``config apply`` uses (``store.apply.queue_values``),
so an API change exports back to the same YAML.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from centralino.api.deps import API_PREFIX, Auth, DbDep, PagingDep, TenantQuery, audit, target_tenant
from centralino.api.errors import ApiError
from centralino.api.resources import delete_owned, owned_with_tenant, refuse_move, tenant_page, tenant_select
from centralino.api.schemas import NO_NUL, Page, QueueIn, QueueOut
from centralino.config import model as cfg
from centralino.store.mapping import QUEUE_COLUMNS, queue_values
from centralino.store.models import Queue, Skill, Tenant

router = APIRouter(prefix=API_PREFIX, tags=["queues"])


def queue_out(row: Queue, tenant: str) -> QueueOut:
    columns = {name: getattr(row, name) for name in QUEUE_COLUMNS}
    return QueueOut(id=row.id, tenant=tenant, **{**(row.settings or {}), **columns})


def check_queue(session: Session, tenant: Tenant, queue: cfg.Queue, own_id: str | None) -> None:
    """Names the queue refers to must exist in its tenant; its name must be free."""
    clash = select(Queue.id).where(Queue.tenant_id == tenant.id, Queue.name == queue.name)
    found = session.scalar(clash)
    if found is not None and found != own_id:
        raise ApiError.conflict(f"queue {queue.name!r} exists in tenant {tenant.name!r}", field="name")
    skills = set(session.scalars(select(Skill.name).where(Skill.tenant_id == tenant.id)))
    for skill in queue.skills:
        if skill not in skills:
            raise ApiError.invalid(f"skills.{skill}", f"no skill {skill!r} in tenant {tenant.name!r}")
    queues = set(session.scalars(select(Queue.name).where(Queue.tenant_id == tenant.id))) | {queue.name}
    for index, step in enumerate(queue.steps):
        if step.overflow_to is not None and step.overflow_to not in queues:
            raise ApiError.invalid(f"steps[{index}].overflow_to", f"no queue {step.overflow_to!r}")
        for skill in step.drop_skills:
            if skill not in queue.skills:
                raise ApiError.invalid(
                    f"steps[{index}].drop_skills", f"{skill!r} is not required by the queue"
                )


def _config_of(body: QueueIn) -> cfg.Queue:
    return cfg.Queue(**body.model_dump(exclude={"tenant"}))


@router.get("/queues", response_model=Page[QueueOut])
def list_queues(
    principal: Auth,
    db: DbDep,
    paging: PagingDep,
    tenant: TenantQuery = None,
    name: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
) -> Page[QueueOut]:
    with db.session() as session:
        stmt = tenant_select(session, principal, Queue, tenant)
        if name is not None:
            stmt = stmt.where(Queue.name == name)
        return tenant_page(session, stmt, [Queue.tenant_id, Queue.name, Queue.id], paging, queue_out)


@router.get("/queues/{queue_id}", response_model=QueueOut)
def get_queue(queue_id: str, principal: Auth, db: DbDep) -> QueueOut:
    with db.session() as session:
        row, owner = owned_with_tenant(session, principal, Queue, queue_id, "queue")
        return queue_out(row, owner.name)


@router.post("/queues", status_code=201, response_model=QueueOut)
def create_queue(body: QueueIn, principal: Auth, db: DbDep) -> QueueOut:
    principal.require("admin")
    with db.session() as session:
        tenant = target_tenant(session, principal, body.tenant)
        queue = _config_of(body)
        check_queue(session, tenant, queue, None)
        row = Queue(**queue_values(tenant.id, queue))
        session.add(row)
        audit(session, principal, "queue.create", queue.name, tenant_id=tenant.id)
        session.flush()
        return queue_out(row, tenant.name)


@router.put("/queues/{queue_id}", response_model=QueueOut)
def replace_queue(queue_id: str, body: QueueIn, principal: Auth, db: DbDep) -> QueueOut:
    """Replace the queue's settings with the body (``tenant`` cannot change)."""
    principal.require("admin")
    with db.session() as session:
        row, tenant = owned_with_tenant(session, principal, Queue, queue_id, "queue")
        refuse_move(body.tenant, tenant, "a queue")
        queue = _config_of(body)
        check_queue(session, tenant, queue, row.id)
        for key, value in queue_values(tenant.id, queue).items():
            setattr(row, key, value)
        audit(session, principal, "queue.update", queue.name, tenant_id=tenant.id)
        session.flush()
        return queue_out(row, tenant.name)


@router.delete("/queues/{queue_id}", status_code=204)
def delete_queue(queue_id: str, principal: Auth, db: DbDep) -> Response:
    principal.require("admin")
    return delete_owned(db, principal, Queue, queue_id, "queue", lambda row: row.name, routed_as="queue")
