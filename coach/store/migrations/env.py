"""Alembic's entry point for the coach's own tables.

Called two ways: by coach/store/migrate.py with an open connection (every process that opens
the store, `make kb`, `make migrate`), or by the `alembic` command line (alembic.ini), which
connects to $DATABASE_URL. Only tables in coach/store/models.py are compared or touched: Rasa's
tracker tables may share the database and are not ours.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from coach.store.migrate import COMPARE_OPTIONS, include_object
from coach.store.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        **COMPARE_OPTIONS,
    )


def run_migrations_offline() -> None:
    from coach import settings

    context.configure(
        url=config.get_main_option("sqlalchemy.url") or settings.database_url(),
        target_metadata=target_metadata,
        include_object=include_object,
        render_as_batch=True,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    # The command line: the same engine the coach would open, without migrating it first.
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    from coach.store.db import create_db_engine

    engine = create_db_engine(config.get_main_option("sqlalchemy.url") or None, create_tables=False)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
