"""The SIP registrar's persistence and the digest credential lookup, on the database.

``SqlBindingStore`` implements ``sip.location.BindingStore``: one row per
(address-of-record, contact) in ``sip_bindings``, so registrations survive a
restart (``Registrar.from_store``). Times are stored as timezone-aware
timestamps (readable in SQL) and handed to the SIP core as epoch seconds.

``SqlCredentialSource`` implements ``sip.authenticator.CredentialSource``
over tenants and agents. Which tenant a request belongs to is decided from
the domain it is addressed to (the To host of a REGISTER, the From host of
other requests), in this order:

1. a tenant whose ``sip_domain`` equals the domain (case-insensitively):
   realm = that ``sip_domain``;
2. a tenant without ``sip_domain`` whose ``name`` equals the domain:
   realm = the name;
3. when the installation has exactly one tenant: its realm, whatever the
   domain (phones configured with the server's IP address just work);
4. when the request already carries credentials whose realm is some
   tenant's realm: that realm;
5. otherwise the domain is not ours (404 for REGISTER, 403 otherwise).

The realm of a tenant is ``sip_domain`` or else its name: the same rule
``config apply`` uses to compute the agents' HA1s (``store.apply.sip_realm``).
A SIP user is an agent's ``extension`` within that tenant.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from centralino.sip.authenticator import Ha1s
from centralino.sip.location import Binding
from centralino.sip.transaction import Address
from centralino.store.db import Database
from centralino.store.models import Agent, Base, Tenant

__all__ = ["SipBindingRow", "SqlBindingStore", "SqlCredentialSource"]


class SipBindingRow(Base):
    """One registered contact of an address-of-record (see ``sip.location.Binding``)."""

    __tablename__ = "sip_bindings"

    aor: Mapped[str] = mapped_column(String(255), primary_key=True)
    contact: Mapped[str] = mapped_column(String(512), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True, nullable=False)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    call_id: Mapped[str] = mapped_column(String(255), nullable=False)
    cseq: Mapped[int] = mapped_column(Integer, nullable=False)
    q: Mapped[float | None] = mapped_column(Float)
    instance: Mapped[str | None] = mapped_column(String(255))
    path: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    user_agent: Mapped[str | None] = mapped_column(String(255))
    source_transport: Mapped[str] = mapped_column(String(8), nullable=False)
    source_host: Mapped[str] = mapped_column(String(64), nullable=False)
    source_port: Mapped[int] = mapped_column(Integer, nullable=False)


def _to_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _to_seconds(value: datetime) -> float:
    # SQLite hands timestamps back without a zone; they were written in UTC.
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).timestamp()


def _row_values(binding: Binding) -> dict[str, Any]:
    return {
        "aor": binding.aor, "contact": binding.contact,
        "expires_at": _to_datetime(binding.expires_at), "registered_at": _to_datetime(binding.registered_at),
        "call_id": binding.call_id, "cseq": binding.cseq, "q": binding.q, "instance": binding.instance,
        "path": list(binding.path), "user_agent": binding.user_agent,
        "source_transport": binding.source.transport, "source_host": binding.source.host,
        "source_port": binding.source.port,
    }  # fmt: skip


def _binding(row: SipBindingRow) -> Binding:
    return Binding(
        aor=row.aor, contact=row.contact, expires_at=_to_seconds(row.expires_at), call_id=row.call_id,
        cseq=row.cseq, source=Address(row.source_transport, row.source_host, row.source_port),
        registered_at=_to_seconds(row.registered_at), q=row.q, instance=row.instance,
        path=tuple(str(p) for p in row.path or ()), user_agent=row.user_agent,
    )  # fmt: skip


class SqlBindingStore:
    """``BindingStore`` on the ``sip_bindings`` table; each call is one short transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def load_all(self) -> list[Binding]:
        with self.db.session() as session:
            rows = session.scalars(select(SipBindingRow).order_by(SipBindingRow.aor, SipBindingRow.contact))
            return [_binding(row) for row in rows]

    def save(self, binding: Binding) -> None:
        with self.db.session() as session:
            row = session.get(SipBindingRow, (binding.aor, binding.contact))
            values = _row_values(binding)
            if row is None:
                session.add(SipBindingRow(**values))
            else:
                for name, value in values.items():
                    setattr(row, name, value)

    def delete(self, aor: str, contact: str) -> None:
        with self.db.session() as session:
            session.execute(
                delete(SipBindingRow).where(SipBindingRow.aor == aor, SipBindingRow.contact == contact)
            )


def _realm(tenant: Tenant) -> str:
    return tenant.sip_domain or tenant.name


class SqlCredentialSource:
    """``CredentialSource`` over tenants (realms) and agents (SIP users by extension)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def realm_for(self, domain: str, offered_realm: str | None) -> str | None:
        domain = domain.lower()
        with self.db.session() as session:
            tenant = session.scalars(select(Tenant).where(func.lower(Tenant.sip_domain) == domain)).first()
            if tenant is None:
                tenant = session.scalars(
                    select(Tenant).where(Tenant.sip_domain.is_(None), func.lower(Tenant.name) == domain)
                ).first()
            if tenant is not None:
                return _realm(tenant)
            tenants = session.scalars(select(Tenant).limit(2)).all()
            if len(tenants) == 1:
                return _realm(tenants[0])
            if offered_realm is not None:
                known = session.scalars(select(Tenant).where(
                    (Tenant.sip_domain == offered_realm)
                    | (Tenant.sip_domain.is_(None) & (Tenant.name == offered_realm)))).first()
                if known is not None:
                    return offered_realm
        return None

    def lookup(self, realm: str, username: str) -> Ha1s | None:
        with self.db.session() as session:
            agent = session.scalars(
                select(Agent).where(Agent.extension == username, Agent.sip_realm == realm)
            ).first()
            if agent is None or (agent.sip_ha1_md5 is None and agent.sip_ha1_sha256 is None):
                return None
            return Ha1s(username, realm, agent.sip_ha1_md5, agent.sip_ha1_sha256, agent.tenant_id)
