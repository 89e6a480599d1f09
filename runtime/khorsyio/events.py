"""Context, Error and Envelope: what travels on the bus.

Inside one process an envelope carries the payload *object* (a ``msgspec.Struct``); it is
encoded only where it crosses a process or network boundary.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import msgspec

__all__ = ["Context", "Envelope", "Error", "new_envelope", "new_trace_id"]

T = TypeVar("T")


_batch: list[str] = []


def _trace_id_batches() -> Iterator[list[str]]:
    """Batches of 256 random ids, cut from one read of OS randomness each."""
    global _batch
    while True:
        digits = os.urandom(2048).hex()
        _batch = [digits[i : i + 16] for i in range(0, 4096, 16)]
        yield _batch


# A fork must not hand its child the parent's unused ids: emptying the current batch makes
# the child's next id come from a fresh batch.
os.register_at_fork(after_in_child=lambda: _batch.clear())

new_trace_id: Callable[[], str] = itertools.chain.from_iterable(_trace_id_batches()).__next__
"""A fresh random 16-hex-digit trace id (C-level iteration: it runs for every event)."""


class Context(msgspec.Struct, kw_only=True):
    """Propagated automatically along a whole handler chain.

    ``source`` names whoever produced the event (a handler's class name, ``"http"``,
    ``"scheduler"``...). ``correlation_id`` ties a chain to a waiting ``bus.request``.
    """

    trace_id: str = msgspec.field(default_factory=new_trace_id)
    user_id: str = ""
    extra: dict[str, Any] = msgspec.field(default_factory=dict)
    source: str = ""
    timestamp: float = msgspec.field(default_factory=time.time)
    correlation_id: str = ""

    def child(self, source: str) -> Context:
        """The context of an event produced from this one by ``source``."""
        return Context(
            trace_id=self.trace_id,
            user_id=self.user_id,
            extra=self.extra,
            source=source,
            correlation_id=self.correlation_id,
        )

    def forward(self, event_type: str, data: Any) -> Envelope:
        """An envelope publishing ``data`` as ``event_type`` in this chain.

        What a handler returns to pick its next event (conditional routing)::

            return ctx.forward("user.vip" if data.vip else "user.regular", data)
        """
        return Envelope(event_type=event_type, payload=data, ctx=self.child(""))


class Error(msgspec.Struct, kw_only=True):
    """A failure as data: what went wrong, where, and in which trace."""

    code: str = "error"
    message: str = ""
    source: str = ""
    trace_id: str = ""
    details: dict[str, Any] = msgspec.field(default_factory=dict)


class Envelope(msgspec.Struct, kw_only=True):
    """An event: its type, its payload, its context and, for a failure, its error."""

    event_type: str
    payload: Any = None
    ctx: Context = msgspec.field(default_factory=Context)
    error: Error | None = None

    @classmethod
    def create(
        cls,
        event_type: str,
        data: Any,
        source: str = "",
        trace_id: str | None = None,
        user_id: str = "",
        extra: dict[str, Any] | None = None,
    ) -> Envelope:
        """A new envelope that starts a trace (or joins ``trace_id``).

        The one builder of a new trace's envelope (also ``new_envelope``, which
        ``bus.publish`` and ``bus.request`` call for every event from outside a handler):
        the trace id comes from the field's default factory unless one is given.
        """
        if extra is None:
            extra = {}
        if trace_id:
            ctx = Context(trace_id=trace_id, user_id=user_id or "", extra=extra, source=source)
        else:
            ctx = Context(user_id=user_id or "", extra=extra, source=source)
        return cls(event_type=event_type, payload=data, ctx=ctx)

    def forward(self, event_type: str, data: Any, source: str = "") -> Envelope:
        """A new envelope in the same trace (same trace id, user, extra, correlation)."""
        return Envelope(event_type=event_type, payload=data, ctx=self.ctx.child(source))

    @classmethod
    def error_from(
        cls,
        original: Envelope,
        message: str,
        code: str = "error",
        source: str = "",
        details: dict[str, Any] | None = None,
    ) -> Envelope:
        """An error envelope (``<event>.error``) in the trace of ``original``."""
        err = Error(
            code=code,
            message=message,
            source=source,
            trace_id=original.ctx.trace_id,
            details=details or {},
        )
        return cls(
            event_type=f"{original.event_type}.error",
            payload=original.payload,
            ctx=original.ctx.child(source),
            error=err,
        )

    def decode(self, typ: type[T]) -> T:
        """The payload as ``typ``: the object itself when it already is one, else converted.

        Bytes are decoded as JSON; dicts and other objects are converted with msgspec's
        validation. A mismatch raises ``msgspec.ValidationError`` naming the field path.
        """
        payload = self.payload
        if isinstance(payload, typ):
            return payload
        if isinstance(payload, bytes | bytearray | memoryview | str):
            return msgspec.json.decode(payload, type=typ)
        return msgspec.convert(payload, typ, from_attributes=True)

    @property
    def trace_id(self) -> str:
        return self.ctx.trace_id

    @property
    def is_error(self) -> bool:
        return self.error is not None


#: ``Envelope.create`` as a plain callable: the name the bus and the websocket transport use.
new_envelope = Envelope.create
