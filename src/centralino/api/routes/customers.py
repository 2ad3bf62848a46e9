"""The customer database: what the screen pop shows and the IVR verifies.

Everyone in a tenant reads and writes its customers (agents update a file during a
call); deleting one needs admin or supervisor. Phone numbers are stored in E.164,
parsed with ``phonenumbers`` using the tenant's country for national notation, so
a caller ID matches however the number was typed. The PIN is write-only: an
argon2id hash is stored, ``has_pin`` tells whether one is set, and
``verify-pin`` answers yes or no. After ``PIN_ATTEMPTS`` wrong PINs within
``PIN_WINDOW`` seconds the customer is locked for the rest of the window (429),
counted from the audit log so the limit holds across processes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import phonenumbers
from fastapi import APIRouter, Query, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from centralino.api.deps import (
    API_PREFIX,
    Auth,
    DbDep,
    PagingDep,
    SettingsDep,
    TenantQuery,
    audit,
    scoped,
    target_tenant,
    tenant_filter,
)
from centralino.api.errors import ApiError
from centralino.api.resources import delete_owned, owned_with_tenant, tenant_page
from centralino.api.schemas import (
    NO_NUL,
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    Page,
    PhoneIn,
    PhoneOut,
    PinCheck,
    PinResult,
)
from centralino.core.ids import new_id
from centralino.store.models import AuditEntry, Customer, CustomerPhone, Tenant
from centralino.store.passwords import hash_password, verify_password

router = APIRouter(prefix=API_PREFIX, tags=["customers"])

PIN_ATTEMPTS = 5
PIN_WINDOW = 15 * 60
SORT_KEYS = {
    "name": Customer.name,
    "account_number": Customer.account_number,
    "created_at": Customer.created_at,
    "updated_at": Customer.updated_at,
}


def normalize_phone(text: str, region: str | None, field: str) -> str:
    """E.164 of ``text`` read with ``region`` as default country; 422 naming ``field`` if it is not valid."""
    try:
        parsed = phonenumbers.parse(text, None if text.strip().startswith("+") else region)
    except phonenumbers.NumberParseException as exc:
        raise ApiError.invalid(field, f"{text!r} is not a phone number ({exc})") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ApiError.invalid(field, f"{text!r} is not a valid phone number; write it as +<country><number>")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def customer_out(row: Customer, tenant: str) -> CustomerOut:
    return CustomerOut(
        id=row.id,
        tenant=tenant,
        name=row.name,
        account_number=row.account_number,
        phones=[PhoneOut(number=p.number, label=p.label) for p in row.phones],
        has_pin=row.pin_hash is not None,
        language=row.language,
        time_zone=row.time_zone,
        email=row.email,
        address=row.address,
        notes=row.notes,
        custom=dict(row.custom or {}),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _phones(tenant: Tenant, phones: list[PhoneIn]) -> list[CustomerPhone]:
    rows = []
    seen: set[str] = set()
    for index, phone in enumerate(phones):
        number = normalize_phone(phone.number, tenant.country, f"phones[{index}].number")
        if number in seen:
            raise ApiError.invalid(f"phones[{index}].number", f"{number} is listed twice")
        seen.add(number)
        rows.append(
            CustomerPhone(id=new_id(), tenant_id=tenant.id, number=number, label=phone.label, position=index)
        )
    return rows


def _check_account(session: Session, tenant_id: str, account: str | None, own_id: str | None) -> None:
    if account is None:
        return
    found = session.scalar(
        select(Customer.id).where(Customer.tenant_id == tenant_id, Customer.account_number == account)
    )
    if found is not None and found != own_id:
        raise ApiError.conflict(
            f"account number {account!r} belongs to another customer", field="account_number"
        )


@router.get("/customers", response_model=Page[CustomerOut])
def list_customers(
    principal: Auth,
    db: DbDep,
    paging: PagingDep,
    tenant: TenantQuery = None,
    phone: Annotated[str | None, Query(max_length=40, pattern=NO_NUL, description="any notation")] = None,
    account: Annotated[str | None, Query(max_length=64, pattern=NO_NUL, description="exact")] = None,
    name: Annotated[str | None, Query(max_length=200, pattern=NO_NUL, description="part, any case")] = None,
    sort: Literal["name", "account_number", "created_at", "updated_at"] = "name",
    order: Literal["asc", "desc"] = "asc",
) -> Page[CustomerOut]:
    """Search customers: by phone number (the caller-ID lookup), account number, part of the name."""
    with db.session() as session:
        tenant_id = tenant_filter(session, principal, tenant)  # also the country of national numbers
        stmt = scoped(select(Customer), Customer.tenant_id, tenant_id).options(selectinload(Customer.phones))
        if phone is not None:
            scope = session.get(Tenant, tenant_id) if tenant_id else None
            region = scope.country if scope is not None else None
            number = normalize_phone(phone, region, "phone")
            stmt = stmt.where(
                Customer.id.in_(select(CustomerPhone.customer_id).where(CustomerPhone.number == number))
            )
        if account is not None:
            stmt = stmt.where(Customer.account_number == account)
        if name is not None:
            stmt = stmt.where(func.lower(Customer.name).contains(name.lower(), autoescape=True))
        key = SORT_KEYS[sort]
        order_by = [key.asc(), Customer.id.asc()] if order == "asc" else [key.desc(), Customer.id.desc()]
        return tenant_page(session, stmt, order_by, paging, customer_out)


@router.get("/customers/{customer_id}", response_model=CustomerOut)
def get_customer(customer_id: str, principal: Auth, db: DbDep) -> CustomerOut:
    with db.session() as session:
        row, tenant = owned_with_tenant(session, principal, Customer, customer_id, "customer")
        return customer_out(row, tenant.name)


@router.post("/customers", status_code=201, response_model=CustomerOut)
def create_customer(body: CustomerIn, principal: Auth, db: DbDep) -> CustomerOut:
    with db.session() as session:
        tenant = target_tenant(session, principal, body.tenant)
        _check_account(session, tenant.id, body.account_number, None)
        row = Customer(
            id=new_id(),
            tenant_id=tenant.id,
            name=body.name,
            account_number=body.account_number,
            pin_hash=hash_password(body.pin) if body.pin else None,
            language=body.language,
            time_zone=body.time_zone,
            email=body.email,
            address=body.address,
            notes=body.notes,
            custom=dict(body.custom),
        )
        row.phones = _phones(tenant, body.phones)
        session.add(row)
        audit(session, principal, "customer.create", row.id, tenant_id=tenant.id)
        session.flush()
        session.refresh(row)
        return customer_out(row, tenant.name)


@router.patch("/customers/{customer_id}", response_model=CustomerOut)
def update_customer(customer_id: str, body: CustomerPatch, principal: Auth, db: DbDep) -> CustomerOut:
    """Change the fields present in the body; ``phones`` replaces the list, ``pin: null`` removes the PIN."""
    with db.session() as session:
        row, tenant = owned_with_tenant(session, principal, Customer, customer_id, "customer")
        changes = body.model_dump(exclude_unset=True)
        if "name" in changes and body.name is None:
            raise ApiError.invalid("name", "name cannot be null")
        if "account_number" in changes:
            _check_account(session, tenant.id, body.account_number, row.id)
        for key in ("name", "account_number", "language", "time_zone", "email", "address", "notes"):
            if key in changes:
                setattr(row, key, getattr(body, key))
        if "custom" in changes:
            row.custom = dict(body.custom or {})
        if "phones" in changes:
            row.phones = _phones(tenant, body.phones or [])
        if "pin" in changes:
            row.pin_hash = hash_password(body.pin) if body.pin else None
        row.updated_at = func.now()
        audit(session, principal, "customer.update", row.id, tenant_id=tenant.id, fields=sorted(changes))
        session.flush()
        session.refresh(row)
        return customer_out(row, tenant.name)


@router.delete("/customers/{customer_id}", status_code=204)
def delete_customer(customer_id: str, principal: Auth, db: DbDep) -> Response:
    principal.require("admin", "supervisor")
    return delete_owned(db, principal, Customer, customer_id, "customer", lambda row: row.id)


@router.post(
    "/customers/{customer_id}/verify-pin",
    response_model=PinResult,
    responses={429: {"description": "too many wrong PINs; wait"}},
)
def verify_pin(
    customer_id: str, body: PinCheck, principal: Auth, db: DbDep, settings: SettingsDep
) -> PinResult:
    """Whether ``pin`` is the customer's PIN (False when none is set)."""
    now = datetime.fromtimestamp(settings.clock.now(), UTC)
    with db.session() as session:
        row, tenant = owned_with_tenant(session, principal, Customer, customer_id, "customer")
        recent = select(func.count()).where(
            AuditEntry.action == "customer.pin_failed",
            AuditEntry.target == row.id,
            AuditEntry.at >= now - timedelta(seconds=PIN_WINDOW),
        )
        if (session.scalar(recent) or 0) >= PIN_ATTEMPTS:
            locked = True
        else:
            locked = False
            ok = row.pin_hash is not None and verify_password(row.pin_hash, body.pin)
            session.add(
                AuditEntry(
                    id=new_id(),
                    at=now,
                    tenant_id=tenant.id,
                    user_id=principal.user_id,
                    action="customer.pin_verified" if ok else "customer.pin_failed",
                    target=row.id,
                    detail={},
                )
            )
    if locked:
        raise ApiError(429, "locked", f"too many wrong PINs; try again within {PIN_WINDOW // 60} minutes")
    return PinResult(verified=ok)
