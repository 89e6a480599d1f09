"""One ``db`` fixture that runs each test on SQLite (a file in tmp_path) and on PostgreSQL.

PostgreSQL comes from KHORSYIO_TEST_PG_DSN (``scripts/services.sh``); a missing variable
fails the test. Each PostgreSQL test gets its own schema (first on the search_path), so
parallel runs and the seed's plain table names (``users``) do not collide; the schema is
dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import DateTime, String, event, func, true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from khorsyio.db import Database

POOL_MAX = 5


class Model(DeclarativeBase):
    pass


class User(Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    age: Mapped[int | None]
    active: Mapped[bool] = mapped_column(server_default=true())
    email: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    _secret: Mapped[str | None] = mapped_column("secret", String(50))


def pg_dsn() -> str:
    dsn = os.environ.get("KHORSYIO_TEST_PG_DSN")
    if not dsn:
        pytest.fail('KHORSYIO_TEST_PG_DSN is not set: run `eval "$(bash scripts/services.sh)"`')
    return dsn


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(pg_dsn(), timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def make_db(backend: str, tmp_path: Path, **options: Any) -> tuple[Database, str | None]:
    """A Database on ``backend``; for PostgreSQL also the name of its private schema."""
    options.setdefault("pool_min", 1)
    options.setdefault("pool_max", POOL_MAX)
    if backend == "sqlite":
        return Database(f"sqlite:///{tmp_path / 'test.db'}", **options), None
    schema = f"khorsyio_t_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'create schema "{schema}"')
    db = Database(pg_dsn(), **options)

    @event.listens_for(db.engine.sync_engine, "connect")
    def _search_path(dbapi_connection: Any, _record: Any) -> None:
        # straight on the asyncpg connection: outside any transaction, so it sticks
        dbapi_connection.run_async(lambda c: c.execute(f'set search_path to "{schema}"'))

    return db, schema


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    database, schema = await make_db(request.param, tmp_path)
    try:
        await database.create_all(Model.metadata)
        yield database
    finally:
        await database.close()
        if schema is not None:
            await _pg_admin(f'drop schema "{schema}" cascade')
