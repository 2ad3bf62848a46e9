"""A two-tenant center for the API tests, and clients holding each role's token.

Tenants ``demo`` and ``acme`` each have an admin, a supervisor and an agent linked to
an agent record; ``root`` is an installation admin. Callers authenticate with bearer
tokens written straight into the database (SHA-256 is cheap), so only the login tests
pay for argon2.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from centralino import config
from centralino.api import ApiSettings, create_app
from centralino.api.security import new_token
from centralino.store.apply import apply_config
from centralino.store.db import Database
from centralino.store.models import ApiToken, User
from centralino.store.passwords import hash_password

PASSWORD = "correct-horse-9"
_HASH = hash_password(PASSWORD)

CENTER = f"""
version: 1
installation:
  name: api-tests
  admins:
    - {{username: root, role: admin, password_hash: "{_HASH}"}}
tenants:
  - name: demo
    country: PL
    time_zone: Europe/Warsaw
    business_hours:
      office: {{mon: ["08:00-18:00"]}}
    numbers:
      - {{number: "+48221234567", name: Warsaw, hours: office, route: {{kind: queue, target: support}}}}
    skills:
      - {{name: support}}
    queues:
      - {{name: support, skills: {{support: 3}}}}
    agents:
      - {{extension: "1001", name: Anna, sip_password: s3cret-sip, skills: [support], queues: [support],
          user: demo-agent}}
      - {{extension: "1002", name: Marco, contact: "sip:marco@192.0.2.10", queues: [support]}}
    users:
      - {{username: demo-admin, role: admin, password_hash: "{_HASH}"}}
      - {{username: demo-supervisor, role: supervisor, password_hash: "{_HASH}"}}
      - {{username: demo-agent, role: agent, password_hash: "{_HASH}"}}
  - name: acme
    country: IT
    time_zone: Europe/Rome
    numbers:
      - {{number: "+390212345678", name: Milano, route: {{kind: queue, target: helpdesk}}}}
    skills:
      - {{name: helpdesk}}
    queues:
      - {{name: helpdesk}}
    agents:
      - {{extension: "2001", name: Paolo, sip_password: p4olo-sip, queues: [helpdesk], user: acme-agent}}
    users:
      - {{username: acme-admin, role: admin, password_hash: "{_HASH}"}}
      - {{username: acme-supervisor, role: supervisor, password_hash: "{_HASH}"}}
      - {{username: acme-agent, role: agent, password_hash: "{_HASH}"}}
"""

USERS = ("root", "demo-admin", "demo-supervisor", "demo-agent", "acme-admin", "acme-supervisor", "acme-agent")


@dataclass
class Api:
    """The app under test, a client, and a bearer token per username."""

    db: Database
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def get(self, path: str, user: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.auth(user), **kwargs)

    def post(self, path: str, user: str, **kwargs: Any) -> Any:
        return self.client.post(path, headers=self.auth(user), **kwargs)

    def patch(self, path: str, user: str, **kwargs: Any) -> Any:
        return self.client.patch(path, headers=self.auth(user), **kwargs)

    def put(self, path: str, user: str, **kwargs: Any) -> Any:
        return self.client.put(path, headers=self.auth(user), **kwargs)

    def delete(self, path: str, user: str, **kwargs: Any) -> Any:
        return self.client.delete(path, headers=self.auth(user), **kwargs)


def make_api(db: Database) -> Api:
    apply_config(db, config.loads(CENTER, "center.yaml"), "center.yaml")
    app = create_app(db, ApiSettings(secret_key="test-secret-key"))
    client = TestClient(app, raise_server_exceptions=False)
    api = Api(db=db, client=client)
    with db.session() as session:
        for user in session.scalars(select(User).where(User.username.in_(USERS))):
            token, digest = new_token()
            session.add(ApiToken(user_id=user.id, name="tests", token_sha256=digest))
            api.tokens[user.username] = token
    assert set(api.tokens) == set(USERS)
    return api


@pytest.fixture
def api(db: Database) -> Iterator[Api]:
    made = make_api(db)
    with made.client:
        yield made
