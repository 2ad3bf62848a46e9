"""Phone numbers customers dial. Read: admin, supervisor. Write: admin.

A number is checked like the configuration file checks it: E.164 and valid for
its country (or a 2-8 digit internal number), unique in the installation, its
route pointing at a queue or agent of the same tenant.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from centralino.api.deps import API_PREFIX, Auth, DbDep, PagingDep, TenantQuery, audit, target_tenant
from centralino.api.errors import ApiError
from centralino.api.resources import delete_owned, owned_with_tenant, tenant_page, tenant_select
from centralino.api.schemas import NO_NUL, NumberIn, NumberOut, NumberPatch, Page
from centralino.config.model import Route, RouteKind
from centralino.config.numbers import classify_number, number_time_zone
from centralino.core.ids import new_id
from centralino.store.models import Agent, PhoneNumber, Queue, Tenant

router = APIRouter(prefix=API_PREFIX, tags=["numbers"])


def number_out(row: PhoneNumber, tenant: str) -> NumberOut:
    return NumberOut(
        id=row.id,
        tenant=tenant,
        number=row.number,
        name=row.name,
        kind=row.kind,
        country=row.country,
        time_zone=row.time_zone,
        hours=row.hours,
        route=Route(kind=RouteKind(row.route_kind), target=row.route_target),
    )


def check_route(session: Session, tenant: Tenant, route: Route) -> None:
    """The route's target must exist in the number's tenant (422 naming ``route.target``)."""
    if route.kind is RouteKind.echo:
        return
    if not route.target:
        raise ApiError.invalid("route.target", f"a {route.kind.value} route needs a target")
    if route.kind is RouteKind.queue:
        found = select(Queue.id).where(Queue.tenant_id == tenant.id, Queue.name == route.target)
    elif route.kind is RouteKind.agent:
        found = select(Agent.id).where(Agent.tenant_id == tenant.id, Agent.extension == route.target)
    else:
        return  # IVR flows are files, checked when the flow loader exists
    if session.scalar(found) is None:
        raise ApiError.invalid(
            "route.target", f"no {route.kind.value} {route.target!r} in tenant {tenant.name!r}"
        )


def check_hours(tenant: Tenant, hours: str | None) -> None:
    known = (tenant.settings or {}).get("business_hours") or {}
    if hours is not None and hours not in known:
        raise ApiError.invalid("hours", f"tenant {tenant.name!r} has no business hours named {hours!r}")


@router.get("/numbers", response_model=Page[NumberOut])
def list_numbers(
    principal: Auth,
    db: DbDep,
    paging: PagingDep,
    tenant: TenantQuery = None,
    number: Annotated[str | None, Query(max_length=40, pattern=NO_NUL, description="exact E.164")] = None,
) -> Page[NumberOut]:
    principal.require("admin", "supervisor")
    with db.session() as session:
        stmt = tenant_select(session, principal, PhoneNumber, tenant)
        if number is not None:
            stmt = stmt.where(PhoneNumber.number == number)
        return tenant_page(session, stmt, [PhoneNumber.number, PhoneNumber.id], paging, number_out)


@router.get("/numbers/{number_id}", response_model=NumberOut)
def get_number(number_id: str, principal: Auth, db: DbDep) -> NumberOut:
    principal.require("admin", "supervisor")
    with db.session() as session:
        row, owner = owned_with_tenant(session, principal, PhoneNumber, number_id, "number")
        return number_out(row, owner.name)


@router.post("/numbers", status_code=201, response_model=NumberOut)
def create_number(body: NumberIn, principal: Auth, db: DbDep) -> NumberOut:
    principal.require("admin")
    with db.session() as session:
        tenant = target_tenant(session, principal, body.tenant)
        info = classify_number(body.number)
        if not info.valid:
            raise ApiError.invalid(
                "number", f"{body.number!r} is neither a valid E.164 number (+48...) nor 2-8 internal digits"
            )
        number = info.e164 or body.number.strip()
        if session.scalar(select(PhoneNumber.id).where(PhoneNumber.number == number)) is not None:
            raise ApiError.conflict(f"number {number} is already in use", field="number")
        check_route(session, tenant, body.route)
        check_hours(tenant, body.hours)
        row = PhoneNumber(
            id=new_id(),
            tenant_id=tenant.id,
            number=number,
            name=body.name,
            kind=info.kind.value,
            country=info.region,
            time_zone=number_time_zone(number, tenant.time_zone, body.time_zone),
            hours=body.hours,
            route_kind=body.route.kind.value,
            route_target=body.route.target,
        )
        session.add(row)
        audit(session, principal, "number.create", number, tenant_id=tenant.id)
        return number_out(row, tenant.name)


@router.patch("/numbers/{number_id}", response_model=NumberOut)
def update_number(number_id: str, body: NumberPatch, principal: Auth, db: DbDep) -> NumberOut:
    principal.require("admin")
    with db.session() as session:
        row, tenant = owned_with_tenant(session, principal, PhoneNumber, number_id, "number")
        changes = body.model_dump(exclude_unset=True)
        if "name" in changes:
            row.name = body.name
        if "time_zone" in changes:
            row.time_zone = number_time_zone(row.number, tenant.time_zone, body.time_zone)
        if "hours" in changes:
            check_hours(tenant, body.hours)
            row.hours = body.hours
        if body.route is not None:
            check_route(session, tenant, body.route)
            row.route_kind, row.route_target = body.route.kind.value, body.route.target
        audit(session, principal, "number.update", row.number, tenant_id=tenant.id, fields=sorted(changes))
        return number_out(row, tenant.name)


@router.delete("/numbers/{number_id}", status_code=204)
def delete_number(number_id: str, principal: Auth, db: DbDep) -> Response:
    principal.require("admin")
    return delete_owned(db, principal, PhoneNumber, number_id, "number", lambda row: row.number)
