"""Running ``execution_mode = "process"`` handlers in a pool of worker processes.

The payload and context cross the process boundary pickled (msgspec Structs pickle
natively). In the worker the handler class is imported by module and qualified name and
constructed once, with no arguments: process handlers take no injected dependencies.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from khorsyio.bus.worker_pool import import_class
from khorsyio.errors import StateError
from khorsyio.events import Context

__all__ = ["ProcessPool"]

_instances: dict[tuple[str, str], Any] = {}
_loop: asyncio.AbstractEventLoop | None = None


def _run_in_child(module: str, qualname: str, data: Any, ctx: Context) -> Any:
    global _loop
    key = (module, qualname)
    handler = _instances.get(key)
    if handler is None:
        handler = _instances[key] = import_class(module, qualname)()
    if _loop is None:
        _loop = asyncio.new_event_loop()
    return _loop.run_until_complete(handler.process(data, ctx))


class ProcessPool:
    def __init__(self, size: int = 0) -> None:
        self.size = size or os.cpu_count() or 2
        self._executor: ProcessPoolExecutor | None = None

    @property
    def running(self) -> bool:
        return self._executor is not None

    def start(self) -> None:
        if self._executor is None:
            ctx = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(max_workers=self.size, mp_context=ctx)

    async def run(self, handler_cls: type[Any], data: Any, ctx: Context) -> Any:
        if self._executor is None:
            raise StateError("the process pool is not running")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor,
            _run_in_child,
            handler_cls.__module__,
            handler_cls.__qualname__,
            data,
            ctx,
        )

    def stop(self) -> None:
        """Stop the workers, terminating any still busy: a timed-out job (its caller gave up
        long ago) or an endless one must not hold the shutdown."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = list(getattr(executor, "_processes", {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            if proc.is_alive():
                proc.terminate()
        for proc in processes:
            proc.join(timeout=5)
