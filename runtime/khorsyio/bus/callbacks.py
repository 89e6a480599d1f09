"""Calling user callbacks that may be sync or async, where one failing must not stop the rest."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

__all__ = ["call_each"]

T = TypeVar("T")


async def call_each(
    callbacks: Iterable[Callable[[T], Awaitable[None] | None]],
    arg: T,
    failed: Callable[[Callable[[T], Any]], None],
) -> None:
    """Call each ``callback(arg)``, awaiting what it returns when awaitable.

    An exception in one callback goes to ``failed(callback)``, called inside the ``except``
    block (so ``log.exception`` there logs the traceback); the next callbacks still run.
    """
    for cb in callbacks:
        try:
            res = cb(arg)
            if inspect.isawaitable(res):
                await res
        except Exception:
            failed(cb)
