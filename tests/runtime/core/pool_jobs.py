"""Handlers the process-mode tests run in worker processes (importable by module name)."""

from __future__ import annotations

import asyncio
import os
import time

import msgspec

from khorsyio import Context, Handler, HandlerError, RetryPolicy, Settings


class Job(msgspec.Struct):
    n: int = 0
    seconds: float = 0.0
    pidfile: str = ""  # where the worker writes its pid before it starts the work


class Pid(msgspec.Struct):
    pid: int
    value: int = 0
    note: str = ""


class Label(msgspec.Struct):
    text: str = ""


def _write_pid(pidfile: str) -> None:
    with open(pidfile + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.replace(pidfile + ".tmp", pidfile)


class Report(Handler[Job, Pid]):
    """Answers with its process id; ``n < 0`` fails the job with a ValueError."""

    subscribes_to = "report"

    def __init__(self, factor: int = 1) -> None:
        self.factor = factor

    async def process(self, data: Job, ctx: Context) -> Pid:
        if data.n < 0:
            raise ValueError(f"negative: {data.n}")
        if data.pidfile:
            _write_pid(data.pidfile)
        if data.seconds:
            time.sleep(data.seconds)  # noqa: ASYNC251 - holds the worker, as CPU work does
        await asyncio.sleep(0)
        return Pid(pid=os.getpid(), value=data.n * self.factor)


class Once(Handler[Job, Pid]):
    """Writes its pid to ``pidfile`` and holds its worker ``seconds``, unless the file is
    already there: then it answers at once (a retry after the worker was killed)."""

    subscribes_to = "once"
    publishes = "once.done"
    execution_mode = "process"
    retry = RetryPolicy(attempts=2, backoff=0.0)
    timeout = 120.0

    async def process(self, data: Job, ctx: Context) -> Pid:
        if not os.path.exists(data.pidfile):  # noqa: ASYNC240 - a worker process
            _write_pid(data.pidfile)
            time.sleep(data.seconds)  # noqa: ASYNC251 - holds the worker until it is killed
        return Pid(pid=os.getpid(), value=data.n)


class Scaled(Handler[Job, Pid]):
    """Takes injected parameters: by name (``factor``), by type (``Label``), a built-in."""

    subscribes_to = "scaled"
    publishes = "scaled.done"
    execution_mode = "process"
    built = 0  # constructions in this process

    def __init__(self, factor: int, label: Label, settings: Settings) -> None:
        self.factor = factor
        self.label = label
        self.workers = settings.bus.process_workers
        type(self).built += 1

    async def process(self, data: Job, ctx: Context) -> Pid:
        note = f"{self.label.text}/{self.workers}/{type(self).built}"
        return Pid(pid=os.getpid(), value=data.n * self.factor, note=note)


class Taken(HandlerError):
    """A HandlerError whose constructor is not HandlerError's (pickling must not call it)."""

    def __init__(self, email: str, owner: int) -> None:
        super().__init__("conflict", f"{email} is taken", details={"owner": owner})
        self.email = email


class Refuses(Handler[Job, Pid]):
    subscribes_to = "refuses"
    publishes = "refuses.done"
    execution_mode = "process"

    async def process(self, data: Job, ctx: Context) -> Pid:
        raise Taken("ann@example.com", data.n)


class NeedsDb(Handler[Job, Pid]):
    subscribes_to = "needs.db"
    execution_mode = "process"

    def __init__(self, db: object) -> None:
        self.db = db

    async def process(self, data: Job, ctx: Context) -> Pid:
        return Pid(pid=os.getpid())


class NeedsLock(Handler[Job, Pid]):
    subscribes_to = "needs.lock"
    execution_mode = "process"

    def __init__(self, lock: object) -> None:
        self.lock = lock

    async def process(self, data: Job, ctx: Context) -> Pid:
        return Pid(pid=os.getpid())
