"""The two-tenant center of the API tests (tenants demo and acme), with its in-memory contact center.

SQLite only: the live routes and the stream do not depend on the database kind, and the API
tests already run every route on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from api.conftest import Api, make_api
from centralino.api.demo_center import DemoContactCenter
from centralino.store.db import Database
from centralino.store.models import Agent, Tenant


class Center:
    """The API under test plus handy ids: tenant ids by name, agent ids by extension."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.cc: DemoContactCenter = api.client.app.state.contact_center
        with api.db.session() as session:
            self.tenants = {t.name: t.id for t in session.scalars(select(Tenant))}
            self.agents = {a.extension: a.id for a in session.scalars(select(Agent))}


@pytest.fixture
def center(tmp_path: Path) -> Iterator[Center]:
    db = Database(f"sqlite:///{(tmp_path / 'web.db').as_posix()}")
    db.upgrade()
    api = make_api(db)
    with api.client:
        yield Center(api)
    db.dispose()
