"""Eager execution: run until the first suspension, pay for a task or a timer only then.

Most handlers finish without ever waiting (pure computation, cache hits). Running them
synchronously inside the publisher's call (eager tasks, Python 3.12+), and arming a timeout
timer only when a coroutine actually suspends (:func:`run_with_timeout`, which stays inside
the current task), is what keeps the bus close to direct awaits.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar

__all__ = ["Resume", "run_with_timeout", "start_eager"]

T = TypeVar("T")

_EAGER = sys.version_info >= (3, 12)


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
    """Start ``coro`` as a task, in a fresh context; on Python 3.12+ an eager one.

    An eager task runs synchronously, as the current task, until it first suspends;
    returns None when it already finished. (Driving a coroutine by hand instead would
    leave ``asyncio.current_task()`` pointing at the publisher, which breaks
    ``asyncio.timeout`` in user code, so on 3.11 the task is an ordinary one.)
    """
    if _EAGER:
        task = asyncio.Task(  # type: ignore[call-arg,unused-ignore]
            coro, loop=loop, eager_start=True, context=contextvars.Context()
        )
        return None if task.done() else task
    return loop.create_task(coro, context=contextvars.Context())


async def run_with_timeout(coro: Coroutine[Any, Any, T], timeout: float) -> T:
    """``await coro`` with a timeout, arming the timer only if ``coro`` suspends."""
    try:
        first = coro.send(None)
    except StopIteration as stop:
        result: T = stop.value
        return result
    async with asyncio.timeout(timeout):
        return await _continue(coro, first)
