"""Counting the events a bus has accepted and not finished, and waiting for none."""

from __future__ import annotations

import asyncio

__all__ = ["InFlight"]


class InFlight:
    """Events accepted and not yet finished (queued or being processed, chains included).

    A delivery calls :meth:`add` when a subscription takes an event and :meth:`finish` once
    that event is done with (handled, failed for good, or cut short at shutdown); waiters
    of :meth:`wait_idle` wake when the count reaches zero. One counter per bus: every
    subscription shares it, so "idle" means the whole process, not one handler.

    ``count`` and ``waiters`` are plain attributes so that the dispatch hot path can inline
    :meth:`add` and :meth:`finish` (a method call per event is measurable there).
    """

    __slots__ = ("count", "waiters")

    def __init__(self) -> None:
        self.count = 0
        self.waiters: list[asyncio.Future[None]] = []
        """The futures of the :meth:`wait_idle` calls waiting for zero."""

    def add(self) -> None:
        self.count += 1

    def finish(self) -> None:
        self.count -= 1
        if not self.count and self.waiters:
            self.wake()

    def wake(self) -> None:
        """Resolve the waiters (the count is zero)."""
        waiters, self.waiters = self.waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def wait_idle(self, loop: asyncio.AbstractEventLoop, timeout: float | None) -> bool:
        """True once the count is zero; False if that did not happen within ``timeout``."""
        if not self.count:
            return True
        fut: asyncio.Future[None] = loop.create_future()
        self.waiters.append(fut)
        try:
            async with asyncio.timeout(timeout):
                await fut
        except TimeoutError:
            return False
        return True
