"""Web users. Read: admin, supervisor (of their tenant). Write: admin.

A tenant admin manages the users of their tenant only and cannot create
installation admins; installation admins manage everyone. Passwords are stored
as argon2id hashes and never returned.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from centralino.api.deps import (
    API_PREFIX,
    Auth,
    DbDep,
    PagingDep,
    TenantQuery,
    audit,
    page,
    target_tenant,
    tenant_filter,
    tenant_names,
)
from centralino.api.errors import ApiError
from centralino.api.schemas import NO_NUL, Page, UserIn, UserOut, UserPatch, as_role
from centralino.api.security import Principal
from centralino.core.ids import new_id
from centralino.store.models import User
from centralino.store.passwords import hash_password

router = APIRouter(prefix=API_PREFIX, tags=["users"])


def user_out(row: User, tenant: str | None) -> UserOut:
    return UserOut(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=as_role(row.role),
        tenant=tenant,
        active=row.active,
        from_config=row.from_config,
        created_at=row.created_at,
    )


def _visible(principal: Principal, row: User) -> bool:
    return principal.is_installation_admin or row.tenant_id == principal.tenant_id


@router.get("/users", response_model=Page[UserOut])
def list_users(
    principal: Auth,
    db: DbDep,
    paging: PagingDep,
    tenant: TenantQuery = None,
    username: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    role: Literal["admin", "supervisor", "agent"] | None = None,
) -> Page[UserOut]:
    principal.require("admin", "supervisor")
    with db.session() as session:
        stmt = select(User)
        tenant_id = tenant_filter(session, principal, tenant)
        if tenant_id is not None:
            stmt = stmt.where(User.tenant_id == tenant_id)
        if username is not None:
            stmt = stmt.where(User.username == username)
        if role is not None:
            stmt = stmt.where(User.role == role)
        rows, total = page(session, stmt, [User.username, User.id], paging)
        names = tenant_names(session, {r.tenant_id for r in rows})
        items = [user_out(r, names.get(r.tenant_id or "")) for r in rows]
        return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(user_id: str, principal: Auth, db: DbDep) -> UserOut:
    principal.require("admin", "supervisor")
    with db.session() as session:
        row = session.get(User, user_id)
        if row is None or not _visible(principal, row):
            raise ApiError.not_found("user")
        return user_out(row, tenant_names(session, {row.tenant_id}).get(row.tenant_id or ""))


@router.post("/users", status_code=201, response_model=UserOut)
def create_user(body: UserIn, principal: Auth, db: DbDep) -> UserOut:
    """Without ``tenant`` the user joins the caller's tenant; an installation admin creates another one."""
    principal.require("admin")
    with db.session() as session:
        if body.tenant is None and principal.is_installation_admin:
            if body.role != "admin":
                raise ApiError.invalid("tenant", "users outside a tenant must be admins; name the tenant")
            tenant_id, tenant_name = None, None
        else:
            tenant = target_tenant(session, principal, body.tenant)
            tenant_id, tenant_name = tenant.id, tenant.name
        if session.scalar(select(User.id).where(User.username == body.username)) is not None:
            raise ApiError.conflict(f"username {body.username!r} is taken", field="username")
        row = User(
            id=new_id(),
            tenant_id=tenant_id,
            username=body.username,
            display_name=body.display_name,
            role=body.role,
            active=body.active,
            password_hash=hash_password(body.password) if body.password else None,
            from_config=False,
        )
        session.add(row)
        audit(session, principal, "user.create", body.username, tenant_id=tenant_id)
        session.flush()
        session.refresh(row)
        return user_out(row, tenant_name)


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(user_id: str, body: UserPatch, principal: Auth, db: DbDep) -> UserOut:
    principal.require("admin")
    with db.session() as session:
        row = session.get(User, user_id)
        if row is None or not _visible(principal, row):
            raise ApiError.not_found("user")
        changes = body.model_dump(exclude_unset=True)
        for key in ("role", "active"):
            if key in changes and changes[key] is None:
                raise ApiError.invalid(key, f"{key} cannot be null")
        if row.tenant_id is None and changes.get("role") not in (None, "admin"):
            raise ApiError.invalid("role", "an installation admin stays an admin; delete the user instead")
        if body.role is not None:
            row.role = body.role
        if body.active is not None:
            row.active = body.active
        if "display_name" in changes:
            row.display_name = body.display_name
        if body.password is not None:
            row.password_hash = hash_password(body.password)
        audit(
            session, principal, "user.update", row.username, tenant_id=row.tenant_id, fields=sorted(changes)
        )
        session.flush()
        return user_out(row, tenant_names(session, {row.tenant_id}).get(row.tenant_id or ""))


@router.delete("/users/{user_id}", status_code=204)
def delete_user(user_id: str, principal: Auth, db: DbDep) -> Response:
    principal.require("admin")
    with db.session() as session:
        row = session.get(User, user_id)
        if row is None or not _visible(principal, row):
            raise ApiError.not_found("user")
        if row.id == principal.user_id:
            raise ApiError.conflict("you cannot delete yourself")
        audit(session, principal, "user.delete", row.username, tenant_id=row.tenant_id)
        session.delete(row)
    return Response(status_code=204)
