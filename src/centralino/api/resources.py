"""What the tenant-owned resources (numbers, skills, queues, agents, customers) do alike.

Each route stays a plain FastAPI function, because its name, signature and docstring make the
OpenAPI document; its body calls these helpers for the steps that are the same for every
resource, so a rule about tenants, pages or audit is written once:

- ``tenant_select``: the SELECT a list starts from, limited to the tenant the caller may see;
- ``tenant_page``: one page of it with each row's tenant name, as a ``Page``;
- ``owned_with_tenant``: fetch-or-404 (another tenant's object is "not found", never 403) and
  the tenant it belongs to;
- ``refuse_move``: a replaced object stays in its tenant;
- ``delete_owned``: the audited delete (``<what>.delete``); for a queue or an agent it first
  refuses while a phone number still routes to it (``refuse_if_routed``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol, TypeVar

from fastapi import Response
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from centralino.api.deps import Paging, audit, owned, page, tenant_filter, tenant_names
from centralino.api.errors import ApiError
from centralino.api.schemas import Page
from centralino.api.security import Principal
from centralino.store.db import Database
from centralino.store.models import PhoneNumber, Tenant

__all__ = [
    "TenantOwned",
    "delete_owned",
    "owned_with_tenant",
    "refuse_if_routed",
    "refuse_move",
    "tenant_page",
    "tenant_select",
]


class TenantOwned(Protocol):
    """A row that belongs to one tenant (every configuration resource and customer)."""

    @property
    def tenant_id(self) -> str: ...


R = TypeVar("R", bound=TenantOwned)
Out = TypeVar("Out")


def tenant_select(session: Session, principal: Principal, model: type[R], tenant: str | None) -> Select[R]:
    """``SELECT model`` limited to the named tenant, else the caller's (every tenant for installation
    admins); naming a tenant the caller may not see is a 404 (``tenant_filter``)."""
    stmt = select(model)
    tenant_id = tenant_filter(session, principal, tenant)
    return stmt if tenant_id is None else stmt.filter_by(tenant_id=tenant_id)


def tenant_page(
    session: Session, stmt: Select[R], order: Sequence[Any], paging: Paging, out: Callable[[R, str], Out]
) -> Page[Out]:
    """One page of ``stmt`` in ``order`` (ending in a unique key), each row shown with its tenant name."""
    rows, total = page(session, stmt, order, paging)
    names = tenant_names(session, {r.tenant_id for r in rows})
    items = [out(r, names[r.tenant_id]) for r in rows]
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


def owned_with_tenant(
    session: Session, principal: Principal, model: type[R], object_id: str, what: str
) -> tuple[R, Tenant]:
    """The object if the caller's tenant owns it (404 otherwise, see ``owned``) and its tenant."""
    row = owned(session, principal, model, object_id, what)
    tenant = session.get(Tenant, row.tenant_id)
    if tenant is None:  # the foreign key forbids it; a 404 beats an AttributeError if it ever happens
        raise ApiError.not_found("tenant")
    return row, tenant


def refuse_move(requested: str | None, tenant: Tenant, noun: str) -> None:
    """422 when a replacing body names another tenant: objects never change tenant."""
    if requested is not None and requested != tenant.name:
        raise ApiError.invalid("tenant", f"{noun} cannot move to another tenant")


def refuse_if_routed(session: Session, tenant_id: str, kind: Literal["queue", "agent"], target: str) -> None:
    """409 naming the phone numbers that still route to this queue or agent."""
    routed = select(PhoneNumber.number).where(
        PhoneNumber.tenant_id == tenant_id,
        PhoneNumber.route_kind == kind,
        PhoneNumber.route_target == target,
    )
    numbers = list(session.scalars(routed))
    if numbers:
        raise ApiError.conflict(f"numbers {', '.join(numbers)} route to this {kind}; change them first")


def delete_owned(
    db: Database,
    principal: Principal,
    model: type[R],
    object_id: str,
    what: str,
    label: Callable[[R], str],
    *,
    routed_as: Literal["queue", "agent"] | None = None,
) -> Response:
    """Delete the caller's object (404 for another tenant's), audited as ``<what>.delete`` with
    ``label(row)`` as target in the same transaction. With ``routed_as``, ``label(row)`` is also
    what a number's route names (a queue's name, an agent's extension): 409 while one does."""
    with db.session() as session:
        row = owned(session, principal, model, object_id, what)
        if routed_as is not None:
            refuse_if_routed(session, row.tenant_id, routed_as, label(row))
        audit(session, principal, f"{what}.delete", label(row), tenant_id=row.tenant_id)
        session.delete(row)
    return Response(status_code=204)
