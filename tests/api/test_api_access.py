"""Authentication, roles and tenant isolation, for every route of the app."""

from __future__ import annotations

import re

import pytest

from api.call_records_fixture import recorded_call
from api.conftest import Api
from api.routes_table import ALLOWED, BODIES, PUBLIC, routes

MISSING = "01a20000-0000-7000-8000-000000000000"


def fill(path: str, value: str = MISSING) -> str:
    return re.sub(r"\{[a-z_]+\}", value, path)


def test_every_route_is_classified(api: Api) -> None:
    found = set(routes(api.client.app))
    assert found - PUBLIC == set(ALLOWED), "classify new routes in tests/api/routes_table.py"
    assert found >= PUBLIC


def test_every_protected_route_needs_credentials(api: Api) -> None:
    checked = 0
    for method, path in routes(api.client.app):
        if (method, path) in PUBLIC:
            continue
        for headers in ({}, {"Authorization": "Bearer cnt_not-a-token"}, {"Authorization": "Basic eDp5"}):
            body = BODIES.get((method, path))
            response = api.client.request(method, fill(path), headers=headers, json=body)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.json()["error"]["code"] == "unauthenticated"
        forged_cookie = {"Cookie": "centralino_session=forged.value.sig"}
        forged = api.client.request(method, fill(path), headers=forged_cookie)
        assert forged.status_code == 401, (method, path)
        checked += 1
    assert checked == len(ALLOWED)


@pytest.mark.parametrize("role", ["admin", "supervisor", "agent"])
def test_roles_outside_their_rights_get_403(api: Api, role: str) -> None:
    denied = [(m, p) for (m, p), roles in ALLOWED.items() if role not in roles]
    assert denied or role == "admin"
    for method, path in denied:
        response = api.client.request(
            method, fill(path), headers=api.auth(f"demo-{role}"), json=BODIES.get((method, path))
        )
        assert response.status_code == 403, (role, method, path, response.text)
        assert response.json()["error"]["code"] == "forbidden"


def _acme_ids(api: Api) -> dict[str, str]:
    """One object of tenant acme per path parameter, found as the installation admin."""
    created = api.post("/api/v1/customers", "acme-agent", json={"name": "Acme Customer", "pin": "9876"})
    assert created.status_code == 201, created.text
    ids = {"customer_id": created.json()["id"]}
    for param, resource in (
        ("tenant_id", "tenants"),
        ("number_id", "numbers"),
        ("skill_id", "skills"),
        ("queue_id", "queues"),
        ("agent_id", "agents"),
    ):
        query = {"name": "acme"} if resource == "tenants" else {"tenant": "acme"}
        items = api.get(f"/api/v1/{resource}", "root", params=query).json()["items"]
        assert items, resource
        ids[param] = items[0]["id"]
    users = api.get("/api/v1/users", "root", params={"username": "acme-supervisor"}).json()["items"]
    ids["user_id"] = users[0]["id"]
    ids["token_id"] = api.get("/api/v1/tokens", "acme-admin").json()["items"][0]["id"]
    # A live call of acme's agent, offered by the in-memory contact center.
    center = api.client.app.state.contact_center
    ids["call_id"] = center.offer(ids["tenant_id"], ids["agent_id"], "helpdesk", "+390212345678").call_id
    # The same call in acme's call records, recorded (api/routes/calls.py, recordings.py).
    ids["recording_id"] = recorded_call(
        api.db, "acme", ids["call_id"], "2001", "helpdesk", "+390212345678", 1e9
    )
    return ids


def test_other_tenants_objects_are_not_found_for_every_route(api: Api) -> None:
    ids = _acme_ids(api)
    secrets = ("Acme Customer", "Milano", "Paolo", "helpdesk", "acme-supervisor", "+390212345678")
    checked = 0
    for (method, path), roles in ALLOWED.items():
        match = re.search(r"\{([a-z_]+)\}", path)
        if match is None:
            continue
        url = path.replace(match.group(0), ids[match.group(1)])
        body = BODIES.get((method, path))
        response = api.client.request(method, url, headers=api.auth("demo-admin"), json=body)
        expected = 403 if not roles else 404
        assert response.status_code == expected, (method, path, response.text)
        assert not any(secret in response.text for secret in secrets), (method, path, response.text)
        checked += 1
    assert checked >= 20
    # Nothing of acme was changed or deleted by those requests.
    customer = api.get(f"/api/v1/customers/{ids['customer_id']}", "acme-admin").json()
    assert customer["name"] == "Acme Customer"
    assert api.post(
        f"/api/v1/customers/{ids['customer_id']}/verify-pin", "acme-agent", json={"pin": "9876"}
    ).json() == {"verified": True}
    for resource in ("numbers", "skills", "queues", "agents", "users"):
        assert api.get(f"/api/v1/{resource}/{ids[resource[:-1] + '_id']}", "root").status_code == 200
    assert api.get("/api/v1/tokens", "acme-admin").json()["total"] == 1


@pytest.mark.parametrize("resource", ["numbers", "skills", "queues", "agents", "users", "customers"])
def test_lists_hold_only_the_callers_tenant(api: Api, resource: str) -> None:
    api.post("/api/v1/customers", "acme-agent", json={"name": "Acme Customer"})
    api.post("/api/v1/customers", "demo-agent", json={"name": "Demo Customer"})
    mine = api.get(f"/api/v1/{resource}", "demo-admin").json()
    assert mine["total"] >= 1
    assert {item["tenant"] for item in mine["items"]} == {"demo"}
    other = api.get(f"/api/v1/{resource}", "demo-admin", params={"tenant": "acme"})
    assert other.status_code == 404
    assert other.json()["error"]["field"] == "tenant"
    everyone = api.get(f"/api/v1/{resource}", "root").json()
    assert {item["tenant"] for item in everyone["items"]} >= {"demo", "acme"}


def test_agents_see_only_their_own_agent_record(api: Api) -> None:
    listed = api.get("/api/v1/agents", "demo-agent").json()
    assert [a["extension"] for a in listed["items"]] == ["1001"]
    marco = api.get("/api/v1/agents", "demo-admin", params={"extension": "1002"}).json()["items"][0]
    assert api.get(f"/api/v1/agents/{marco['id']}", "demo-agent").status_code == 404


def test_tenants_list_is_scoped(api: Api) -> None:
    names = [t["name"] for t in api.get("/api/v1/tenants", "demo-supervisor").json()["items"]]
    assert names == ["demo"]
    names = [t["name"] for t in api.get("/api/v1/tenants", "root").json()["items"]]
    assert names == ["acme", "demo"]
