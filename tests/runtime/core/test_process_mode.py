"""Process-mode handlers through the app: a crash is retried, a timeout frees its worker,
injected parameters reach the worker, and what cannot make the trip stops startup."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from khorsyio import (
    App,
    Bus,
    Context,
    Envelope,
    Handler,
    RegistrationError,
    Settings,
    WiringError,
)
from khorsyio.settings import BusSettings

from .contracts import Num, SleepInProcess, SquareInProcess
from .contracts import Pid as SquarePid
from .pool_jobs import Job, Label, NeedsDb, NeedsLock, Once, Pid, Refuses, Scaled


def _app(workers: int = 2) -> App:
    return App(settings=Settings(bus=BusSettings(process_workers=workers)))


@pytest.fixture
async def started() -> AsyncIterator[Callable[..., Any]]:
    """``await started(*handlers, workers=2)``: an app with them, shut down afterwards."""
    apps: list[App] = []

    async def start(*handlers: type[Handler[Any, Any]], workers: int = 2) -> App:
        app = _app(workers)
        for h in handlers:
            app.register(h)
        apps.append(app)
        await app.startup()
        return app

    yield start
    for app in apps:
        await asyncio.wait_for(app.shutdown(), 20)


async def _pid_in(pidfile: Path) -> int:
    """The pid a worker wrote there once it started the job (bounded wait)."""
    async with asyncio.timeout(30):
        while not pidfile.exists():  # noqa: ASYNC110, ASYNC240 - another process writes it
            await asyncio.sleep(0.02)
    return int(pidfile.read_text())  # noqa: ASYNC240 - a few bytes


async def test_a_process_handler_runs_in_another_process(started: Any) -> None:
    app = await started(SquareInProcess)
    result = await app.bus.request("heavy.task", Num(12), response_type="heavy.result", timeout=60)
    assert not result.is_error, result.error
    assert isinstance(result.payload, SquarePid)
    assert result.payload.square == 144
    assert result.payload.pid != os.getpid()


async def test_a_killed_worker_is_replaced_and_its_event_retried(
    started: Any, tmp_path: Path
) -> None:
    app = await started(Once)
    errors: list[Envelope] = []
    app.bus.on_error(errors.append)
    pidfile = tmp_path / "pid"
    reply = asyncio.ensure_future(
        app.bus.request("once", Job(n=3, seconds=60, pidfile=str(pidfile)), "once.done", timeout=60)
    )
    victim = await _pid_in(pidfile)
    os.kill(victim, signal.SIGKILL)
    result = await asyncio.wait_for(reply, 60)
    assert not result.is_error, result.error
    assert result.payload == Pid(pid=result.payload.pid, value=3)
    assert result.payload.pid not in (victim, os.getpid())
    assert app.bus.metrics.snapshot()["Once"]["retries"] == 1
    assert errors == []
    assert await app.bus.dead_letters.count() == 0
    # and the pool goes on working
    later = await app.bus.request("once", Job(n=4, pidfile=str(pidfile)), "once.done", timeout=60)
    assert not later.is_error, later.error
    assert later.payload.value == 4


async def test_a_worker_killed_on_every_attempt_dead_letters_the_event(
    started: Any, tmp_path: Path
) -> None:
    app = await started(Once)
    errors: list[Envelope] = []
    app.bus.on_error(errors.append)
    pidfile = tmp_path / "pid"
    reply = asyncio.ensure_future(
        app.bus.request("once", Job(n=3, seconds=60, pidfile=str(pidfile)), "once.done", timeout=60)
    )
    victims = []
    for _ in range(Once.retry.attempts if Once.retry else 1):
        victims.append(await _pid_in(pidfile))
        pidfile.unlink()  # before the kill: the retry must find no file, and hold its worker
        os.kill(victims[-1], signal.SIGKILL)
    result = await asyncio.wait_for(reply, 60)
    assert result.error is not None
    assert result.error.code == "handler_error"
    assert "worker process died before answering" in result.error.message
    assert result.error.details == {"exception": "WorkerCrashed"}
    [letter] = await app.bus.dead_letters.list(handler="Once")
    assert letter.attempts == 2
    assert letter.error.code == "handler_error"
    assert [e.error.code for e in errors if e.error] == ["handler_error"]
    assert len(set(victims)) == 2
    later = await app.bus.request("once", Job(n=5, pidfile=str(pidfile)), "once.done", timeout=60)
    assert not later.is_error, later.error
    assert later.payload.value == 5
    assert later.payload.pid not in victims


async def test_timed_out_jobs_free_their_workers(started: Any) -> None:
    app = await started(SleepInProcess, SquareInProcess, workers=2)
    # two jobs of 60 s time out after 0.5 s: both workers were running them
    stuck = await asyncio.gather(
        *(app.bus.request("stuck.task", Num(60), "stuck.result", timeout=30) for _ in range(2))
    )
    assert [r.error.code if r.error else None for r in stuck] == ["timeout", "timeout"]
    # their workers were killed and replaced: a trivial job does not wait behind them
    result = await app.bus.request("heavy.task", Num(3), "heavy.result", timeout=20)
    assert not result.is_error, result.error
    assert result.payload.square == 9


async def test_a_busy_worker_does_not_hold_the_shutdown(tmp_path: Path) -> None:
    app = App(settings=Settings(bus=BusSettings(process_workers=1, drain_timeout=0.5)))
    app.register(Once)
    await app.startup()
    pidfile = tmp_path / "pid"
    await app.bus.publish("once", Job(seconds=60, pidfile=str(pidfile)))
    victim = await _pid_in(pidfile)
    # the job would take 60 s: past the drain, shutdown kills the worker instead of waiting
    await asyncio.wait_for(app.shutdown(), 20)
    with pytest.raises(ProcessLookupError):
        os.kill(victim, 0)
    assert [d.error.code for d in await app.bus.dead_letters.list()] == ["shutdown"]


async def test_injected_parameters_reach_the_worker_once() -> None:
    app = _app(1)
    app.provide("factor", 3)
    app.provide(Label, Label("blue"))
    app.register(Scaled)
    await app.startup()
    try:
        replies = [
            await app.bus.request("scaled", Job(n=n), "scaled.done", timeout=60) for n in (1, 2, 3)
        ]
    finally:
        await asyncio.wait_for(app.shutdown(), 20)
    assert all(not r.is_error for r in replies), [r.error for r in replies]
    assert [r.payload.value for r in replies] == [3, 6, 9]
    # settings arrived, and the worker built the handler once for its three jobs
    assert {r.payload.note for r in replies} == {"blue/1/1"}
    assert replies[0].payload.pid != os.getpid()


async def test_a_handler_error_keeps_its_code_across_the_process_boundary(started: Any) -> None:
    app = await started(Refuses)
    result = await app.bus.request("refuses", Job(n=7), "refuses.done", timeout=60)
    assert result.error is not None
    assert result.error.code == "conflict"
    assert result.error.message == "ann@example.com is taken"
    assert result.error.details == {"owner": 7}
    assert await app.bus.dead_letters.count() == 0  # a deliberate rejection, as in the main process


async def test_the_apps_live_objects_are_refused_at_startup() -> None:
    app = _app()
    app.register(NeedsDb)
    with pytest.raises(WiringError) as e:
        await app.startup()
    [problem] = e.value.problems
    assert problem.startswith("NeedsDb.__init__: parameter 'db' is the app's db (Database)")
    assert "rebuilt in each worker" in problem


async def test_a_parameter_that_cannot_be_pickled_is_refused_at_startup() -> None:
    app = _app()
    app.provide("lock", threading.Lock())
    app.register(NeedsLock)
    with pytest.raises(WiringError) as e:
        await app.startup()
    [problem] = e.value.problems
    assert problem.startswith("NeedsLock.__init__: parameter 'lock' (lock) cannot be sent")
    assert "cannot pickle '_thread.lock' object" in problem


async def test_a_process_handler_defined_in_a_function_is_refused_at_startup() -> None:
    class Local(Handler[Num, Num]):
        subscribes_to = "x"
        execution_mode = "process"

        async def process(self, data: Num, ctx: Context) -> Num:
            return data

    app = _app()
    app.register(Local)
    with pytest.raises(WiringError, match="must be defined at the top level of a module"):
        await app.startup()


def test_bus_register_takes_the_constructor_arguments_of_a_process_handler() -> None:
    bus = Bus()
    with pytest.raises(RegistrationError, match=r"Scaled.__init__: .* missing a required"):
        bus.register(Scaled(2, Label(), Settings()))
    bus.register(
        Scaled(2, Label(), Settings()), init={"factor": 2, "label": Label(), "settings": Settings()}
    )
    with pytest.raises(RegistrationError, match="init= is for execution_mode='process'"):
        bus.register(_MainMode(), init={"x": 1})


class _MainMode(Handler[Num, Num]):
    subscribes_to = "main"

    async def process(self, data: Num, ctx: Context) -> Num:
        return data
