"""A pool of worker processes that heals: a dead or timed-out worker is replaced.

Each worker is a ``spawn``-ed process that runs one job at a time, fed through a pipe.
``concurrent.futures.ProcessPoolExecutor`` breaks for good when one of its processes dies
(every later job fails with ``BrokenProcessPool``) and cannot take back a worker whose job
timed out; here each worker is owned one by one:

- a worker that dies mid-job (SIGKILL, a segfault, ``os._exit``) fails that job with
  :class:`WorkerCrashed`, which the handler's retry policy treats as any handler error, and
  a new worker takes its place;
- a job whose caller gives up (a timeout, a cancelled request, shutdown) has its worker
  killed and replaced: a runaway job never keeps a worker busy.

The payload, context and handler parameters cross the boundary pickled (msgspec Structs
pickle natively). In the worker the handler class is imported by module and qualified
name and built once per worker with the parameters it was given.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing
import os
import pickle
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from khorsyio.errors import KhorsyioError

__all__ = ["WorkerCrashed", "WorkerPool", "import_class"]

log = logging.getLogger("khorsyio.bus")


class WorkerCrashed(KhorsyioError, RuntimeError):
    """The worker process running a job died before it answered (it has been replaced)."""


def import_class(module: str, qualname: str) -> Any:
    """The class ``module.qualname`` as a worker process sees it (``__main__`` included)."""
    if module == "__main__" and "__mp_main__" in sys.modules:
        mod = sys.modules["__mp_main__"]
    else:
        mod = importlib.import_module(module)
    obj: Any = mod
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a RuntimeError that carries its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__qualname__}: {exc}")
    return exc


def _worker_main(conn: Connection) -> None:
    """The loop of one worker process: receive a job, run it, send the outcome back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    loop = asyncio.new_event_loop()
    handlers: dict[tuple[str, str], Any] = {}
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        module, qualname, init, data, ctx = job
        try:
            key = (module, qualname)
            handler = handlers.get(key)
            if handler is None:
                handler = handlers[key] = import_class(module, qualname)(**(init or {}))
            outcome: tuple[str, Any] = ("ok", loop.run_until_complete(handler.process(data, ctx)))
        except BaseException as e:  # the parent decides what an error means
            outcome = ("error", _portable(e))
        try:
            conn.send(outcome)
        except Exception as e:  # a result that cannot be pickled
            conn.send(("error", RuntimeError(f"the handler's result cannot be sent back: {e}")))


class _Worker:
    __slots__ = ("conn", "known", "process")

    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.known: set[tuple[str, str]] = set()  # handler classes this worker has built


class WorkerPool:
    """``size`` worker processes running handler jobs, one job per worker at a time."""

    def __init__(self, size: int = 0) -> None:
        self.size = size or os.cpu_count() or 2
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._idle: asyncio.Queue[_Worker] | None = None
        self._threads: ThreadPoolExecutor | None = None
        self.replaced = 0
        """How many workers have been replaced (crashed, or killed after a timeout)."""

    @property
    def running(self) -> bool:
        return self._idle is not None

    def start(self) -> None:
        if self._idle is not None:
            return
        self._idle = asyncio.Queue()
        self._threads = ThreadPoolExecutor(self.size, thread_name_prefix="khorsyio-worker")
        for _ in range(self.size):
            self._idle.put_nowait(self._spawn())

    def _spawn(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main, args=(child,), daemon=True, name="khorsyio-worker"
        )
        process.start()
        child.close()  # the parent keeps one end: a dead worker reads as EOF
        worker = _Worker(process, parent)
        self._workers.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        """Kill ``worker`` (if it still lives) and put a fresh one in its place.

        Its pipe is not closed here: a thread may still be reading it (it reads EOF once the
        process is gone), and closing a descriptor under a reader could hand it another
        file's. The pipe closes when its last reference, that thread's, goes.
        """
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)
        if worker in self._workers:
            self._workers.remove(worker)
        if self._idle is not None:
            self.replaced += 1
            self._idle.put_nowait(self._spawn())

    async def run(
        self,
        handler_cls: type[Any],
        data: Any,
        ctx: Any,
        init: dict[str, Any] | None = None,
    ) -> Any:
        """Run ``handler_cls(**init).process(data, ctx)`` in a worker and return its result.

        The handler's own exception is raised here; a worker that dies raises
        :class:`WorkerCrashed`. Cancelling the call (a timeout) kills and replaces the worker.
        """
        if self._idle is None or self._threads is None:
            raise KhorsyioError("the process pool is not running")
        worker = await self._idle.get()
        key = (handler_cls.__module__, handler_cls.__qualname__)
        first = key not in worker.known
        loop = asyncio.get_running_loop()
        try:
            worker.conn.send((*key, init if first else None, data, ctx))
            worker.known.add(key)
            status, value = await loop.run_in_executor(self._threads, worker.conn.recv)
        except (EOFError, OSError):
            self._retire(worker)
            code = worker.process.exitcode
            log.warning(
                "worker process %s died running %s (exit code %s); replaced",
                worker.process.pid,
                handler_cls.__qualname__,
                code,
            )
            raise WorkerCrashed(
                f"{handler_cls.__qualname__}: the worker process died before answering "
                f"(exit code {code}); a new one has taken its place"
            ) from None
        except BaseException:  # cancelled (timeout, shutdown) or a pickling failure
            self._retire(worker)
            raise
        self._idle.put_nowait(worker)
        if status == "error":
            raise value
        return value

    def stop(self) -> None:
        """Stop every worker, killing any still busy (a timed-out or endless job).

        Safe to call from another thread than the event loop's.
        """
        self._idle = None
        workers, self._workers = self._workers, []
        for w in workers:
            if w.process.is_alive():
                w.process.terminate()
        for w in workers:  # pipes close with their last reference (see _retire)
            w.process.join(timeout=5)
            if w.process.is_alive():
                w.process.kill()
                w.process.join(timeout=5)
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
            self._threads = None
