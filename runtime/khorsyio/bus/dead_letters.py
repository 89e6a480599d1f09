"""Dead letters: events a handler could not process, kept to be listed and replayed.

:class:`DeadLetterStore` is the interface (async, so that a store may live in a database or
on another server); :class:`MemoryDeadLetters` keeps them in the process, bounded. The
database store is :class:`khorsyio.db.dead_letters.DatabaseDeadLetters`; a third store
implements the abstract methods below and nothing else: replay is the same for all.
"""

from __future__ import annotations

import builtins
import itertools
import logging
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from khorsyio.errors import StateError, UnknownNameError
from khorsyio.events import Envelope, Error

__all__ = ["DeadLetter", "DeadLetterStore", "MemoryDeadLetters", "Redeliver"]

log = logging.getLogger("khorsyio.bus")

Redeliver = Callable[[str, Envelope], Awaitable[None]]
"""``redeliver(handler, envelope)``: hand the envelope to that handler again (the bus's)."""


class DeadLetter(msgspec.Struct, kw_only=True):
    """One failed delivery: the event, the handler it failed in, and the last error."""

    id: int
    handler: str
    envelope: Envelope
    error: Error
    attempts: int
    failed_at: float

    def summary(self) -> dict[str, Any]:
        """The letter as a JSON-ready dict without its payload (what a listing shows)."""
        return {
            "id": self.id,
            "handler": self.handler,
            "event_type": self.envelope.event_type,
            "trace_id": self.envelope.trace_id,
            "code": self.error.code,
            "message": self.error.message,
            "attempts": self.attempts,
            "failed_at": self.failed_at,
        }


class DeadLetterStore(ABC):
    """Where dead letters are kept: add, list, get, remove, purge, count; replay on top.

    ``replay(id)`` delivers the event again to the handler it failed in, in the same trace
    and with a fresh attempt counter, and removes the letter once the bus has taken it (it
    comes back, under a new id, if it fails again). Every method is a coroutine.
    """

    max_size: int
    """The most letters kept: past it the oldest is evicted, with a logged warning."""
    evicted: int
    """Letters evicted by this process because the store was full."""

    def __init__(self, max_size: int, redeliver: Redeliver | None = None) -> None:
        self.max_size = max_size
        self.evicted = 0
        self._redeliver = redeliver

    def bind(self, redeliver: Redeliver) -> None:
        """Set how replay hands an event back to the bus (the bus does it when given a store)."""
        self._redeliver = redeliver

    async def open(self) -> DeadLetterStore:
        """The store to use from now on: this one, after checking that it works (the bus
        calls it when it starts, and keeps what it returns); raise when it cannot work."""
        return self

    @abstractmethod
    async def add(
        self, handler: str, envelope: Envelope, error: Error, attempts: int
    ) -> DeadLetter:
        """Keep a new letter (evicting the oldest when full); the letter with its id."""

    @abstractmethod
    async def restore(self, letter: DeadLetter) -> None:
        """Put back, under its own id, a letter whose replay the bus did not take."""

    @abstractmethod
    async def list(
        self, handler: str | None = None, limit: int | None = None
    ) -> builtins.list[DeadLetter]:
        """The letters, oldest first (of ``handler`` only when given; at most ``limit``)."""

    @abstractmethod
    async def get(self, letter_id: int) -> DeadLetter:
        """The letter ``letter_id``; :class:`UnknownNameError` when there is none."""

    @abstractmethod
    async def remove(self, letter_id: int) -> bool:
        """Delete one letter; False when it was not there (already replayed or purged)."""

    @abstractmethod
    async def purge(self, handler: str | None = None) -> int:
        """Delete every letter (of ``handler`` only when given); how many were deleted."""

    @abstractmethod
    async def count(self, handler: str | None = None) -> int:
        """How many letters are kept (of ``handler`` only when given)."""

    # -- the same for every store ---------------------------------------------------------

    async def replay(self, letter_id: int) -> DeadLetter:
        """Deliver the letter's event again; the letter is removed once the bus has taken it.

        Claimed first (removed), so that two replays of one letter deliver it once; put back
        if the bus refuses it (no such handler, the bus is not running).
        """
        letter = await self.get(letter_id)
        if not await self._replay(letter):
            raise UnknownNameError(f"no dead letter #{letter_id} (replayed or purged meanwhile)")
        return letter

    async def replay_all(self, handler: str | None = None) -> int:
        """Replay every letter (of ``handler`` only when given), oldest first; how many.

        Stops at the first letter the bus refuses (it stays, as do the ones after it).
        """
        done = 0
        for letter in await self.list(handler=handler):
            done += await self._replay(letter)
        return done

    async def _replay(self, letter: DeadLetter) -> bool:
        """Claim ``letter`` and redeliver it; False when someone else claimed it first."""
        if self._redeliver is None:
            raise StateError("this dead letter store is not attached to a bus")
        if not await self.remove(letter.id):
            return False
        try:
            await self._redeliver(letter.handler, letter.envelope)
        except BaseException:
            await self.restore(letter)
            raise
        return True

    async def snapshot(
        self, handler: str | None = None, limit: int | None = None
    ) -> builtins.list[dict[str, Any]]:
        """The letters as JSON-ready dicts without payloads (:meth:`DeadLetter.summary`)."""
        return [d.summary() for d in await self.list(handler, limit)]

    def _evicted(self, old: DeadLetter) -> None:
        self.evicted += 1
        log.warning(
            "dead letter store full (%d): evicted #%d %s in %s trace=%s",
            self.max_size,
            old.id,
            old.envelope.event_type,
            old.handler,
            old.envelope.trace_id,
        )


class MemoryDeadLetters(DeadLetterStore):
    """Dead letters in this process's memory, bounded (the store without a database)."""

    def __init__(self, max_size: int, redeliver: Redeliver | None = None) -> None:
        super().__init__(max_size, redeliver)
        self._items: OrderedDict[int, DeadLetter] = OrderedDict()
        self._ids = itertools.count(1)

    async def add(
        self, handler: str, envelope: Envelope, error: Error, attempts: int
    ) -> DeadLetter:
        return self.add_now(handler, envelope, error, attempts)

    def add_now(self, handler: str, envelope: Envelope, error: Error, attempts: int) -> DeadLetter:
        """:meth:`add` without awaiting (memory needs no I/O)."""
        letter = DeadLetter(
            id=next(self._ids),
            handler=handler,
            envelope=envelope,
            error=error,
            attempts=attempts,
            failed_at=time.time(),
        )
        self._items[letter.id] = letter
        while len(self._items) > self.max_size:
            _, old = self._items.popitem(last=False)
            self._evicted(old)
        return letter

    async def restore(self, letter: DeadLetter) -> None:
        self._items[letter.id] = letter
        self._items = OrderedDict(sorted(self._items.items()))

    async def list(
        self, handler: str | None = None, limit: int | None = None
    ) -> builtins.list[DeadLetter]:
        out = [d for d in self._items.values() if handler is None or d.handler == handler]
        return out if limit is None else out[:limit]

    async def get(self, letter_id: int) -> DeadLetter:
        try:
            return self._items[letter_id]
        except KeyError:
            raise UnknownNameError(f"no dead letter #{letter_id}") from None

    async def remove(self, letter_id: int) -> bool:
        return self._items.pop(letter_id, None) is not None

    async def purge(self, handler: str | None = None) -> int:
        ids = [i for i, d in self._items.items() if handler is None or d.handler == handler]
        for i in ids:
            del self._items[i]
        return len(ids)

    async def count(self, handler: str | None = None) -> int:
        if handler is None:
            return len(self._items)
        return sum(1 for d in self._items.values() if d.handler == handler)
