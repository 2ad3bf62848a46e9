"""Skills of a tenant. Read: admin, supervisor. Write: admin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from centralino.api.deps import API_PREFIX, Auth, DbDep, PagingDep, TenantQuery, audit, target_tenant
from centralino.api.errors import ApiError
from centralino.api.resources import delete_owned, owned_with_tenant, tenant_page, tenant_select
from centralino.api.schemas import NO_NUL, Page, SkillIn, SkillOut, SkillPatch
from centralino.core.ids import new_id
from centralino.store.models import Skill

router = APIRouter(prefix=API_PREFIX, tags=["skills"])


def skill_out(row: Skill, tenant: str) -> SkillOut:
    return SkillOut(id=row.id, tenant=tenant, name=row.name, description=row.description)


@router.get("/skills", response_model=Page[SkillOut])
def list_skills(
    principal: Auth,
    db: DbDep,
    paging: PagingDep,
    tenant: TenantQuery = None,
    name: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
) -> Page[SkillOut]:
    principal.require("admin", "supervisor")
    with db.session() as session:
        stmt = tenant_select(session, principal, Skill, tenant)
        if name is not None:
            stmt = stmt.where(Skill.name == name)
        return tenant_page(session, stmt, [Skill.tenant_id, Skill.name, Skill.id], paging, skill_out)


@router.get("/skills/{skill_id}", response_model=SkillOut)
def get_skill(skill_id: str, principal: Auth, db: DbDep) -> SkillOut:
    principal.require("admin", "supervisor")
    with db.session() as session:
        row, owner = owned_with_tenant(session, principal, Skill, skill_id, "skill")
        return skill_out(row, owner.name)


@router.post("/skills", status_code=201, response_model=SkillOut)
def create_skill(body: SkillIn, principal: Auth, db: DbDep) -> SkillOut:
    principal.require("admin")
    with db.session() as session:
        tenant = target_tenant(session, principal, body.tenant)
        exists = select(Skill.id).where(Skill.tenant_id == tenant.id, Skill.name == body.name)
        if session.scalar(exists) is not None:
            raise ApiError.conflict(f"skill {body.name!r} exists in tenant {tenant.name!r}", field="name")
        row = Skill(id=new_id(), tenant_id=tenant.id, name=body.name, description=body.description)
        session.add(row)
        audit(session, principal, "skill.create", body.name, tenant_id=tenant.id)
        return skill_out(row, tenant.name)


@router.patch("/skills/{skill_id}", response_model=SkillOut)
def update_skill(skill_id: str, body: SkillPatch, principal: Auth, db: DbDep) -> SkillOut:
    principal.require("admin")
    with db.session() as session:
        row, owner = owned_with_tenant(session, principal, Skill, skill_id, "skill")
        row.description = body.description
        audit(session, principal, "skill.update", row.name, tenant_id=owner.id)
        return skill_out(row, owner.name)


@router.delete("/skills/{skill_id}", status_code=204)
def delete_skill(skill_id: str, principal: Auth, db: DbDep) -> Response:
    principal.require("admin")
    return delete_owned(db, principal, Skill, skill_id, "skill", lambda row: row.name)
