"""Scheduled events: publish a copy of a payload every ``interval`` seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from khorsyio.bus.envelopes import copy_struct
from khorsyio.errors import BusClosedError, UsageError
from khorsyio.graph import Node

__all__ = ["Schedule"]

log = logging.getLogger("khorsyio.bus")


class Schedule:
    """One scheduled event. ``start`` runs it as a task until ``stop``."""

    def __init__(self, event_type: str, data: msgspec.Struct, interval: float, source: str) -> None:
        if not interval > 0:
            raise UsageError(f"schedule('{event_type}'): interval must be > 0 seconds")
        self.event_type = event_type
        self.data = data
        self.interval = interval
        self.source = source
        self.fired = 0
        self._task: asyncio.Task[None] | None = None

    def graph_node(self) -> Node:
        """This schedule in the event graph: a producer of its event."""
        return Node(
            kind="schedule",
            name=f"schedule {self.event_type} every {self.interval:g}s",
            produces=(self.event_type,),
            output_type=type(self.data),
        )

    def start(self, publish: Callable[[str, Any, str], Awaitable[None]]) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop(publish))

    async def _loop(self, publish: Callable[[str, Any, str], Awaitable[None]]) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time() + self.interval
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            next_at += self.interval
            if next_at <= loop.time():  # a stall: skip the missed ticks, no burst
                next_at = loop.time() + self.interval
            try:
                await publish(self.event_type, copy_struct(self.data), self.source)
                self.fired += 1
            except BusClosedError:
                return
            except Exception:
                log.exception("scheduled event '%s' failed to publish", self.event_type)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
