"""Dead letters: events a handler could not process, kept to be listed and replayed."""

from __future__ import annotations

import builtins
import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from khorsyio.errors import UnknownNameError
from khorsyio.events import Envelope, Error

__all__ = ["DeadLetter", "DeadLetterStore"]

log = logging.getLogger("khorsyio.bus")


class DeadLetter(msgspec.Struct, kw_only=True):
    """One failed delivery: the event, the handler it failed in, and the last error."""

    id: int
    handler: str
    envelope: Envelope
    error: Error
    attempts: int
    failed_at: float


class DeadLetterStore:
    """In-memory dead letters, bounded; a full store evicts the oldest with a logged warning.

    ``replay(id)`` delivers the event again to the handler it failed in and removes it from
    the store (it comes back if it fails again).
    """

    def __init__(
        self,
        max_size: int,
        redeliver: Callable[[str, Envelope], Awaitable[None]],
    ) -> None:
        self.max_size = max_size
        self.evicted = 0
        self._items: OrderedDict[int, DeadLetter] = OrderedDict()
        self._ids = itertools.count(1)
        self._redeliver = redeliver

    def add(self, handler: str, envelope: Envelope, error: Error, attempts: int) -> DeadLetter:
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
            self.evicted += 1
            log.warning(
                "dead letter store full (%d): evicted #%d %s in %s trace=%s",
                self.max_size,
                old.id,
                old.envelope.event_type,
                old.handler,
                old.envelope.trace_id,
            )
        return letter

    def list(self, handler: str | None = None) -> builtins.list[DeadLetter]:
        return [d for d in self._items.values() if handler is None or d.handler == handler]

    def get(self, letter_id: int) -> DeadLetter:
        try:
            return self._items[letter_id]
        except KeyError:
            raise UnknownNameError(f"no dead letter #{letter_id}") from None

    async def replay(self, letter_id: int) -> None:
        """Deliver the event again; the letter is removed once the bus has taken it."""
        letter = self.get(letter_id)
        await self._redeliver(letter.handler, letter.envelope)
        self._items.pop(letter_id, None)

    async def replay_all(self, handler: str | None = None) -> int:
        ids = [d.id for d in self.list(handler)]
        for i in ids:
            await self.replay(i)
        return len(ids)

    def snapshot(self) -> builtins.list[dict[str, Any]]:
        return [
            {
                "id": d.id,
                "handler": d.handler,
                "event_type": d.envelope.event_type,
                "trace_id": d.envelope.trace_id,
                "code": d.error.code,
                "message": d.error.message,
                "attempts": d.attempts,
                "failed_at": d.failed_at,
            }
            for d in self._items.values()
        ]

    def __len__(self) -> int:
        return len(self._items)
