"""Fixtures shared by the whole suite: databases.

- ``database_url``: parametrized over ``sqlite`` (a file in the test's tmp_path) and
  ``postgres`` (marked ``postgres``). Every PostgreSQL test gets a schema of its own
  (``search_path`` set in the URL) inside a database created for this test session and
  dropped at its end, so tests never see each other's rows and the server is left clean.
  The server comes from ``CENTRALINO_TEST_PG_URL`` (default
  ``postgresql+psycopg://root@127.0.0.1:5432/test``); if it is unreachable the PostgreSQL
  tests are skipped, except under CI (``CI=true``) where that is a failure.
- ``db``: a ``Database`` on ``database_url``, migrated to head, disposed afterwards.
- ``pg_database_url``: the session's PostgreSQL database, for tests that need only PostgreSQL.
- ``cheap_argon2``: argon2id with argon2-cffi's CHEAPEST profile for the test, so suites that
  hash many passwords (config apply, logins) do not spend seconds in key stretching. The
  hashes are real argon2id strings; ``needs_rehash`` reports True for them.

Run only SQLite with ``-m "not postgres"``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from centralino.store import passwords
from centralino.store.db import Database, normalize_url

PG_URL_ENV = "CENTRALINO_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"


def _admin_engine(url: str) -> Engine:
    return create_engine(
        url, isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args={"connect_timeout": 3}
    )


def _unavailable(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: PostgreSQL is required)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A PostgreSQL database created for this test session (falls back to the base one if not allowed)."""
    base = normalize_url(os.environ.get(PG_URL_ENV) or DEFAULT_PG_URL)
    shown = make_url(base).render_as_string(hide_password=True)
    admin = _admin_engine(base)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except DBAPIError as exc:
        admin.dispose()
        _unavailable(f"PostgreSQL at {shown} is unreachable ({exc.orig}); set {PG_URL_ENV}")
    name = f"centralino_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except DBAPIError:
        # No CREATEDB right: per-test schemas in the given database still isolate the tests.
        yield base
        admin.dispose()
        return
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of the parametrized kind, private to this test."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'centralino.db').as_posix()}"
        return
    server: str = request.getfixturevalue("pg_database_url")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(server)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A migrated ``Database`` on ``database_url``."""
    database = Database(database_url)
    database.upgrade()
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash and verify with minimal argon2 cost parameters during the test."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))
