"""What routes share: the database, the caller, tenant scoping, paging, audit.

Tenant scoping lives here and nowhere else, so a route cannot forget it: lists
filter with ``scoped``, single objects load with ``owned`` (404 for another
tenant's object, the same answer as for a missing one), creations resolve their
tenant with ``target_tenant``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from centralino.api.errors import ApiError
from centralino.api.schemas import NO_NUL
from centralino.api.security import Principal, authenticate
from centralino.api.settings import ApiSettings
from centralino.core.ids import new_id
from centralino.store.db import Database
from centralino.store.models import AuditEntry, Tenant

__all__ = [
    "API_PREFIX",
    "PagingDep",
    "Auth",
    "DbDep",
    "Paging",
    "SettingsDep",
    "TenantQuery",
    "audit",
    "owned",
    "page",
    "scoped",
    "target_tenant",
    "tenant_filter",
    "tenant_names",
]

M = TypeVar("M")

API_PREFIX = "/api/v1"


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
Auth = Annotated[Principal, Depends(authenticate)]
TenantQuery = Annotated[
    str | None,
    Query(
        max_length=64,
        pattern=NO_NUL,
        description="tenant name; installation admins see all tenants without it",
    ),
]


@dataclass(frozen=True, slots=True)
class Paging:
    limit: int
    offset: int


def paging(
    limit: Annotated[int, Query(ge=1, le=500, description="items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000, description="items to skip")] = 0,
) -> Paging:
    return Paging(limit, offset)


PagingDep = Annotated[Paging, Depends(paging)]


def _tenant_by_name(session: Session, principal: Principal, name: str) -> Tenant:
    tenant = session.scalar(select(Tenant).where(Tenant.name == name))
    if tenant is None or (not principal.is_installation_admin and tenant.id != principal.tenant_id):
        raise ApiError(404, "not_found", f"tenant {name!r} not found", field="tenant")
    return tenant


def tenant_filter(session: Session, principal: Principal, name: str | None) -> str | None:
    """The tenant id a list is limited to; None means every tenant (installation admins only)."""
    if name is not None:
        return _tenant_by_name(session, principal, name).id
    return principal.tenant_id


def target_tenant(session: Session, principal: Principal, name: str | None) -> Tenant:
    """The tenant a new object goes to: the caller's own, or the named one for installation admins."""
    if name is not None:
        return _tenant_by_name(session, principal, name)
    if principal.tenant_id is None:
        raise ApiError.invalid("tenant", "installation admins must name the tenant")
    tenant = session.get(Tenant, principal.tenant_id)
    if tenant is None:
        raise ApiError.not_found("tenant")
    return tenant


def scoped(stmt: Select[Any], column: InstrumentedAttribute[Any], tenant_id: str | None) -> Select[Any]:
    return stmt if tenant_id is None else stmt.where(column == tenant_id)


def owned(session: Session, principal: Principal, model: type[M], object_id: str, what: str) -> M:
    """The object with this id if the caller's tenant owns it; 404 otherwise, never 403."""
    row = session.get(model, object_id)
    if row is None:
        raise ApiError.not_found(what)
    tenant_id = getattr(row, "tenant_id", None)
    if not principal.is_installation_admin and tenant_id != principal.tenant_id:
        raise ApiError.not_found(what)
    return row


def page(session: Session, stmt: Select[Any], order: Sequence[Any], paging: Paging) -> tuple[list[Any], int]:
    """One page of ``stmt`` in ``order`` (which must end in a unique key) and the total count."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(stmt.order_by(*order).limit(paging.limit).offset(paging.offset)).unique().all()
    return list(rows), total


def tenant_names(session: Session, ids: set[str | None]) -> dict[str, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(Tenant.id, Tenant.name).where(Tenant.id.in_(wanted))).all())


def audit(
    session: Session,
    principal: Principal | None,
    action: str,
    target: str | None = None,
    tenant_id: str | None = None,
    **detail: Any,
) -> None:
    """Record who did what; written in the same transaction as the change itself."""
    session.add(
        AuditEntry(
            id=new_id(),
            tenant_id=tenant_id if tenant_id is not None else (principal.tenant_id if principal else None),
            user_id=principal.user_id if principal else None,
            action=action,
            target=target,
            detail=detail,
        )
    )
