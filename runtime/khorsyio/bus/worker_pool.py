"""The process pool of ``execution_mode = "process"`` handlers; it heals.

Each worker is a ``spawn``-ed process that runs one job at a time, fed through a pipe.
``concurrent.futures.ProcessPoolExecutor`` breaks for good when one of its processes dies
(every later job fails with ``BrokenProcessPool``) and cannot take back a worker whose job
timed out; here each worker is owned one by one:

- a worker that dies mid-job (SIGKILL, a segfault, ``os._exit``) fails that job with
  :class:`~khorsyio.errors.WorkerCrashed`, which the handler's retry policy treats as any
  handler exception (code ``"handler_error"``), and a new worker takes its place;
- a job whose caller gives up (a timeout, a cancelled request, shutdown) has its worker
  killed and replaced: a runaway job never keeps a worker busy.

The payload, context and handler parameters cross the boundary pickled (msgspec Structs
pickle natively). In the worker the handler class is imported by module and qualified
name and built once per worker with the parameters registered for it (:meth:`WorkerPool.add`,
sent with the first job each worker runs for it); :func:`unportable` says, at registration,
which parameters could not make that trip.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import time
import traceback
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from khorsyio.errors import StateError, WorkerCrashed

__all__ = ["WorkerPool", "import_class", "unportable"]

log = logging.getLogger("khorsyio.bus")

STOP_GRACE = 2.0
"""Seconds ``stop`` gives terminated workers before it kills them."""


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


def unportable(handler_cls: type[Any], init: Mapping[str, Any]) -> list[str]:
    """Why ``handler_cls(**init)`` cannot be rebuilt in a worker: one message a problem.

    The class must be importable by its module and qualified name, the arguments must fit
    its constructor and each must survive a pickle round trip.
    """
    name = handler_cls.__qualname__
    if "<locals>" in name:
        return [
            f"{name}: an execution_mode='process' handler class is imported by name in each "
            "worker, so it must be defined at the top level of a module, not in a function"
        ]
    owner = f"{name}.__init__"
    try:
        inspect.signature(handler_cls).bind(**init)
    except TypeError as e:
        return [
            f"{owner}: execution_mode='process' handlers are rebuilt in each worker with the "
            f"arguments registered for them, and these do not fit: {e}"
        ]
    problems = []
    for param, value in init.items():
        try:
            pickle.loads(pickle.dumps(value))
        except Exception as e:
            problems.append(
                f"{owner}: parameter '{param}' ({type(value).__qualname__}) cannot be sent to "
                f"an execution_mode='process' worker, which rebuilds it by pickling: {e}"
            )
    return problems


class _RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker (its ``__cause__`` in this process)."""

    def __init__(self, tb: str) -> None:
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return f'\n"""\n{self.tb}"""'


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
    inits: dict[tuple[str, str], dict[str, Any]] = {}
    handlers: dict[tuple[str, str], Any] = {}
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        module, qualname, init, data, ctx = job
        key = (module, qualname)
        if init is not None:  # kept: a constructor that fails is tried again next job
            inits[key] = init
        try:
            handler = handlers.get(key)
            if handler is None:
                handler = handlers[key] = import_class(module, qualname)(**inits.get(key, {}))
            outcome: tuple[Any, ...] = ("ok", loop.run_until_complete(handler.process(data, ctx)))
        except BaseException as e:  # the parent decides what an error means
            outcome = ("error", _portable(e), traceback.format_exc())
        try:
            conn.send(outcome)
        except Exception as e:  # a result that cannot be pickled
            error = RuntimeError(f"the handler's result cannot be sent back: {e}")
            conn.send(("error", error, traceback.format_exc()))


class _Worker:
    __slots__ = ("conn", "known", "process")

    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.known: set[tuple[str, str]] = set()  # handler classes sent to this worker


class WorkerPool:
    """``size`` worker processes running handler jobs, one job per worker at a time."""

    def __init__(self, size: int = 0) -> None:
        self.size = size or os.cpu_count() or 2
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._idle: asyncio.Queue[_Worker] | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._init: dict[tuple[str, str], dict[str, Any]] = {}
        self.replaced = 0
        """How many workers have been replaced (crashed, or killed after a timeout)."""

    @property
    def running(self) -> bool:
        return self._idle is not None

    def add(self, handler_cls: type[Any], init: Mapping[str, Any] | None = None) -> None:
        """Run ``handler_cls`` built as ``handler_cls(**init)`` in the workers.

        Check ``init`` with :func:`unportable` first: a value that cannot be pickled fails
        every job.
        """
        self._init[(handler_cls.__module__, handler_cls.__qualname__)] = dict(init or {})

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
        worker.process.join(timeout=5)  # SIGKILL: the kernel is quick
        if worker in self._workers:
            self._workers.remove(worker)
        if self._idle is not None:
            self.replaced += 1
            self._idle.put_nowait(self._spawn())

    async def _take(self) -> _Worker:
        """An idle worker; one that died while idle is replaced, its job not lost."""
        while True:
            if self._idle is None:
                raise StateError("the process pool is not running")
            worker = await self._idle.get()
            if worker.process.is_alive():
                return worker
            log.warning(
                "idle worker process %s died (exit code %s); replaced",
                worker.process.pid,
                worker.process.exitcode,
            )
            self._retire(worker)

    async def run(self, handler_cls: type[Any], data: Any, ctx: Any) -> Any:
        """Run ``handler_cls(**init).process(data, ctx)`` in a worker and return its result.

        The handler's own exception is raised here (the worker's traceback as its
        ``__cause__``); a worker that dies raises :class:`WorkerCrashed`. Cancelling the call
        (a timeout) kills and replaces the worker. A call waiting for a worker when the pool
        stops waits on: cancel it (the bus cancels its handlers before it stops the pool).
        """
        if self._idle is None or self._threads is None:
            raise StateError("the process pool is not running")
        threads, idle = self._threads, self._idle
        worker = await self._take()
        key = (handler_cls.__module__, handler_cls.__qualname__)
        init = None if key in worker.known else self._init.get(key, {})
        try:
            worker.conn.send((*key, init, data, ctx))
            worker.known.add(key)
            outcome = await asyncio.get_running_loop().run_in_executor(threads, worker.conn.recv)
        except (EOFError, OSError):
            self._retire(worker)
            code = worker.process.exitcode
            log.warning(
                "worker process %s died running %s (exit code %s)%s",
                worker.process.pid,
                handler_cls.__qualname__,
                code,
                "; replaced" if self.running else "",
            )
            raise WorkerCrashed(
                f"{handler_cls.__qualname__}: the worker process died before answering "
                f"(exit code {code})"
                + ("; a new one has taken its place" if self.running else "; the pool stopped")
            ) from None
        except BaseException:  # cancelled (timeout, shutdown) or a pickling failure
            self._retire(worker)
            raise
        if self._idle is idle:  # not stopped meanwhile
            idle.put_nowait(worker)
        if outcome[0] == "error":
            _, exc, tb = outcome
            exc.__cause__ = _RemoteTraceback(tb)
            raise exc
        return outcome[1]

    def stop(self) -> None:
        """Stop every worker, killing any still busy (a timed-out or endless job).

        Terminated workers get :data:`STOP_GRACE` seconds in all, then are killed: stop
        never waits on a job. Safe to call from another thread than the event loop's.
        """
        self._idle = None
        workers, self._workers = self._workers, []
        for w in workers:
            if w.process.is_alive():
                w.process.terminate()
        deadline = time.monotonic() + STOP_GRACE
        for w in workers:  # pipes close with their last reference (see _retire)
            w.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if w.process.is_alive():
                w.process.kill()
                w.process.join(timeout=5)
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
            self._threads = None
