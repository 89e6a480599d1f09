"""The connection scopes of one Database: its open transaction() and its ORM sessions.

A :meth:`~khorsyio.db.Database.transaction` opened in a task is seen by the facade calls
and sessions made inside it (a context variable); an in-memory SQLite database lives in
one connection that every caller shares, so its operations take turns (a lock).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from khorsyio.db.errors import DatabaseUsageError

__all__ = ["Scopes", "Tx"]


class Tx:
    """The connection of an open transaction, shared by the facade calls in it."""

    __slots__ = ("conn", "lock")

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.lock = asyncio.Lock()  # one statement at a time on the shared connection


class Scopes:
    """Where a database call runs: in the current task's transaction, or on its own."""

    def __init__(self, name: str, *, single_connection: bool) -> None:
        self._tx: ContextVar[Tx | None] = ContextVar(f"khorsyio.db.tx.{name}", default=None)
        self._serial = asyncio.Lock() if single_connection else None
        self._serial_held: ContextVar[bool] = ContextVar(
            f"khorsyio.db.serial.{name}", default=False
        )

    def current(self) -> Tx | None:
        """The transaction open in this task, if any."""
        return self._tx.get()

    @contextlib.asynccontextmanager
    async def serialized(self) -> AsyncIterator[None]:
        """In-memory SQLite: one operation at a time on its single connection."""
        if self._serial is None:
            yield
            return
        if self._serial_held.get():
            raise DatabaseUsageError(
                "the in-memory SQLite database (sqlite://) has one connection, held here by "
                "the enclosing session() or transaction(): make this call inside a "
                "transaction() block, or use a SQLite file"
            )
        async with self._serial:
            token = self._serial_held.set(True)
            try:
                yield
            finally:
                self._serial_held.reset(token)

    @contextlib.asynccontextmanager
    async def transaction(
        self, engine: Callable[[], AsyncEngine]
    ) -> AsyncIterator[AsyncConnection]:
        """See :meth:`khorsyio.db.Database.transaction`; nested, a savepoint."""
        tx = self._tx.get()
        if tx is not None:
            async with tx.lock:
                savepoint = await tx.conn.begin_nested()
            try:
                yield tx.conn
            except BaseException:
                async with tx.lock:
                    await savepoint.rollback()
                raise
            async with tx.lock:
                await savepoint.commit()
            return
        async with self.serialized(), engine().connect() as conn:
            tx = Tx(conn)
            token = self._tx.set(tx)
            try:
                trans = await conn.begin()
                try:
                    yield conn
                except BaseException:
                    async with tx.lock:  # after any statement still running in it
                        await trans.rollback()
                    raise
                async with tx.lock:
                    await trans.commit()
            finally:
                self._tx.reset(token)

    @contextlib.asynccontextmanager
    async def session(self, new: Callable[[], AsyncSession]) -> AsyncIterator[AsyncSession]:
        """See :meth:`khorsyio.db.Database.session`; inside a transaction, a savepoint."""
        tx = self._tx.get()
        if tx is not None:
            session = AsyncSession(
                bind=tx.conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )
            guard: contextlib.AbstractAsyncContextManager[Any] = contextlib.nullcontext()
        else:
            session = new()
            guard = self.serialized()
        async with guard, session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()
