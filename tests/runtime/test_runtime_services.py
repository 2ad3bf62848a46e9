"""StoreServices: customers by caller ID and account, PIN verification, a lockout that outlives the call."""

from __future__ import annotations

import pytest

from centralino import config
from centralino.ivr.services import Verification
from centralino.runtime import LOCK_KEY, Roster, StoreServices
from centralino.store.apply import apply_config
from centralino.store.db import Database
from centralino.store.models import Customer, CustomerPhone, Tenant
from centralino.store.passwords import hash_password


@pytest.fixture
def services(db: Database, cheap_argon2: None) -> StoreServices:
    apply_config(db, config.load(None), "test", demo=True)
    with db.session() as session:
        tenant = session.query(Tenant).filter_by(name="demo").one()
        customer = Customer(id="c-1", tenant_id=tenant.id, name="Jan", account_number="123456",
                            pin_hash=hash_password("4321"), custom={"balance": 10})
        session.add(customer)
        session.add(CustomerPhone(customer_id="c-1", tenant_id=tenant.id, number="+48601000001"))
    return StoreServices(db, "demo")


def test_find_by_caller_id_and_account(services: StoreServices) -> None:
    by_phone = services.find_customer("caller_id", "+48601000001")
    assert by_phone is not None and by_phone["id"] == "c-1" and by_phone["balance"] == 10
    assert services.find_customer("account", "123456") == by_phone
    assert services.find_customer("account", "999999") is None
    assert "pin_hash" not in by_phone and "4321" not in str(by_phone)


def test_pin_verification_and_lockout(services: StoreServices, db: Database) -> None:
    assert services.verify("c-1", "pin", "4321", 0.0) is Verification.ok
    assert services.verify("c-1", "pin", "0000", 0.0) is Verification.wrong
    services.lock("c-1", "pin", 123.0)
    assert services.verify("c-1", "pin", "4321", 1.0) is Verification.locked
    with db.session() as session:
        row = session.get(Customer, "c-1")
        assert row is not None and row.custom[LOCK_KEY] == 123.0
    assert LOCK_KEY not in (services.find_customer("account", "123456") or {})


def test_roster_maps_registrations_to_agents() -> None:
    roster = Roster(config.load(None))
    assert roster.agent_of("1001@demo") == ("demo", "1001")
    assert roster.agent_of("1001@DEMO") == ("demo", "1001")
    assert roster.agent_of("9999@demo") is None
