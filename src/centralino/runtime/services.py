"""The IVR's ``Services`` over the database: customers by caller ID or account, PIN checks, lockout.

The dial plan calls these synchronously from inside ``handle`` (the IVR interpreter is sans-I/O
and waits for no one), so each method is one small indexed query. Queue figures and the
supervisor's announcements are answered by the dial plan's own desk (``DeskServices``) before
these are asked, so ``queue_stats`` and ``announcement`` here have nothing to add.

PIN lockout: the IVR counts wrong entries within a call; when it gives up it emits
``VerificationLocked`` and the node calls ``lock``, which keeps ``pin_locked_at`` in the
customer's ``custom`` data, so the next call's ``verify`` answers ``locked`` at once. Clearing
that key (or setting a new PIN through the API) unlocks the customer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from centralino.ivr.services import Verification
from centralino.store.db import Database
from centralino.store.models import Customer, CustomerPhone, Tenant
from centralino.store.passwords import verify_password

__all__ = ["LOCK_KEY", "StoreServices"]

log = logging.getLogger(__name__)

LOCK_KEY = "pin_locked_at"
_HIDDEN = {LOCK_KEY}


class StoreServices:
    """``centralino.ivr.services.Services`` for one tenant, reading the store."""

    def __init__(self, db: Database, tenant: str) -> None:
        self.db = db
        self.tenant = tenant
        self._tenant_id: str | None = None

    def _tid(self) -> str | None:
        if self._tenant_id is None:
            with self.db.session() as session:
                self._tenant_id = session.scalar(select(Tenant.id).where(Tenant.name == self.tenant))
        return self._tenant_id

    def find_customer(self, by: str, value: str) -> Mapping[str, Any] | None:
        tid = self._tid()
        if tid is None or not value:
            return None
        with self.db.session() as session:
            if by == "caller_id":
                query = (select(Customer).join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
                         .where(CustomerPhone.tenant_id == tid, CustomerPhone.number == value))
            elif by == "account":
                query = select(Customer).where(Customer.tenant_id == tid, Customer.account_number == value)
            else:
                return None
            customer = session.scalars(query.limit(1)).first()
            if customer is None:
                return None
            record: dict[str, Any] = {k: v for k, v in (customer.custom or {}).items() if k not in _HIDDEN}
            record.update(id=customer.id, name=customer.name, account=customer.account_number,
                          language=customer.language, has_pin=customer.pin_hash is not None)
            return record

    def verify(self, customer: str, method: str, value: str, now: float) -> Verification:
        with self.db.session() as session:
            row = session.get(Customer, customer)
            if row is None or row.tenant_id != self._tid():
                return Verification.wrong
            if (row.custom or {}).get(LOCK_KEY) is not None:
                return Verification.locked
            if method == "pin":
                ok = row.pin_hash is not None and bool(value) and verify_password(row.pin_hash, value)
            elif method == "dob":
                ok = bool(value) and str((row.custom or {}).get("dob", "")) == value
            else:
                ok = False
        return Verification.ok if ok else Verification.wrong

    def lock(self, customer: str, method: str, now: float) -> None:
        """Persist a lockout (the ``LockVerification`` effect)."""
        with self.db.session() as session:
            row = session.get(Customer, customer)
            if row is None:
                log.warning("cannot lock %s verification of unknown customer %s", method, customer)
                return
            row.custom = {**(row.custom or {}), LOCK_KEY: now, "pin_locked_method": method}
        log.info("customer %s locked out of %s verification", customer, method)

    def queue_stats(self, queue: str) -> Mapping[str, float]:
        return {}

    def announcement(self, number: str, language: str) -> str | None:
        return None
