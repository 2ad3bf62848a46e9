"""The database handle: one SQLAlchemy engine, its sessions and its migrations.

Centralino runs on SQLite (one file in the data directory, nothing to install)
or PostgreSQL (``CENTRALINO_DATABASE_URL``). Both are migrated by the same
Alembic revisions, applied in code at start-up: the Alembic configuration is
built here and the scripts live inside the package, so an installed wheel needs
no ``alembic.ini``.

SQLite connections are tuned on connect:

- ``foreign_keys=ON``: SQLite ignores ``ON DELETE CASCADE`` and every foreign
  key unless asked, per connection.
- ``journal_mode=WAL``: readers (API, wallboard) do not block the writer (call
  records) and the writer does not block readers.
- ``busy_timeout=5000``: a connection waits up to 5 s for the write lock
  instead of failing at once with "database is locked".
- ``synchronous=NORMAL``: in WAL mode this cannot corrupt the database; a power
  cut may lose the last transactions, but commits skip an fsync each, which
  is what keeps call-record writes cheap.

The Python ``sqlite3`` module opens transactions lazily (only before the first
INSERT/UPDATE/DELETE) and never around DDL. We switch that off and emit
``BEGIN`` ourselves (the recipe in SQLAlchemy's SQLite dialect docs) so a
session, a configuration apply and a migration are each one real transaction.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

__all__ = ["DATABASE_URL_ENV", "DB_FILE_NAME", "Database", "default_url", "normalize_url", "url_from_env"]

DATABASE_URL_ENV = "CENTRALINO_DATABASE_URL"
DB_FILE_NAME = "centralino.db"
_SCRIPT_LOCATION = "centralino.store:migrations"
_SQLITE_PRAGMAS = ("foreign_keys=ON", "journal_mode=WAL", "busy_timeout=5000", "synchronous=NORMAL")


def default_url(data_dir: Path) -> str:
    """The SQLite file of a data directory (the path made absolute so the cwd does not matter)."""
    return f"sqlite:///{(Path(data_dir).expanduser().resolve() / DB_FILE_NAME).as_posix()}"


def normalize_url(url: str) -> str:
    """Pick the psycopg 3 driver for bare ``postgresql://`` / ``postgres://`` URLs.

    SQLAlchemy would otherwise look for psycopg2, which Centralino does not install.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def url_from_env(data_dir: Path, environ: dict[str, str] | None = None) -> str:
    """``CENTRALINO_DATABASE_URL`` if set and non-empty, else the data directory's SQLite file."""
    env = os.environ if environ is None else environ
    url = env.get(DATABASE_URL_ENV, "").strip()
    return normalize_url(url) if url else default_url(data_dir)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we send BEGIN ourselves, see the module docstring
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def _sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    """The pragma on the raw driver connection: through SQLAlchemy it would BEGIN first, and ignore it."""
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("the SQLite connection was closed before the migration could set foreign_keys")
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


class Database:
    """An engine, a session factory and the migrations, for one database URL."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalize_url(url)
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        options: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            if parsed.database in (None, "", ":memory:"):
                # One shared connection, else every checkout would see its own empty database.
                options["poolclass"] = StaticPool
                options["connect_args"] = {"check_same_thread": False}
        else:
            options["pool_pre_ping"] = True  # survive a PostgreSQL restart between requests
        self.engine: Engine = create_engine(self.url, **options)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_on_connect)
            event.listen(self.engine, "begin", _sqlite_on_begin)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> Database:
        """The SQLite database ``<data_dir>/centralino.db``, creating the directory."""
        path = Path(data_dir).expanduser()
        path.mkdir(parents=True, exist_ok=True)
        return cls(default_url(path))

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed if the block ends normally, rolled back if it raises."""
        with self._sessions.begin() as session:
            yield session

    def alembic_config(self) -> Config:
        """The Alembic configuration, built in code; also what developers pass to ``alembic.command``."""
        config = Config()
        config.set_main_option("script_location", _SCRIPT_LOCATION)
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return config

    def upgrade(self, revision: str = "head") -> None:
        """Apply the migrations up to ``revision`` in one transaction (DDL is transactional on both)."""
        config = self.alembic_config()
        with self.engine.connect() as connection:
            sqlite = self.dialect == "sqlite"
            if sqlite:
                # Batch migrations rebuild a table and DROP the old one; with foreign keys on, SQLite
                # would cascade that DROP into the child tables' rows. The pragma only takes effect
                # outside a transaction, hence the raw driver connection before BEGIN.
                _sqlite_foreign_keys(connection, on=False)
            try:
                with connection.begin():
                    config.attributes["connection"] = connection
                    command.upgrade(config, revision)
                    if sqlite:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                        if broken:
                            raise RuntimeError(f"migration to {revision} broke foreign keys: {broken[:5]}")
            finally:
                if sqlite:
                    _sqlite_foreign_keys(connection, on=True)

    def current_revision(self) -> str | None:
        """The revision the database is at; None for an empty (never migrated) database."""
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def head_revision(self) -> str | None:
        """The newest revision this version of Centralino ships."""
        return ScriptDirectory.from_config(self.alembic_config()).get_current_head()

    def is_up_to_date(self) -> bool:
        """Whether ``upgrade()`` has nothing left to do (for a start-up check that does not migrate)."""
        return self.current_revision() == self.head_revision()

    def dispose(self) -> None:
        """Close every pooled connection (tests, shutdown, after a fork)."""
        self.engine.dispose()
