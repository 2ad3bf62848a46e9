"""The customer database: CRUD, search, PIN, pagination, validation errors."""

from __future__ import annotations

from sqlalchemy import select

from api.conftest import Api
from centralino.store.models import Customer

V1 = "/api/v1/customers"


def test_create_read_update_delete(api: Api) -> None:
    created = api.post(
        V1,
        "demo-agent",
        json={
            "name": "Jan Kowalski",
            "account_number": "A-100",
            "phones": [{"number": "22 123 45 67", "label": "home"}, {"number": "+48 601 234 567"}],
            "pin": "4321",
            "language": "pl",
            "time_zone": "Europe/Warsaw",
            "email": "jan@example.com",
            "address": "ul. Prosta 1, Warszawa",
            "notes": "prefers mornings",
            "custom": {"tier": "gold", "since": 2019},
        },
    )
    assert created.status_code == 201, created.text
    customer = created.json()
    assert customer["phones"] == [
        {"number": "+48221234567", "label": "home"},
        {"number": "+48601234567", "label": None},
    ]
    assert customer["has_pin"] is True and "pin" not in customer and "pin_hash" not in customer
    assert customer["tenant"] == "demo"
    url = f"{V1}/{customer['id']}"
    assert api.get(url, "demo-supervisor").json() == customer
    with api.db.session() as session:
        stored = session.scalar(select(Customer.pin_hash).where(Customer.id == customer["id"]))
    assert stored is not None and stored.startswith("$argon2id$") and "4321" not in stored

    patched = api.patch(url, "demo-agent", json={"notes": "call after 10", "phones": [], "pin": None}).json()
    assert patched["notes"] == "call after 10" and patched["phones"] == [] and patched["has_pin"] is False
    assert patched["name"] == "Jan Kowalski" and patched["email"] == "jan@example.com"

    assert api.delete(url, "demo-agent").status_code == 403
    assert api.delete(url, "demo-supervisor").status_code == 204
    assert api.get(url, "demo-admin").status_code == 404


def test_search_by_phone_account_and_name(api: Api) -> None:
    api.post(
        V1,
        "demo-agent",
        json={"name": "Anna Nowak", "account_number": "A-1", "phones": [{"number": "+48 22 123 45 67"}]},
    )
    api.post(
        V1,
        "demo-agent",
        json={"name": "Piotr Zieliński", "account_number": "A-2", "phones": [{"number": "601 234 567"}]},
    )
    api.post(V1, "acme-agent", json={"name": "Anna Rossi", "phones": [{"number": "+48 22 123 45 67"}]})

    def names(user: str, **params: str) -> list[str]:
        response = api.get(V1, user, params=params)
        assert response.status_code == 200, response.text
        return [c["name"] for c in response.json()["items"]]

    assert names("demo-agent", phone="22-123-45-67") == ["Anna Nowak"]  # national notation, PL
    assert names("demo-agent", phone="+48601234567") == ["Piotr Zieliński"]
    assert names("acme-agent", phone="+48221234567") == ["Anna Rossi"]  # same number, other tenant
    assert names("demo-agent", account="A-2") == ["Piotr Zieliński"]
    assert names("demo-agent", name="anna") == ["Anna Nowak"]
    assert names("demo-agent", name="%") == []  # wildcards are literal
    assert sorted(names("root", phone="+48221234567")) == ["Anna Nowak", "Anna Rossi"]
    bad = api.get(V1, "demo-agent", params={"phone": "not a number"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "phone"


def test_verify_pin_and_lockout(api: Api) -> None:
    customer = api.post(V1, "demo-agent", json={"name": "P", "pin": "2468"}).json()
    url = f"{V1}/{customer['id']}/verify-pin"
    assert api.post(url, "demo-agent", json={"pin": "2468"}).json() == {"verified": True}
    for _ in range(5):
        assert api.post(url, "demo-agent", json={"pin": "0000"}).json() == {"verified": False}
    locked = api.post(url, "demo-agent", json={"pin": "2468"})
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "locked"
    no_pin = api.post(V1, "demo-agent", json={"name": "Q"}).json()
    assert api.post(f"{V1}/{no_pin['id']}/verify-pin", "demo-agent", json={"pin": "1234"}).json() == {
        "verified": False
    }


def test_validation_errors_name_the_field(api: Api) -> None:
    cases = [
        ({"name": ""}, "name"),
        ({"name": "X", "phones": [{"number": "+1"}]}, "phones[0].number"),
        ({"name": "X", "phones": [{"number": "+48221234567"}, {"number": "221234567"}]}, "phones[1].number"),
        ({"name": "X", "pin": "12"}, "pin"),
        ({"name": "X", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"name": "X", "email": "no-at-sign"}, "email"),
        ({"name": "X", "language": "Polish"}, "language"),
        ({"name": "X", "colour": "red"}, "colour"),
        ({"name": "X\x00"}, "name"),
        ({}, "name"),
    ]
    for body, field in cases:
        response = api.post(V1, "demo-agent", json=body)
        assert response.status_code == 422, (body, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid" and error["field"] == field, (body, error)
        assert error["message"]
    first = api.post(V1, "demo-agent", json={"name": "A", "account_number": "DUP"})
    assert first.status_code == 201
    again = api.post(V1, "demo-agent", json={"name": "B", "account_number": "DUP"})
    assert again.status_code == 409 and again.json()["error"]["field"] == "account_number"
    assert api.post(V1, "acme-agent", json={"name": "C", "account_number": "DUP"}).status_code == 201
    root = api.post(V1, "root", json={"name": "No tenant"})
    assert root.status_code == 422 and root.json()["error"]["field"] == "tenant"
    bad_query = api.get(V1, "demo-agent", params={"limit": 0})
    assert bad_query.status_code == 422 and bad_query.json()["error"]["field"] == "limit"


def test_pagination_is_stable_and_counts_everything(api: Api) -> None:
    for index in range(7):
        api.post(V1, "demo-agent", json={"name": "Same Name", "account_number": f"N{index}"})
    seen: list[str] = []
    for offset in range(0, 8, 3):
        page = api.get(V1, "demo-agent", params={"limit": 3, "offset": offset}).json()
        assert page["total"] == 7 and page["limit"] == 3 and page["offset"] == offset
        seen += [c["id"] for c in page["items"]]
    assert len(seen) == 7 == len(set(seen))
    assert seen == sorted(seen)  # equal names fall back to the id, which is time-ordered
    newest = api.get(V1, "demo-agent", params={"sort": "account_number", "order": "desc", "limit": 2}).json()
    assert [c["account_number"] for c in newest["items"]] == ["N6", "N5"]
    bad = api.get(V1, "demo-agent", params={"sort": "pin_hash"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "sort"
