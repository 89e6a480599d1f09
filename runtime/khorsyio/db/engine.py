"""Building the SQLAlchemy async engine for a DSN: pool sizing and SQLite's connection setup."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, DateTime, Numeric, Time, Uuid, event
from sqlalchemy.dialects.sqlite.aiosqlite import dialect as aiosqlite_dialect
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, StaticPool

from khorsyio.db import data_errors
from khorsyio.db.dsn import backend_of

__all__ = ["build_engine", "is_memory_sqlite", "sqlite_args"]

SQLITE_BUSY_TIMEOUT_MS = 5000


def is_memory_sqlite(url: URL) -> bool:
    """A SQLite URL without a file: one connection that every caller shares."""
    if backend_of(url) != "sqlite":
        return False
    db = url.database or ""
    return db in ("", ":memory:") or url.query.get("mode") == "memory"


def build_engine(url: URL, *, pool_max: int, echo: bool, connect_timeout: float) -> AsyncEngine:
    """An engine whose pool keeps up to ``pool_max`` connections open.

    ``pool_size=pool_max`` with no overflow: connections above a "min" are kept rather
    than closed on return (the asyncpg pool keeps them too), so a burst does not pay a
    reconnect per query. ``Database.connect()`` opens DB_POOL_MIN of them at startup.
    A statement the driver refuses for a value raises :class:`~khorsyio.errors.InvalidValue`
    (see :mod:`khorsyio.db.data_errors`).
    """
    kwargs: dict[str, Any] = {"echo": echo}
    if backend_of(url) == "postgresql":
        kwargs.update(
            pool_size=pool_max,
            max_overflow=0,
            connect_args={"timeout": connect_timeout},
        )
        engine = create_async_engine(url, **kwargs)
        data_errors.install(engine.sync_engine)
        return engine

    memory = is_memory_sqlite(url)
    if memory:  # one connection holds the whole database: everyone shares it
        kwargs.update(poolclass=StaticPool)
    else:
        # A queue pool sized like PostgreSQL's (SQLAlchemy's default for SQLite files since
        # 2.0.38; NullPool before); WAL lets readers run while one writer writes.
        kwargs.update(poolclass=AsyncAdaptedQueuePool, pool_size=pool_max, max_overflow=0)
    engine = create_async_engine(url, **kwargs)
    data_errors.install(engine.sync_engine)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see _on_begin): sqlite3's legacy mode would
        # skip it for SELECT, DDL and SAVEPOINT, breaking isolation and nested transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


@lru_cache(maxsize=1)
def _sqlite_processors() -> dict[type[Any], Callable[[Any], Any]]:
    d = aiosqlite_dialect()
    out: dict[type[Any], Callable[[Any], Any]] = {}
    for py, sa_type in (
        (datetime.datetime, DateTime()),
        (datetime.date, Date()),
        (datetime.time, Time()),
        (decimal.Decimal, Numeric()),
        (uuid.UUID, Uuid()),
    ):
        process = sa_type.dialect_impl(d).bind_processor(d)
        if process is not None:
            out[py] = process
    return out


def sqlite_args(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Facade arguments stored on SQLite the way the ORM stores them.

    Datetimes, dates, times, decimals and UUIDs go through SQLAlchemy's own SQLite
    processors, so a row written with ``db.execute(..., datetime(...))`` compares and
    loads correctly through ORM models and the query helpers (and sqlite3's deprecated
    default adapters are never used).
    """
    processors = _sqlite_processors()
    kinds = tuple(processors)
    if not any(isinstance(a, kinds) for a in args):
        return args
    return tuple(_sqlite_value(a, processors) if isinstance(a, kinds) else a for a in args)


def _sqlite_value(value: Any, processors: dict[type[Any], Callable[[Any], Any]]) -> Any:
    for t in type(value).__mro__:  # datetime before date
        process = processors.get(t)
        if process is not None:
            return process(value)
    return value
