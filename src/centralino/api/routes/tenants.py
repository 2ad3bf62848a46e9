"""Tenants: the client companies. Everyone sees their own; installation admins manage them all."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from centralino.api.deps import API_PREFIX, Auth, DbDep, PagingDep, audit, page, scoped
from centralino.api.errors import ApiError
from centralino.api.schemas import NO_NUL, Page, TenantIn, TenantOut, TenantPatch
from centralino.api.security import Principal
from centralino.core.ids import new_id
from centralino.store.models import Tenant

router = APIRouter(prefix=API_PREFIX, tags=["tenants"])


def tenant_out(row: Tenant) -> TenantOut:
    return TenantOut(
        id=row.id,
        name=row.name,
        display_name=row.display_name,
        country=row.country,
        time_zone=row.time_zone,
        language=row.language,
        sip_domain=row.sip_domain,
        created_at=row.created_at,
    )


def _owned_tenant(session: Session, principal: Principal, tenant_id: str) -> Tenant:
    row = session.get(Tenant, tenant_id)
    if row is None or (not principal.is_installation_admin and row.id != principal.tenant_id):
        raise ApiError.not_found("tenant")
    return row


@router.get("/tenants", response_model=Page[TenantOut])
def list_tenants(
    principal: Auth,
    db: DbDep,
    paging: PagingDep,
    name: Annotated[str | None, Query(max_length=64, pattern=NO_NUL, description="exact tenant name")] = None,
    sort: Literal["name", "created_at"] = "name",
) -> Page[TenantOut]:
    with db.session() as session:
        stmt = scoped(select(Tenant), Tenant.id, principal.tenant_id)
        if name is not None:
            stmt = stmt.where(Tenant.name == name)
        key = Tenant.name if sort == "name" else Tenant.created_at
        rows, total = page(session, stmt, [key, Tenant.id], paging)
        return Page(
            items=[tenant_out(r) for r in rows], total=total, limit=paging.limit, offset=paging.offset
        )


@router.get("/tenants/{tenant_id}", response_model=TenantOut)
def get_tenant(tenant_id: str, principal: Auth, db: DbDep) -> TenantOut:
    with db.session() as session:
        return tenant_out(_owned_tenant(session, principal, tenant_id))


@router.post("/tenants", status_code=201, response_model=TenantOut)
def create_tenant(body: TenantIn, principal: Auth, db: DbDep) -> TenantOut:
    """Installation admins only."""
    if not principal.is_installation_admin:
        raise ApiError.forbidden("only installation admins create tenants")
    with db.session() as session:
        if session.scalar(select(Tenant.id).where(Tenant.name == body.name)) is not None:
            raise ApiError.conflict(f"tenant {body.name!r} exists", field="name")
        row = Tenant(id=new_id(), settings={}, **body.model_dump())
        session.add(row)
        audit(session, principal, "tenant.create", body.name, tenant_id=row.id)
        session.flush()
        session.refresh(row)
        return tenant_out(row)


@router.patch("/tenants/{tenant_id}", response_model=TenantOut)
def update_tenant(tenant_id: str, body: TenantPatch, principal: Auth, db: DbDep) -> TenantOut:
    """Installation admins, or the tenant's own admins."""
    principal.require("admin")
    with db.session() as session:
        row = _owned_tenant(session, principal, tenant_id)
        changes = body.model_dump(exclude_unset=True)
        for key, value in changes.items():
            if value is None and key in {"country", "time_zone", "language"}:
                raise ApiError.invalid(key, f"{key} cannot be empty")
            setattr(row, key, value)
        audit(session, principal, "tenant.update", row.name, tenant_id=row.id, fields=sorted(changes))
        session.flush()
        return tenant_out(row)


@router.delete("/tenants/{tenant_id}", status_code=204)
def delete_tenant(tenant_id: str, principal: Auth, db: DbDep) -> Response:
    """Installation admins only; removes everything the tenant owns."""
    if not principal.is_installation_admin:
        raise ApiError.forbidden("only installation admins delete tenants")
    with db.session() as session:
        row = _owned_tenant(session, principal, tenant_id)
        audit(session, principal, "tenant.delete", row.name, tenant_id=row.id)
        session.delete(row)
    return Response(status_code=204)
