"""Login, the session cookie, logout, API tokens, /me."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.conftest import PASSWORD, Api
from centralino.store.models import ApiToken, AuditEntry


def login(client: TestClient, username: str, password: str = PASSWORD, **extra: object) -> object:
    return client.post("/api/v1/auth/login", json={"username": username, "password": password, **extra})


def test_login_sets_a_cookie_that_authenticates_until_logout(api: Api) -> None:
    response = login(api.client, "demo-supervisor")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["username"] == "demo-supervisor"
    assert body["user"]["tenant"] == "demo"
    assert body["token"] is None
    cookie = response.headers["set-cookie"]
    assert "centralino_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert api.client.get("/api/v1/me").json()["role"] == "supervisor"
    assert api.client.post("/api/v1/auth/logout").status_code == 204
    assert api.client.get("/api/v1/me").status_code == 401


def test_wrong_password_and_unknown_user_are_the_same_401(api: Api) -> None:
    wrong = login(api.client, "demo-admin", "nope-nope")
    unknown = login(api.client, "nobody", "nope-nope")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert "set-cookie" not in wrong.headers
    with api.db.session() as session:
        failed = session.scalars(select(AuditEntry.target).where(AuditEntry.action == "login.failed")).all()
    assert sorted(failed) == ["demo-admin", "nobody"]


def test_login_can_issue_a_short_lived_token(api: Api) -> None:
    body = login(api.client, "acme-agent", issue_token=True).json()
    assert body["token"].startswith("cnt_") and body["token_expires_at"]
    api.client.cookies.clear()
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["username"] == "acme-agent"
    with api.db.session() as session:
        stored = session.scalars(select(ApiToken.token_sha256)).all()
    assert body["token"] not in stored  # only digests are kept


def test_password_change_ends_sessions(api: Api) -> None:
    assert login(api.client, "demo-agent").status_code == 200
    user_id = api.client.get("/api/v1/me").json()["id"]
    changed = api.patch(f"/api/v1/users/{user_id}", "demo-admin", json={"password": "another-pass-1"})
    assert changed.status_code == 200
    api.client.headers.pop("Authorization", None)
    assert api.client.get("/api/v1/me").status_code == 401
    assert login(api.client, "demo-agent", "another-pass-1").status_code == 200


def test_inactive_users_cannot_log_in_nor_use_tokens(api: Api) -> None:
    user_id = api.get("/api/v1/me", "acme-supervisor").json()["id"]
    assert api.patch(f"/api/v1/users/{user_id}", "acme-admin", json={"active": False}).status_code == 200
    assert login(api.client, "acme-supervisor").status_code == 401
    assert api.get("/api/v1/me", "acme-supervisor").status_code == 401


def test_tokens_create_list_revoke(api: Api) -> None:
    created = api.post("/api/v1/tokens", "demo-agent", json={"name": "crm", "expires_in_days": 30})
    assert created.status_code == 201
    token = created.json()
    assert token["token"].startswith("cnt_") and token["expires_at"]
    headers = {"Authorization": f"Bearer {token['token']}"}
    assert api.client.get("/api/v1/me", headers=headers).json()["username"] == "demo-agent"
    listed = api.get("/api/v1/tokens", "demo-agent").json()
    assert {t["name"] for t in listed["items"]} == {"crm", "tests"}
    assert all("token" not in t for t in listed["items"])
    assert api.get("/api/v1/tokens", "demo-admin").json()["total"] == 1  # only the caller's own
    assert api.delete(f"/api/v1/tokens/{token['id']}", "demo-admin").status_code == 404
    assert api.delete(f"/api/v1/tokens/{token['id']}", "demo-agent").status_code == 204
    assert api.client.get("/api/v1/me", headers=headers).status_code == 401


def test_logout_with_a_token_revokes_it(api: Api) -> None:
    token = api.post("/api/v1/tokens", "demo-agent", json={"name": "once"}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert api.client.get("/api/v1/me", headers=headers).status_code == 401


def test_health_and_metrics_need_no_credentials(api: Api) -> None:
    health = api.client.get("/healthz")
    assert health.status_code == 200 and health.json()["database"] == "ok"
    api.get("/api/v1/me", "root")
    text = api.client.get("/metrics").text
    assert 'centralino_http_requests_total{method="GET",route="/api/v1/me",status="200"} 1.0' in text
    assert "centralino_http_request_duration_seconds_bucket" in text
