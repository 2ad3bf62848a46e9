"""Which roles of a tenant may call each authenticated route, and sample bodies for them.

Every route of the app must be listed here (``test_every_route_is_classified``), so a new
route cannot slip past the 401/403/404 tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI

ALL = frozenset({"admin", "supervisor", "agent"})
READERS = frozenset({"admin", "supervisor"})
ADMIN = frozenset({"admin"})
NOBODY = frozenset[str]()  # installation admins only

PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/public/callbacks"),  # the web callback form: opt-in per tenant, rate-limited
    # Page shells: they redirect to /login without a session; their data comes from the API.
    ("GET", "/"),
    ("GET", "/login"),
    ("GET", "/desktop"),
    ("GET", "/wallboard"),
    ("GET", "/admin/config"),
}

V1 = "/api/v1"
ALLOWED: dict[tuple[str, str], frozenset[str]] = {
    ("POST", f"{V1}/auth/logout"): ALL,
    ("GET", f"{V1}/me"): ALL,
    ("POST", f"{V1}/tokens"): ALL,
    ("GET", f"{V1}/tokens"): ALL,
    ("DELETE", f"{V1}/tokens/{{token_id}}"): ALL,
    ("GET", f"{V1}/tenants"): ALL,
    ("GET", f"{V1}/tenants/{{tenant_id}}"): ALL,
    ("POST", f"{V1}/tenants"): NOBODY,
    ("PATCH", f"{V1}/tenants/{{tenant_id}}"): ADMIN,
    ("DELETE", f"{V1}/tenants/{{tenant_id}}"): NOBODY,
    ("GET", f"{V1}/queues"): ALL,
    ("GET", f"{V1}/queues/{{queue_id}}"): ALL,
    ("GET", f"{V1}/agents"): ALL,  # agents see only their own record
    ("GET", f"{V1}/agents/{{agent_id}}"): ALL,
    ("GET", f"{V1}/customers"): ALL,
    ("GET", f"{V1}/customers/{{customer_id}}"): ALL,
    ("POST", f"{V1}/customers"): ALL,
    ("PATCH", f"{V1}/customers/{{customer_id}}"): ALL,
    ("DELETE", f"{V1}/customers/{{customer_id}}"): READERS,
    ("POST", f"{V1}/customers/{{customer_id}}/verify-pin"): ALL,
    ("GET", f"{V1}/customers/{{customer_id}}/timeline"): ALL,
    # Live operations (api/routes/live.py): agents act on their own calls, supervisors on any.
    ("GET", f"{V1}/live/me"): ALL,
    ("PUT", f"{V1}/live/me/phone"): ALL,
    ("PUT", f"{V1}/live/me/state"): ALL,
    ("GET", f"{V1}/live/queues"): ALL,
    ("GET", f"{V1}/live/directory"): ALL,
    ("GET", f"{V1}/live/announcement"): ALL,
    ("GET", f"{V1}/live/agents"): READERS,
    ("PUT", f"{V1}/live/agents/{{agent_id}}/state"): READERS,
    ("GET", f"{V1}/live/intervals"): READERS,
    ("PUT", f"{V1}/live/announcement"): READERS,
    ("DELETE", f"{V1}/live/announcement"): READERS,
    ("POST", f"{V1}/calls"): ALL,
    ("POST", f"{V1}/calls/{{call_id}}/answer"): ALL,
    ("PUT", f"{V1}/calls/{{call_id}}/hold"): ALL,
    ("DELETE", f"{V1}/calls/{{call_id}}/hold"): ALL,
    ("POST", f"{V1}/calls/{{call_id}}/transfers"): ALL,
    ("POST", f"{V1}/calls/{{call_id}}/conference"): ALL,
    ("DELETE", f"{V1}/calls/{{call_id}}"): ALL,
    ("PUT", f"{V1}/calls/{{call_id}}/recording"): ALL,
    ("PUT", f"{V1}/calls/{{call_id}}/wrapup"): ALL,
    ("POST", f"{V1}/calls/{{call_id}}/monitor"): READERS,
    # Call records, recordings and statistics (api/routes/calls.py, recordings.py, stats.py):
    # agents see their own calls and recordings only.
    ("GET", f"{V1}/calls"): ALL,
    ("GET", f"{V1}/calls/{{call_id}}"): ALL,
    ("PUT", f"{V1}/calls/{{call_id}}/disposition"): ALL,
    ("GET", f"{V1}/recordings/{{recording_id}}"): ALL,
    ("GET", f"{V1}/stats/queues"): READERS,
    ("GET", f"{V1}/stats/agents"): READERS,
    # Configuration upload (api/routes/config_file.py): tenant admins check, installation admins apply.
    ("POST", f"{V1}/config/check"): ADMIN,
    ("POST", f"{V1}/config/apply"): NOBODY,
}
for _resource in ("numbers", "skills", "users"):
    ALLOWED[("GET", f"{V1}/{_resource}")] = READERS
    ALLOWED[("GET", f"{V1}/{_resource}/{{{_resource[:-1]}_id}}")] = READERS
for _resource in ("numbers", "skills", "queues", "agents", "users"):
    ALLOWED[("POST", f"{V1}/{_resource}")] = ADMIN
    ALLOWED[("DELETE", f"{V1}/{_resource}/{{{_resource[:-1]}_id}}")] = ADMIN
for _method, _resource in (
    ("PATCH", "numbers"),
    ("PATCH", "skills"),
    ("PUT", "queues"),
    ("PUT", "agents"),
    ("PATCH", "users"),
):
    ALLOWED[(_method, f"{V1}/{_resource}/{{{_resource[:-1]}_id}}")] = ADMIN

# Valid bodies, so that a request fails on permissions or ownership and not on validation.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", f"{V1}/tokens"): {"name": "t"},
    ("POST", f"{V1}/tenants"): {"name": "newco"},
    ("PATCH", f"{V1}/tenants/{{tenant_id}}"): {"display_name": "X"},
    ("POST", f"{V1}/numbers"): {"number": "+48221234999", "route": {"kind": "echo"}},
    ("PATCH", f"{V1}/numbers/{{number_id}}"): {"name": "X"},
    ("POST", f"{V1}/skills"): {"name": "newskill"},
    ("PATCH", f"{V1}/skills/{{skill_id}}"): {"description": "X"},
    ("POST", f"{V1}/queues"): {"name": "newqueue"},
    ("PUT", f"{V1}/queues/{{queue_id}}"): {"name": "helpdesk", "description": "X"},
    ("POST", f"{V1}/agents"): {"extension": "3001", "name": "New", "contact": "sip:n@192.0.2.1"},
    ("PUT", f"{V1}/agents/{{agent_id}}"): {"extension": "2001", "name": "X"},
    ("POST", f"{V1}/users"): {"username": "newuser", "role": "agent"},
    ("PATCH", f"{V1}/users/{{user_id}}"): {"display_name": "X"},
    ("POST", f"{V1}/customers"): {"name": "New"},
    ("PATCH", f"{V1}/customers/{{customer_id}}"): {"name": "X"},
    ("POST", f"{V1}/customers/{{customer_id}}/verify-pin"): {"pin": "1234"},
    ("PUT", f"{V1}/live/me/phone"): {"extension": "1001"},
    ("PUT", f"{V1}/live/me/state"): {"state": "available"},
    ("PUT", f"{V1}/live/agents/{{agent_id}}/state"): {"state": "available"},
    ("PUT", f"{V1}/live/announcement"): {"text": "We know about the outage."},
    ("POST", f"{V1}/calls"): {"number": "1002"},
    ("POST", f"{V1}/calls/{{call_id}}/transfers"): {"kind": "queue", "target": "support"},
    ("POST", f"{V1}/calls/{{call_id}}/conference"): {"kind": "number", "target": "1002"},
    ("PUT", f"{V1}/calls/{{call_id}}/recording"): {"paused": True},
    ("PUT", f"{V1}/calls/{{call_id}}/wrapup"): {"disposition": "resolved"},
    ("PUT", f"{V1}/calls/{{call_id}}/disposition"): {"disposition": "resolved"},
    ("POST", f"{V1}/calls/{{call_id}}/monitor"): {"mode": "listen", "extension": "1099"},
    ("POST", f"{V1}/config/check"): {"text": "version: 1\n"},
    ("POST", f"{V1}/config/apply"): {"text": "version: 1\n", "sha256": "0" * 64},
}


def routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path template) of every route, flattening included routers whatever the FastAPI version."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before lazy router inclusion: app.routes is already flat
        flat: Any = app.routes
    else:
        flat = iter_route_contexts(app.routes)
    for route in flat:
        for method in sorted(set(getattr(route, "methods", None) or ()) - {"HEAD"}):
            yield method, route.path
