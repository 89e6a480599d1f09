"""Eager execution of coroutines: run until the first suspension, pay for a task only then.

Most handlers finish without ever waiting (pure computation, cache hits). Running them
synchronously inside the publisher's call, and creating a task or a timeout timer only when
a coroutine actually suspends, is what keeps the bus close to direct awaits. This is the
technique of ``asyncio.eager_task_factory`` (Python 3.12), usable on 3.11 too and also for
a single await (:func:`run_with_timeout`).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar

__all__ = ["Resume", "run_with_timeout", "start_eager"]

T = TypeVar("T")


class Resume:
    """Awaitable that continues ``coro`` after it already yielded ``first`` to its driver.

    It re-yields ``first`` (the future the coroutine is blocked on) to the awaiting task,
    then forwards sends and throws exactly as ``await`` would.
    """

    __slots__ = ("coro", "first")

    def __init__(self, coro: Coroutine[Any, Any, Any], first: Any) -> None:
        self.coro = coro
        self.first = first

    def __await__(self) -> Generator[Any, Any, Any]:
        coro = self.coro
        value = self.first
        self.first = None
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:
                try:
                    value = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


async def _continue(coro: Coroutine[Any, Any, T], first: Any) -> T:
    result: T = await Resume(coro, first)
    return result


def start_eager(
    loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, None]
) -> asyncio.Task[None] | None:
    """Run ``coro`` now, in a copy of the current context, until it first suspends.

    Returns None when it finished synchronously, else the task that carries on with it
    (in the same context).
    """
    ctx = contextvars.copy_context()
    try:
        first = ctx.run(coro.send, None)
    except StopIteration:
        return None
    return loop.create_task(_continue(coro, first), context=ctx)


async def run_with_timeout(coro: Coroutine[Any, Any, T], timeout: float) -> T:
    """``await coro`` with a timeout, arming the timer only if ``coro`` suspends."""
    try:
        first = coro.send(None)
    except StopIteration as stop:
        result: T = stop.value
        return result
    async with asyncio.timeout(timeout):
        return await _continue(coro, first)
