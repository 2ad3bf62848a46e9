"""Property-based requests generated from the OpenAPI document: no input may cause a 5xx.

schemathesis (v4) reads ``/openapi.json`` and generates, per operation, path parameters,
queries and bodies (the "examples" and "fuzzing" phases; the exhaustive "coverage" phase
is off to stay within the time budget); requests carry a tenant admin's token so they
reach the route code rather than stopping at 401. One center per database kind is shared
by every operation of this module, so objects created by one operation are there for the
next. Bounded: a few examples per operation, no Hypothesis deadline (argon2 is slow on
purpose).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from api.conftest import Api, make_api
from centralino.api import ApiSettings, create_app
from centralino.api.security import new_token
from centralino.store.db import Database
from centralino.store.models import ApiToken, User

EXAMPLES = 6
CONFIG = SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}}
)

# The document does not depend on data: build it from an app whose database is never opened
# (create_app connects to nothing), and send each case to the shared center's app.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Database("sqlite://"), ApiSettings(secret_key="schema-only")), config=CONFIG
)


def _postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    server: str = request.getfixturevalue("pg_database_url")
    name = f"fuzz_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    try:
        yield (
            make_url(server)
            .update_query_dict({"options": f"-csearch_path={name}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def center(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'c.db'}"])
    else:
        urls = _postgres_url(request)
    db = Database(next(urls))
    db.upgrade()
    api = make_api(db)
    with api.client:
        yield api
    db.dispose()
    for _ in urls:  # finish the generator: drops the PostgreSQL schema
        pass


def _fresh_token(api: Api, username: str) -> dict[str, str]:
    """Logout revokes the token it is called with; give it one of its own each time."""
    token, digest = new_token()
    with api.db.session() as session:
        user = session.query(User).filter_by(username=username).one()
        session.add(ApiToken(user_id=user.id, name="fuzz", token_sha256=digest))
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case: Any, center: Api) -> None:
    if case.operation.path == "/api/v1/auth/logout":
        headers = _fresh_token(center, "demo-admin")
    else:
        headers = center.auth("demo-admin")
    case.call_and_validate(app=center.client.app, headers=headers, checks=[not_a_server_error])
