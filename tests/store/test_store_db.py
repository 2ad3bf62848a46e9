"""The Database handle: URLs, SQLite tuning, sessions, and migrations equal to the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from centralino.store.db import DATABASE_URL_ENV, Database, default_url, normalize_url, url_from_env
from centralino.store.models import Base, Setting, Skill, Tenant


def test_default_url_is_an_absolute_sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert default_url(Path("data")) == f"sqlite:///{tmp_path.resolve().as_posix()}/data/centralino.db"


def test_url_from_env_prefers_the_variable_and_picks_psycopg(tmp_path: Path) -> None:
    env = {DATABASE_URL_ENV: "postgresql://root@127.0.0.1:5432/test"}
    assert url_from_env(tmp_path, env) == "postgresql+psycopg://root@127.0.0.1:5432/test"
    assert url_from_env(tmp_path, {DATABASE_URL_ENV: "  "}) == default_url(tmp_path)
    assert url_from_env(tmp_path, {}) == default_url(tmp_path)
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_for_data_dir_creates_the_directory_and_the_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "nested" / "data"
    db = Database.for_data_dir(data_dir)
    try:
        db.upgrade()
        assert (data_dir / "centralino.db").is_file()
        assert db.current_revision() == db.head_revision()
    finally:
        db.dispose()


def test_sqlite_connections_are_tuned(tmp_path: Path) -> None:
    db = Database(default_url(tmp_path))
    try:
        db.upgrade()  # turns foreign keys off while migrating: they must be back on afterwards
        with db.engine.connect() as connection:
            pragma = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("foreign_keys", "journal_mode", "busy_timeout", "synchronous")
            }
        assert pragma == {"foreign_keys": 1, "journal_mode": "wal", "busy_timeout": 5000, "synchronous": 1}
    finally:
        db.dispose()


def test_memory_sqlite_shares_one_connection() -> None:
    db = Database("sqlite://")
    try:
        db.upgrade()
        with db.session() as session:
            session.add(Setting(key="k", value=1))
        with db.session() as session:
            assert session.get(Setting, "k") is not None
    finally:
        db.dispose()


def test_upgrade_matches_the_models(database_url: str) -> None:
    db = Database(database_url)
    try:
        assert db.current_revision() is None
        assert not db.is_up_to_date()
        db.upgrade()
        assert db.current_revision() == db.head_revision() is not None
        db.upgrade()  # a second upgrade has nothing to do
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        db.dispose()


def test_downgrade_to_base_removes_every_table(database_url: str) -> None:
    db = Database(database_url)
    try:
        db.upgrade()
        config = db.alembic_config()
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        assert db.current_revision() is None
        db.upgrade()
        assert set(inspect(db.engine).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
    finally:
        db.dispose()


def test_session_commits_on_success_and_rolls_back_on_error(db: Database) -> None:
    with db.session() as session:
        session.add(Setting(key="kept", value={"a": 1}))
    with pytest.raises(RuntimeError), db.session() as session:
        session.add(Setting(key="lost", value=2))
        session.flush()
        raise RuntimeError("boom")
    with db.session() as session:
        assert session.scalars(select(Setting.key)).all() == ["kept"]


def test_foreign_keys_cascade(db: Database) -> None:
    with db.session() as session:
        tenant = Tenant(name="t", country="US", time_zone="UTC", language="en", settings={})
        session.add(tenant)
        session.flush()
        session.add(Skill(tenant_id=tenant.id, name="s"))
    with db.session() as session:
        session.execute(Tenant.__table__.delete())
    with db.session() as session:
        assert session.scalars(select(Skill)).all() == []
