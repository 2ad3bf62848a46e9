"""Database models (SQLAlchemy 2, typed mappings).

Every tenant-owned row carries ``tenant_id`` so each query can be scoped to the
caller's tenant. Configuration rows (numbers, skills, queues, agents) are keyed
by their natural names within a tenant, which ``config apply`` uses to update in
place. Customers are data, not configuration: ``config apply`` never touches them.
Secrets are stored only as hashes: argon2 for passwords and PINs, digest HA1
(MD5 and SHA-256, RFC 8760) for SIP passwords, SHA-256 for API tokens.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from centralino.core.ids import new_id

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def _new_id() -> str:
    return new_id()


def _id() -> Mapped[str]:
    return mapped_column(String(36), primary_key=True, default=_new_id)


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


def _updated() -> Mapped[datetime]:
    """Set by the database on insert and by the ORM on each UPDATE: ``config apply`` leaves it alone
    when nothing changed, which is how a no-op apply is visible."""
    return mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


def _tenant_fk() -> Mapped[str]:
    return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False)


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), nullable=False, default="US")
    time_zone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    language: Mapped[str] = mapped_column(String(8), nullable=False, default="en")
    sip_domain: Mapped[str | None] = mapped_column(String(255))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)  # business hours, recording policy
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class PhoneNumber(Base):
    """A dialled number. ``number`` is E.164 (+...) or a short internal number; unique installation-wide."""

    __tablename__ = "phone_numbers"

    id: Mapped[str] = _id()
    tenant_id: Mapped[str] = _tenant_fk()
    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), nullable=False)  # toll-free, geographic, mobile, internal…
    country: Mapped[str | None] = mapped_column(String(2))
    time_zone: Mapped[str] = mapped_column(String(64), nullable=False)
    hours: Mapped[str | None] = mapped_column(String(64))
    route_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    route_target: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class Skill(Base):
    __tablename__ = "skills"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[str] = _id()
    tenant_id: Mapped[str] = _tenant_fk()
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class Queue(Base):
    __tablename__ = "queues"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[str] = _id()
    tenant_id: Mapped[str] = _tenant_fk()
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    strategy: Mapped[str] = mapped_column(String(32), nullable=False, default="longest-idle")
    priority: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    service_level_threshold: Mapped[float] = mapped_column(Float, default=20.0, nullable=False)
    service_level_formula: Mapped[str] = mapped_column(String(32), default="answered-only", nullable=False)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the rest of config.model.Queue
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    members: Mapped[list[QueueMember]] = relationship(back_populates="queue", cascade="all, delete-orphan")


class Agent(Base):
    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("tenant_id", "extension"),)

    id: Mapped[str] = _id()
    tenant_id: Mapped[str] = _tenant_fk()
    extension: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    sip_ha1_md5: Mapped[str | None] = mapped_column(String(32))
    sip_ha1_sha256: Mapped[str | None] = mapped_column(String(64))
    sip_realm: Mapped[str | None] = mapped_column(String(255))
    contact_uri: Mapped[str | None] = mapped_column(String(255))
    languages: Mapped[list[Any]] = mapped_column(default=list)
    tier: Mapped[str] = mapped_column(String(16), default="L1", nullable=False)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    skills: Mapped[list[AgentSkill]] = relationship(back_populates="agent", cascade="all, delete-orphan")
    memberships: Mapped[list[QueueMember]] = relationship(
        back_populates="agent", cascade="all, delete-orphan"
    )


class AgentSkill(Base):
    __tablename__ = "agent_skills"

    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, nullable=False, default=5)

    agent: Mapped[Agent] = relationship(back_populates="skills")
    skill: Mapped[Skill] = relationship()


class QueueMember(Base):
    __tablename__ = "queue_members"

    queue_id: Mapped[str] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    penalty: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    queue: Mapped[Queue] = relationship(back_populates="members")
    agent: Mapped[Agent] = relationship(back_populates="memberships")


class User(Base):
    """A person or program logging in. ``tenant_id`` is None only for installation admins."""

    __tablename__ = "users"

    id: Mapped[str] = _id()
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    from_config: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class ApiToken(Base):
    """A bearer token for programs; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = _id()
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = _created()
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)


class Customer(Base):
    """A customer of a tenant: what the screen pop shows and the IVR verifies."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("tenant_id", "account_number"),)

    id: Mapped[str] = _id()
    tenant_id: Mapped[str] = _tenant_fk()
    account_number: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(8))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )

    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerPhone.position"
    )


class CustomerPhone(Base):
    """A customer's phone number in E.164, indexed for caller-ID lookup within the tenant."""

    __tablename__ = "customer_phones"

    id: Mapped[str] = _id()
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str] = _tenant_fk()
    number: Mapped[str] = mapped_column(String(32), index=True, nullable=False)
    label: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    customer: Mapped[Customer] = relationship(back_populates="phones")


class ConfigRevision(Base):
    """Each applied configuration file: its hash and when, for audit and no-op detection."""

    __tablename__ = "config_revisions"

    id: Mapped[str] = _id()
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    source: Mapped[str] = mapped_column(String(255), nullable=False)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    applied_at: Mapped[datetime] = _created()


class Setting(Base):
    """An installation-wide setting by dotted key (e.g. ``installation.name``), outside any tenant."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = _updated()


class AuditEntry(Base):
    """Who did what: logins, configuration changes, recording access."""

    __tablename__ = "audit_log"

    id: Mapped[str] = _id()
    at: Mapped[datetime] = _created()
    tenant_id: Mapped[str | None] = mapped_column(String(36), index=True)
    user_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    target: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
