"""The public web callback form's endpoint: opt-in per tenant, number validated, rate-limited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from centralino.store.models import Tenant
from web.conftest import Center

KEY = "demo-web-form-0123456789"
URL = "/api/v1/public/callbacks"


def enable(center: Center, tenant: str = "demo", queue: str = "support") -> None:
    with center.api.db.session() as session:
        row = session.scalar(select(Tenant).where(Tenant.name == tenant))
        assert row is not None
        row.settings = {**(row.settings or {}), "web_callback": {"queue": queue, "key": KEY}}


def post(center: Center, **body: Any) -> Any:
    sent = {"tenant": "demo", "key": KEY, "number": "+48 601 000 001", **body}
    return center.api.client.post(URL, json=sent)


def test_a_valid_request_reaches_the_contact_center_in_e164(center: Center) -> None:
    enable(center)
    when = datetime.now(UTC) + timedelta(hours=2)
    response = post(center, number="601 000 001", not_before=when.isoformat(), language="pl")
    assert response.status_code == 202, response.text
    assert response.json()["number"] == "+48601000001"  # national form, the tenant's country (PL)
    [request] = center.cc.callbacks
    assert request["tenant_id"] == center.tenants["demo"]
    assert request["queue"] == "support" and request["number"] == "+48601000001"
    assert abs(request["not_before"] - when.timestamp()) < 1e-3
    assert request["language"] == "pl"


def test_off_unless_enabled_and_the_key_must_match(center: Center) -> None:
    assert post(center).status_code == 404  # no form configured
    enable(center)
    assert post(center, key="wrong-key-0123456789").status_code == 404
    assert post(center, tenant="acme").status_code == 404
    assert center.cc.callbacks == []


def test_refusals_name_the_field(center: Center) -> None:
    enable(center)
    bad = post(center, number="+48 12")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "number"
    late = post(center, not_before=(datetime.now(UTC) + timedelta(days=9)).isoformat())
    assert late.status_code == 422 and late.json()["error"]["field"] == "not_before"
    past = post(center, not_before=(datetime.now(UTC) - timedelta(hours=1)).isoformat())
    assert past.status_code == 422 and past.json()["error"]["field"] == "not_before"
    assert center.cc.callbacks == []


def test_rate_limited_per_source_address(center: Center) -> None:
    enable(center)
    statuses = [post(center).status_code for _ in range(6)]
    assert statuses == [202] * 5 + [429]
    limited = post(center)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def test_the_form_page_is_served(center: Center) -> None:
    page = center.api.client.get("/static/callback.html")
    assert page.status_code == 200
    assert 'id="cb-number"' in page.text and "/api/v1/public/callbacks" in page.text
