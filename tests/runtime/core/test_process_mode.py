from __future__ import annotations

import os

import pytest

from khorsyio import App, Context, Handler, Settings, WiringError

from .contracts import Num, Pid, SquareInProcess


async def test_a_process_handler_runs_in_another_process() -> None:
    app = App(settings=Settings())
    app.register(SquareInProcess)
    await app.startup()
    try:
        result = await app.bus.request(
            "heavy.task", Num(12), response_type="heavy.result", timeout=60
        )
    finally:
        await app.shutdown()
    assert not result.is_error, result.error
    assert isinstance(result.payload, Pid)
    assert result.payload.square == 144
    assert result.payload.pid != os.getpid()


async def test_a_process_handler_cannot_take_dependencies() -> None:
    class NeedsDb(Handler[Num, Num]):
        subscribes_to = "x"
        execution_mode = "process"

        def __init__(self, db: object) -> None:
            self.db = db

        async def process(self, data: Num, ctx: Context) -> Num:
            return data

    app = App(settings=Settings())
    app.register(NeedsDb)
    with pytest.raises(WiringError, match="take no constructor parameters"):
        await app.startup()


async def test_a_stuck_process_handler_times_out_and_does_not_hold_the_shutdown() -> None:
    import asyncio

    from .contracts import SleepInProcess

    app = App(settings=Settings())
    app.register(SleepInProcess)
    await app.startup()
    result = await app.bus.request("stuck.task", Num(60), response_type="stuck.result", timeout=30)
    assert result.error is not None
    assert result.error.code == "timeout"
    # the job would take 60 s: shutdown terminates it instead of waiting
    await asyncio.wait_for(app.shutdown(), 20)
