"""Alembic environment: run the revisions on the connection ``Database.upgrade`` hands over.

``render_as_batch`` makes autogenerate write ``batch_alter_table`` blocks, which
SQLite needs (it cannot ALTER most things in place) and PostgreSQL runs as
plain ALTERs, so one revision serves both databases.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from centralino.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # Called by the alembic command line with only a URL: open our own connection.
    from centralino.store.db import Database

    database = Database(config.get_main_option("sqlalchemy.url") or "")
    try:
        with database.engine.begin() as own:
            _run(own)
    finally:
        database.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
