"""Database: an asyncpg-style facade over a SQLAlchemy 2.0 async engine, plus ORM sessions."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import MetaData, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.util.concurrency import greenlet_spawn

from khorsyio.db import dsn as _dsn
from khorsyio.db.base import Base
from khorsyio.db.engine import build_engine, is_memory_sqlite, sqlite_args
from khorsyio.db.errors import DatabaseConfigError, DatabaseUnavailable
from khorsyio.db.scopes import Scopes
from khorsyio.db.sqltext import Prepared, command_status, prepare
from khorsyio.logtext import logger
from khorsyio.settings import DbSettings

__all__ = ["Database"]

log = logger("khorsyio.db")

T = TypeVar("T")


class Database:
    """The app's database (``app.db``): SQLite (aiosqlite) by default, PostgreSQL (asyncpg).

    ``fetch``/``fetchrow``/``fetchval``/``execute``/``executemany`` take asyncpg's ``$1..$n``
    placeholders on both backends and return rows as dicts. ``session()`` yields a
    SQLAlchemy ``AsyncSession``; ``transaction()`` groups facade calls in one transaction.

    The engine is created on first use, so an app that never touches the database needs
    none. When the DSN was configured explicitly, :meth:`connect` (called at app startup)
    connects right away and raises :class:`DatabaseUnavailable` if it cannot.
    """

    def __init__(
        self,
        dsn: str = "",
        *,
        pool_min: int = 2,
        pool_max: int = 10,
        echo: bool = False,
        configured: bool | None = None,
        connect_timeout: float = 10.0,
        metadata: MetaData | None = None,
    ) -> None:
        self.url: URL = _dsn.normalize(dsn)
        if pool_max < 1 or not 0 <= pool_min <= pool_max:
            raise DatabaseConfigError(
                f"DB_POOL_MIN={pool_min}, DB_POOL_MAX={pool_max}: "
                "expected 0 <= DB_POOL_MIN <= DB_POOL_MAX and DB_POOL_MAX >= 1"
            )
        self.pool_min = pool_min
        self.pool_max = pool_max
        self.echo = echo
        self.configured = bool(dsn.strip()) if configured is None else configured
        self.connect_timeout = connect_timeout
        self.metadata: MetaData = metadata if metadata is not None else Base.metadata
        self._engine: AsyncEngine | None = None
        self._autocommit: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        # An in-memory SQLite database lives in one connection that every caller shares.
        self._scopes = Scopes(str(id(self)), single_connection=is_memory_sqlite(self.url))
        self._serialized = self._scopes.serialized
        self._sqlite = self.backend == "sqlite"
        self._inflight: set[asyncio.Future[Any]] = set()  # statements of cancelled calls

    @classmethod
    def from_settings(cls, settings: DbSettings, *, configured: bool) -> Database:
        """The database of ``settings`` (DB_DSN, DB_POOL_MIN, DB_POOL_MAX, DB_ECHO)."""
        return cls(
            settings.dsn,
            pool_min=settings.pool_min,
            pool_max=settings.pool_max,
            echo=settings.echo,
            configured=configured or bool(settings.dsn.strip()),
        )

    def __repr__(self) -> str:
        return f"Database({self.safe_dsn!r})"

    # -- DSNs and engine -------------------------------------------------------------------

    @property
    def backend(self) -> _dsn.Backend:
        """``"postgresql"`` or ``"sqlite"``."""
        return _dsn.backend_of(self.url)

    @property
    def async_dsn(self) -> str:
        """The DSN with its async driver (``postgresql+asyncpg://``, ``sqlite+aiosqlite://``)."""
        return self.url.render_as_string(hide_password=False)

    @property
    def sync_dsn(self) -> str:
        """The DSN without the async driver (``postgresql://``, ``sqlite://``), e.g. for Alembic."""
        return _dsn.sync_url(self.url).render_as_string(hide_password=False)

    @property
    def safe_dsn(self) -> str:
        """The DSN with the password masked, for messages and logs."""
        return _dsn.mask(self.url)

    @property
    def engine(self) -> AsyncEngine:
        """The SQLAlchemy ``AsyncEngine``, created on first use."""
        if self._engine is None:
            self._engine = build_engine(
                self.url,
                pool_max=self.pool_max,
                echo=self.echo,
                connect_timeout=self.connect_timeout,
            )
            if self.backend == "postgresql":
                # Outside transaction(), facade calls run like asyncpg's: no BEGIN/COMMIT.
                self._autocommit = self._engine.execution_options(isolation_level="AUTOCOMMIT")
        return self._engine

    def _session_factory(self) -> async_sessionmaker[AsyncSession]:
        if self._sessions is None:
            self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        return self._sessions

    async def connect(self) -> None:
        """Check a configured database at startup; the default SQLite file opens lazily instead."""
        if not self.configured:
            return
        engine = self.engine
        try:
            async with asyncio.timeout(self.connect_timeout):
                async with self._serialized(), engine.connect() as conn:
                    await conn.execute(text("select 1"))
                if self.backend == "postgresql" and self.pool_min > 1:
                    await self._warm(engine, self.pool_min)
        except Exception as e:
            await self.close()
            cause = _describe(e, self.connect_timeout)
            raise DatabaseUnavailable(
                f"cannot connect to the database {self.safe_dsn}: {cause}"
            ) from e

    @staticmethod
    async def _warm(engine: AsyncEngine, n: int) -> None:
        async with contextlib.AsyncExitStack() as stack:
            for _ in range(n):
                await stack.enter_async_context(engine.connect())

    async def close(self) -> None:
        """Close every pooled connection; the next use opens the engine again."""
        if self._inflight:  # statements of cancelled calls: let them return their connection
            await asyncio.wait(set(self._inflight), timeout=self.connect_timeout)
        engine, self._engine, self._autocommit, self._sessions = self._engine, None, None, None
        if engine is not None:
            await engine.dispose()

    async def create_all(self, metadata: MetaData | None = None) -> None:
        """Create the tables of ``metadata`` (default: ``Base.metadata``) that do not exist yet."""
        md = metadata if metadata is not None else self.metadata
        async with self._serialized(), self.engine.begin() as conn:
            await conn.run_sync(md.create_all)

    async def drop_all(self, metadata: MetaData | None = None) -> None:
        """Drop the tables of ``metadata`` (default: ``Base.metadata``)."""
        md = metadata if metadata is not None else self.metadata
        async with self._serialized(), self.engine.begin() as conn:
            await conn.run_sync(md.drop_all)

    # -- connections -----------------------------------------------------------------------

    def _args(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        return sqlite_args(args) if self._sqlite else args

    def transaction(self) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
        """One transaction for the facade calls (and sessions) made inside the block.

        Commits when the block ends, rolls back if it raises. Nested, it is a savepoint.
        Yields the ``AsyncConnection``, for SQLAlchemy Core statements in the same transaction.
        """
        return self._scopes.transaction(lambda: self.engine)

    def session(self) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        """An ORM ``AsyncSession`` that commits when the block ends and rolls back if it raises.

        Inside :meth:`transaction` the session joins that transaction (through a savepoint).
        """
        return self._scopes.session(lambda: self._session_factory()())

    # -- asyncpg-style facade --------------------------------------------------------------

    async def fetch(self, query: str, *args: Any) -> list[dict[str, Any]]:
        """All rows, as dicts (an empty list for a statement that returns none)."""
        return await self._run(query, args, _all_rows)

    async def fetchrow(self, query: str, *args: Any) -> dict[str, Any] | None:
        """The first row as a dict, or ``None``."""
        return await self._run(query, args, _first_row)

    async def fetchval(self, query: str, *args: Any, column: int | str = 0) -> Any:
        """One value of the first row (the first column unless ``column`` says), or ``None``."""
        return await self._run(query, args, functools.partial(_value, column=column))

    async def execute(self, query: str, *args: Any) -> str:
        """Run a statement; return its status as asyncpg does (``"INSERT 0 1"``, ``"DELETE 3"``)."""
        prepared = prepare(query)
        count = await self._run(prepared, args, _row_count)
        return command_status(prepared, count)

    async def executemany(self, query: str, args: Iterable[Sequence[Any]]) -> None:
        """Run a statement once per argument tuple, in one transaction (like asyncpg's)."""
        prepared = prepare(query)
        params = [prepared.params(self._args(tuple(a))) for a in args]
        if params:
            await self._shielded(self._execute(prepared, params, _nothing, atomic=True))

    async def _run(
        self, query: str | Prepared, args: tuple[Any, ...], shape: Callable[[Any], T]
    ) -> T:
        prepared = prepare(query) if isinstance(query, str) else query
        params = prepared.params(self._args(args))
        return await self._shielded(self._execute(prepared, params, shape, atomic=False))

    async def _execute(
        self,
        prepared: Prepared,
        params: dict[str, Any] | list[dict[str, Any]],
        shape: Callable[[Any], T],
        *,
        atomic: bool,
    ) -> T:
        # One greenlet runs checkout, statement, result shaping and release with the sync
        # API (as AsyncSession.run_sync does): about half the cost of three async steps.
        tx = self._scopes.current()
        if tx is not None:
            sync_conn = tx.conn.sync_connection
            assert sync_conn is not None
            async with tx.lock:
                return await greenlet_spawn(_on_connection, sync_conn, prepared, params, shape)
        engine = self.engine  # creates it (and the autocommit variant) on first use
        if self._autocommit is not None and not atomic:
            # PostgreSQL outside a transaction: autocommit, as asyncpg runs statements
            return await greenlet_spawn(
                _autocommit, self._autocommit.sync_engine, prepared, params, shape
            )
        async with self._serialized():
            return await greenlet_spawn(
                _in_transaction, engine.sync_engine, prepared, params, shape
            )

    async def _shielded(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` so that cancelling the caller does not cut a statement in half.

        A statement interrupted mid-flight can leave the driver connection in a state the
        pool cannot recover cleanly (see sqlalchemy#8145): the caller is cancelled at once,
        while the statement finishes in the background and its connection goes back to
        the pool as usual.
        """
        task = asyncio.ensure_future(work)  # copies the context: transaction() is visible
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.done():
                self._inflight.add(task)
                task.add_done_callback(self._settled)
            raise

    def _settled(self, task: asyncio.Future[Any]) -> None:
        self._inflight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("statement of a cancelled call failed: %r", task.exception())


def _on_connection(
    conn: Connection, prepared: Prepared, params: Any, shape: Callable[[Any], T]
) -> T:
    return shape(conn.execute(prepared.statement, params))


def _autocommit(engine: Engine, prepared: Prepared, params: Any, shape: Callable[[Any], T]) -> T:
    with engine.connect() as conn:
        return shape(conn.execute(prepared.statement, params))


def _in_transaction(
    engine: Engine, prepared: Prepared, params: Any, shape: Callable[[Any], T]
) -> T:
    with engine.begin() as conn:  # commits, or rolls back on error: all rows or none
        return shape(conn.execute(prepared.statement, params))


def _all_rows(result: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in result.mappings()] if result.returns_rows else []


def _first_row(result: Any) -> dict[str, Any] | None:
    if not result.returns_rows:
        return None
    row = result.mappings().first()
    return dict(row) if row is not None else None


def _value(result: Any, *, column: int | str) -> Any:
    if not result.returns_rows:
        return None
    row = result.first()
    if row is None:
        return None
    return row._mapping[column] if isinstance(column, str) else row[column]


def _row_count(result: Any) -> int:
    return len(result.fetchall()) if result.returns_rows else int(result.rowcount)


def _nothing(result: Any) -> None:
    return None


def _describe(error: BaseException, timeout: float) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer within {timeout:g}s"
    cause: BaseException = error
    if isinstance(error, DBAPIError) and error.orig is not None:
        cause = error.orig
    return f"{type(cause).__name__}: {cause}"
