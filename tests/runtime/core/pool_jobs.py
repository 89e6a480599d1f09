"""Handlers the worker-pool tests run in worker processes (importable by module name)."""

from __future__ import annotations

import asyncio
import os
import time

import msgspec

from khorsyio import Context, Handler


class Job(msgspec.Struct):
    n: int = 0
    seconds: float = 0.0
    pidfile: str = ""  # where the worker writes its pid before it starts the work


class Pid(msgspec.Struct):
    pid: int
    value: int = 0


class Report(Handler[Job, Pid]):
    """Answers with its process id; ``n < 0`` fails the job with a ValueError."""

    subscribes_to = "report"

    def __init__(self, factor: int = 1) -> None:
        self.factor = factor

    async def process(self, data: Job, ctx: Context) -> Pid:
        if data.n < 0:
            raise ValueError(f"negative: {data.n}")
        if data.pidfile:
            with open(data.pidfile + ".tmp", "w") as f:  # noqa: ASYNC230 - a worker process
                f.write(str(os.getpid()))
            os.replace(data.pidfile + ".tmp", data.pidfile)
        if data.seconds:
            time.sleep(data.seconds)  # noqa: ASYNC251 - holds the worker, as CPU work does
        await asyncio.sleep(0)
        return Pid(pid=os.getpid(), value=data.n * self.factor)
