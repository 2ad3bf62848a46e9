"""Request and response bodies of the v1 API (pydantic).

Responses are built from explicit fields, never from rows, so hashes (passwords,
PINs, SIP HA1s, token digests) cannot leak: the customer shows ``has_pin``, the
agent ``has_sip_password``. Request strings carry the database's length limits
and refuse NUL characters, so bad input is a 422 naming the field rather than a
database error. Configuration resources (queues, skills, agents, numbers) take
the same pydantic models as the configuration file, so the API validates exactly
as ``centralino config check`` does.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Generic, Literal, TypeVar, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from centralino.config import model as cfg

__all__ = [
    "AgentIn",
    "AgentOut",
    "CustomerIn",
    "CustomerOut",
    "CustomerPatch",
    "Health",
    "LoginIn",
    "LoginOut",
    "Me",
    "NumberIn",
    "NumberOut",
    "NumberPatch",
    "Page",
    "PhoneIn",
    "PhoneOut",
    "PinCheck",
    "PinResult",
    "QueueIn",
    "QueueOut",
    "SkillIn",
    "SkillOut",
    "SkillPatch",
    "TenantIn",
    "TenantOut",
    "TenantPatch",
    "TokenCreated",
    "TokenIn",
    "TokenOut",
    "UserIn",
    "UserOut",
    "UserPatch",
    "as_role",
]

T = TypeVar("T")
NO_NUL = r"^[^\x00]*$"


def _text(max_length: int, min_length: int = 0) -> Any:
    """Field limits of a text column: its length, and no NUL (PostgreSQL refuses it)."""
    return Field(min_length=min_length, max_length=max_length, pattern=NO_NUL)


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _time_zone(value: str) -> str:
    if value not in _zones():
        raise ValueError("unknown time zone; use an IANA name like Europe/Warsaw")
    return value


TimeZone = Annotated[str, Field(max_length=64), AfterValidator(_time_zone)]
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", max_length=8)]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
Email = Annotated[str, Field(max_length=255, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$")]
Pin = Annotated[str, Field(pattern=r"^[0-9]{4,12}$")]
TenantRef = Annotated[str | None, Field(default=None, max_length=64, pattern=NO_NUL)]
CustomValue = str | int | float | bool | None
Role = Literal["admin", "supervisor", "agent"]
_ROLES: dict[str, Role] = {role: role for role in get_args(Role)}


def as_role(value: str) -> Role:
    """A stored role as the API's ``Role``: the users table holds only what the API and config write."""
    try:
        return _ROLES[value]
    except KeyError:
        raise ValueError(f"role {value!r} in the users table; expected one of {', '.join(_ROLES)}") from None


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Page(BaseModel, Generic[T]):
    """One page of a list; ``total`` counts every match, not just this page."""

    items: list[T]
    total: int
    limit: int
    offset: int


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unavailable"]
    demo: bool
    version: str


# --- auth ---------------------------------------------------------------------------------------


class LoginIn(In):
    username: Annotated[str, _text(64, 1)]
    password: Annotated[str, _text(1024, 1)]
    issue_token: bool = False  # also return a short-lived bearer token for scripts


class Me(BaseModel):
    id: str
    username: str
    display_name: str | None
    role: Role
    tenant: str | None  # tenant name; None for installation admins
    tenant_id: str | None


class LoginOut(BaseModel):
    user: Me
    token: str | None = None
    token_expires_at: datetime | None = None


class TokenIn(In):
    name: Annotated[str, _text(100, 1)]
    expires_in_days: Annotated[int | None, Field(ge=1, le=3650)] = None


class TokenOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    token: str  # shown once; only its SHA-256 is kept


# --- tenants ------------------------------------------------------------------------------------


class TenantIn(In):
    name: cfg.Name
    display_name: Annotated[str, _text(200)] | None = None
    country: Country = "US"
    time_zone: TimeZone = "UTC"
    language: Language = "en"
    sip_domain: Annotated[str, _text(255)] | None = None


class TenantPatch(In):
    display_name: Annotated[str, _text(200)] | None = None
    country: Country | None = None
    time_zone: TimeZone | None = None
    language: Language | None = None
    sip_domain: Annotated[str, _text(255)] | None = None


class TenantOut(BaseModel):
    id: str
    name: str
    display_name: str | None
    country: str
    time_zone: str
    language: str
    sip_domain: str | None
    created_at: datetime


# --- configuration resources ---------------------------------------------------------------------


class NumberIn(cfg.PhoneNumber):
    tenant: TenantRef


class NumberPatch(In):
    name: Annotated[str, _text(200)] | None = None
    time_zone: TimeZone | None = None
    hours: Annotated[str, _text(64)] | None = None
    route: cfg.Route | None = None


class NumberOut(BaseModel):
    id: str
    tenant: str
    number: str
    name: str | None
    kind: str
    country: str | None
    time_zone: str
    hours: str | None
    route: cfg.Route


class SkillIn(cfg.Skill):
    tenant: TenantRef


class SkillPatch(In):
    description: Annotated[str, _text(10_000)] = ""


class SkillOut(BaseModel):
    id: str
    tenant: str
    name: str
    description: str


class QueueIn(cfg.Queue):
    tenant: TenantRef


class QueueOut(cfg.Queue):
    """The queue as the configuration file states it, plus its id and tenant."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    id: str
    tenant: str


class AgentIn(cfg.Agent):
    tenant: TenantRef


class AgentOut(BaseModel):
    id: str
    tenant: str
    extension: str
    name: str
    contact: str | None
    languages: list[str]
    tier: str
    skills: list[cfg.AgentSkill]
    queues: list[cfg.QueueMembership]
    user: str | None
    has_sip_password: bool


# --- users --------------------------------------------------------------------------------------


class UserIn(In):
    username: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")]
    role: Role
    password: Annotated[str, _text(1024, 8)] | None = None
    display_name: Annotated[str, _text(200)] | None = None
    tenant: TenantRef  # None: the caller's tenant; installation admins may omit it for another admin
    active: bool = True


class UserPatch(In):
    role: Role | None = None
    password: Annotated[str, _text(1024, 8)] | None = None
    display_name: Annotated[str, _text(200)] | None = None
    active: bool | None = None


class UserOut(BaseModel):
    id: str
    username: str
    display_name: str | None
    role: Role
    tenant: str | None
    active: bool
    from_config: bool
    created_at: datetime


# --- customers ----------------------------------------------------------------------------------


class PhoneIn(In):
    number: Annotated[
        str, _text(40, 1)
    ]  # any notation; stored as E.164 using the tenant's country as default region
    label: Annotated[str, _text(32)] | None = None


class PhoneOut(BaseModel):
    number: str
    label: str | None


CustomFields = Annotated[
    dict[Annotated[str, Field(min_length=1, max_length=64, pattern=NO_NUL)], CustomValue],
    Field(max_length=100),
]


class CustomerIn(In):
    name: Annotated[str, _text(200, 1)]
    account_number: Annotated[str, _text(64, 1)] | None = None
    phones: Annotated[list[PhoneIn], Field(max_length=20)] = []
    pin: Pin | None = None  # write-only: stored as an argon2id hash
    language: Language | None = None
    time_zone: TimeZone | None = None
    email: Email | None = None
    address: Annotated[str, _text(2000)] | None = None
    notes: Annotated[str, _text(20_000)] | None = None
    custom: CustomFields = {}
    tenant: TenantRef


class CustomerPatch(In):
    """Only the fields present change; ``pin: null`` removes the PIN, ``phones`` replaces the list."""

    name: Annotated[str, _text(200, 1)] | None = None
    account_number: Annotated[str, _text(64, 1)] | None = None
    phones: Annotated[list[PhoneIn], Field(max_length=20)] | None = None
    pin: Pin | None = None
    language: Language | None = None
    time_zone: TimeZone | None = None
    email: Email | None = None
    address: Annotated[str, _text(2000)] | None = None
    notes: Annotated[str, _text(20_000)] | None = None
    custom: CustomFields | None = None


class CustomerOut(BaseModel):
    id: str
    tenant: str
    name: str
    account_number: str | None
    phones: list[PhoneOut]
    has_pin: bool
    language: str | None
    time_zone: str | None
    email: str | None
    address: str | None
    notes: str | None
    custom: dict[str, CustomValue]
    created_at: datetime
    updated_at: datetime


class PinCheck(In):
    pin: Annotated[str, Field(max_length=64, pattern=NO_NUL)]


class PinResult(BaseModel):
    verified: bool
