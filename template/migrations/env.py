"""Alembic environment: the app's database (DB_DSN) and its models' metadata."""

import asyncio
from logging.config import fileConfig

from alembic import context
from khorsyio.db import Database
from khorsyio.settings import Settings
from sqlalchemy.engine import Connection

import app.models  # noqa: F401  (importing the models registers their tables)

if context.config.config_file_name is not None:
    fileConfig(context.config.config_file_name)  # logging setup of alembic.ini

db = Database.from_settings(Settings.load().db, configured=True)
target_metadata = db.metadata  # khorsyio.Base.metadata


def run_migrations_offline() -> None:
    """`alembic upgrade --sql`: write the SQL instead of running it."""
    context.configure(
        url=db.sync_dsn,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=db.backend == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=db.backend == "sqlite",  # SQLite's ALTER TABLE is limited
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    try:
        async with db.engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await db.close()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
