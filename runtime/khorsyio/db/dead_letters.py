"""Dead letters that survive a restart: one row each in ``khorsyio_dead_letters``.

The app uses this store when a database is configured (``DB_DSN``) unless
``BUS_DEAD_LETTER_STORE=memory``. It works through the :class:`~khorsyio.db.Database`
facade on SQLite and PostgreSQL alike; the runtime never creates the table: the template's
migration does (or ``db.create_all()``). When the table is missing,
:meth:`DatabaseDeadLetters.open` stops the start with a message naming the migration
(``BUS_DEAD_LETTER_STORE=database``), or, on the default ``auto``, logs that warning and
keeps the letters in memory, as an app without the table always did.
"""

from __future__ import annotations

import builtins
import logging
import time
from typing import Any

import msgspec
from sqlalchemy.exc import DBAPIError

from khorsyio.bus.dead_letters import DeadLetter, DeadLetterStore, MemoryDeadLetters, Redeliver
from khorsyio.db.database import Database
from khorsyio.db.dead_letter_table import DEAD_LETTER_MIGRATION, DEAD_LETTER_TABLE
from khorsyio.errors import StateError, UnknownNameError
from khorsyio.events import Envelope, Error

__all__ = ["DatabaseDeadLetters"]

log = logging.getLogger("khorsyio.bus")

_T = DEAD_LETTER_TABLE
_COLUMNS = "id, handler, event_type, trace_id, envelope, error, attempts, failed_at"
_INSERT = (
    f"insert into {_T} (handler, event_type, trace_id, envelope, error, attempts, failed_at) "
    "values ($1, $2, $3, $4, $5, $6, $7) returning id"
)
_RESTORE = f"insert into {_T} ({_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8)"
_ENVELOPE = msgspec.json.Decoder(Envelope)
_ERROR = msgspec.json.Decoder(Error)


def _unencodable(obj: Any) -> str:
    return repr(obj)  # a payload JSON cannot hold is kept as its repr, not lost


_ENCODER = msgspec.json.Encoder(enc_hook=_unencodable)


class DatabaseDeadLetters(DeadLetterStore):
    """Dead letters in the app's database, bounded by ``max_size`` like the memory store.

    Every process of the app (several workers, a restart) sees the same letters; ids are
    the table's. The envelope is kept as msgspec JSON: a replayed event's payload is a dict
    again, which the handler's input contract decodes as it decodes any event.
    """

    def __init__(
        self,
        db: Database,
        max_size: int,
        redeliver: Redeliver | None = None,
        *,
        required: bool = True,
    ) -> None:
        super().__init__(max_size, redeliver)
        self.db = db
        self.required = required
        """Without the table: stop the start (True), or keep the letters in memory (False)."""

    async def open(self) -> DeadLetterStore:
        try:
            await self.db.fetch(f"select id from {_T} where 1 = 0")
        except DBAPIError as e:
            why = type(e.orig).__name__ if e.orig is not None else type(e).__name__
            if self.required:
                raise StateError(
                    f"the database {self.db.safe_dsn} has no table {_T} for the dead letters: "
                    f"run `alembic upgrade head` (the template ships {DEAD_LETTER_MIGRATION}), "
                    "or call db.create_all(), or set BUS_DEAD_LETTER_STORE=memory to keep them "
                    f"in memory ({why})"
                ) from e
            log.warning(
                "dead letters are kept in memory: the database %s has no table %s (run "
                "`alembic upgrade head`, the template ships %s, or call db.create_all() to "
                "keep them across restarts; BUS_DEAD_LETTER_STORE=memory silences this)",
                self.db.safe_dsn,
                _T,
                DEAD_LETTER_MIGRATION,
            )
            return MemoryDeadLetters(self.max_size, self._redeliver)
        return self

    async def add(
        self, handler: str, envelope: Envelope, error: Error, attempts: int
    ) -> DeadLetter:
        failed_at = time.time()
        async with self.db.transaction():
            letter_id = await self.db.fetchval(
                _INSERT,
                handler,
                envelope.event_type,
                envelope.trace_id,
                _ENCODER.encode(envelope).decode(),
                _ENCODER.encode(error).decode(),
                attempts,
                failed_at,
            )
            excess = await self.count() - self.max_size
            old = await self._rows(f"order by id limit {excess}") if excess > 0 else []
            for row in old:
                await self.db.execute(f"delete from {_T} where id = $1", row.id)
        for row in old:
            self._evicted(row)
        return DeadLetter(
            id=int(letter_id),
            handler=handler,
            envelope=envelope,
            error=error,
            attempts=attempts,
            failed_at=failed_at,
        )

    async def restore(self, letter: DeadLetter) -> None:
        await self.db.execute(
            _RESTORE,
            letter.id,
            letter.handler,
            letter.envelope.event_type,
            letter.envelope.trace_id,
            _ENCODER.encode(letter.envelope).decode(),
            _ENCODER.encode(letter.error).decode(),
            letter.attempts,
            letter.failed_at,
        )

    async def list(
        self, handler: str | None = None, limit: int | None = None
    ) -> builtins.list[DeadLetter]:
        tail = "order by id" if limit is None else f"order by id limit {int(limit)}"
        if handler is None:
            return await self._rows(tail)
        return await self._rows(f"where handler = $1 {tail}", handler)

    async def get(self, letter_id: int) -> DeadLetter:
        rows = await self._rows("where id = $1", int(letter_id))
        if not rows:
            raise UnknownNameError(f"no dead letter #{letter_id}")
        return rows[0]

    async def remove(self, letter_id: int) -> bool:
        status = await self.db.execute(f"delete from {_T} where id = $1", int(letter_id))
        return status != "DELETE 0"

    async def purge(self, handler: str | None = None) -> int:
        if handler is None:
            status = await self.db.execute(f"delete from {_T}")
        else:
            status = await self.db.execute(f"delete from {_T} where handler = $1", handler)
        return int(status.rsplit(" ", 1)[-1])

    async def count(self, handler: str | None = None) -> int:
        if handler is None:
            n = await self.db.fetchval(f"select count(*) from {_T}")
        else:
            n = await self.db.fetchval(f"select count(*) from {_T} where handler = $1", handler)
        return int(n or 0)

    async def _rows(self, tail: str, *args: Any) -> builtins.list[DeadLetter]:
        rows = await self.db.fetch(f"select {_COLUMNS} from {_T} {tail}", *args)
        return [_letter(r) for r in rows]


def _letter(row: dict[str, Any]) -> DeadLetter:
    return DeadLetter(
        id=int(row["id"]),
        handler=row["handler"],
        envelope=_ENVELOPE.decode(row["envelope"]),
        error=_ERROR.decode(row["error"]),
        attempts=int(row["attempts"]),
        failed_at=float(row["failed_at"]),
    )
