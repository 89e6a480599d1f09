"""Contracts and handlers shared by the core tests (importable: process-mode needs that)."""

from __future__ import annotations

import os
import time

import msgspec

from khorsyio import Context, Handler


class UserIn(msgspec.Struct):
    name: str = ""


class UserOut(msgspec.Struct):
    id: int = 0
    name: str = ""


class Tags(msgspec.Struct):
    tags: list[str] = msgspec.field(default_factory=list)


class Num(msgspec.Struct):
    n: int = 0


class Pid(msgspec.Struct):
    pid: int = 0
    square: int = 0


class SquareInProcess(Handler[Num, Pid]):
    subscribes_to = "heavy.task"
    publishes = "heavy.result"
    execution_mode = "process"

    async def process(self, data: Num, ctx: Context) -> Pid:
        return Pid(pid=os.getpid(), square=data.n * data.n)


class SleepInProcess(Handler[Num, Num]):
    """A CPU-bound job that outlives its timeout."""

    subscribes_to = "stuck.task"
    publishes = "stuck.result"
    execution_mode = "process"
    timeout = 0.5

    async def process(self, data: Num, ctx: Context) -> Num:
        time.sleep(data.n)  # noqa: ASYNC251  (blocking on purpose: it runs in a worker process)
        return data
