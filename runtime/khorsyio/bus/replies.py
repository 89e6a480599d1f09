"""Request/reply correlation: futures keyed by a correlation id that travels with the chain."""

from __future__ import annotations

import asyncio
import itertools

from khorsyio.events import Envelope

__all__ = ["Replies"]


class _Waiter:
    __slots__ = ("future", "response_type")

    def __init__(self, response_type: str, future: asyncio.Future[Envelope]) -> None:
        self.response_type = response_type
        self.future = future


class Replies:
    """The requests waiting for a reply. No polling: a dispatched envelope resolves its future.

    A request's chain carries its correlation id in ``ctx.correlation_id``; the first envelope
    of that chain whose type is the awaited response, or that is an error, answers it.
    """

    def __init__(self) -> None:
        self._waiting: dict[str, _Waiter] = {}
        self._ids = itertools.count(1)

    def open(
        self, loop: asyncio.AbstractEventLoop, response_type: str
    ) -> tuple[str, asyncio.Future[Envelope]]:
        """A new correlation id and the future its reply will resolve."""
        cid = f"c{next(self._ids)}"
        fut: asyncio.Future[Envelope] = loop.create_future()
        self._waiting[cid] = _Waiter(response_type, fut)
        return cid, fut

    def close(self, cid: str) -> None:
        del self._waiting[cid]

    def offer(self, env: Envelope) -> None:
        """Answer the request ``env`` belongs to, if ``env`` is its reply or an error."""
        waiter = self._waiting.get(env.ctx.correlation_id)
        if (
            waiter is not None
            and (env.event_type == waiter.response_type or env.error is not None)
            and not waiter.future.done()
        ):
            waiter.future.set_result(env)

    def fail_all(self, code: str, message: str) -> int:
        """Answer every waiting request with an error envelope; how many there were."""
        for waiter in self._waiting.values():
            if not waiter.future.done():
                waiter.future.set_result(
                    Envelope.error_from(
                        Envelope.create(waiter.response_type, None, source="bus"),
                        message,
                        code=code,
                        source="bus",
                    )
                )
        return len(self._waiting)
