"""The worker pool heals: a killed worker and a timed-out job's worker are replaced."""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from khorsyio.bus.worker_pool import WorkerPool
from khorsyio.errors import HandlerError, SocketRequestError, WiringError, WorkerCrashed
from khorsyio.events import Context

from .pool_jobs import Job, Pid, Report, Taken


@pytest.fixture
async def pool() -> AsyncIterator[WorkerPool]:
    p = WorkerPool(2)
    p.start()
    yield p
    p.stop()


async def test_a_job_runs_in_a_worker_process_with_its_parameters(pool: WorkerPool) -> None:
    pool.add(Report, {"factor": 3})
    out = await pool.run(Report, Job(n=4), Context())
    assert isinstance(out, Pid)
    assert out.pid != os.getpid()
    assert out.value == 12


async def test_the_handlers_own_exception_comes_back(pool: WorkerPool) -> None:
    with pytest.raises(ValueError, match="negative: -1"):
        await pool.run(Report, Job(n=-1), Context())
    assert (await pool.run(Report, Job(n=2), Context())).value == 2
    assert pool.replaced == 0


@pytest.mark.parametrize(
    "exc",
    [
        HandlerError("conflict", "taken", details={"id": 7}, dead_letter=True),
        Taken("ann@example.com", 7),  # a constructor of its own
        SocketRequestError({"code": "denied", "message": "no", "path": "/x"}),
        WiringError(["a", "b"]),
    ],
    ids=type,
)
def test_khorsyio_errors_cross_the_pipe_with_their_attributes(exc: Exception) -> None:
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc)
    assert vars(back) == vars(exc)
    assert str(back) == str(exc)


async def _pid_of_the_worker_running(pidfile: Path) -> int:
    async with asyncio.timeout(20):
        while not pidfile.exists():  # noqa: ASYNC110, ASYNC240 - another process writes it
            await asyncio.sleep(0.02)
    return int(pidfile.read_text())  # noqa: ASYNC240 - a few bytes


async def test_a_killed_worker_fails_its_job_and_is_replaced(
    pool: WorkerPool, tmp_path: Path
) -> None:
    pidfile = tmp_path / "pid"
    job = asyncio.ensure_future(
        pool.run(Report, Job(n=1, seconds=30, pidfile=str(pidfile)), Context())
    )
    victim = await _pid_of_the_worker_running(pidfile)
    os.kill(victim, signal.SIGKILL)
    with pytest.raises(WorkerCrashed, match="died before answering"):
        await asyncio.wait_for(job, 10)
    assert pool.replaced == 1
    # the pool works again, with both workers, none of them the killed one
    again = await asyncio.gather(
        *(pool.run(Report, Job(n=5, seconds=0.2), Context()) for _ in range(4))
    )
    assert [r.value for r in again] == [5, 5, 5, 5]
    pids = {r.pid for r in again}
    assert victim not in pids
    assert len(pids) == 2


def _dead(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie until its parent reaps it): Linux /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


async def test_a_worker_that_died_idle_costs_no_job(pool: WorkerPool) -> None:
    pids = {
        r.pid
        for r in await asyncio.gather(
            *(pool.run(Report, Job(n=1, seconds=0.5), Context()) for _ in range(2))
        )
    }
    assert len(pids) == 2
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    async with asyncio.timeout(10):
        while not all(_dead(p) for p in pids):  # noqa: ASYNC110 - no event to wait on
            await asyncio.sleep(0.02)
    out = await pool.run(Report, Job(n=6), Context())
    assert out.value == 6
    assert out.pid not in pids
    assert pool.replaced == 2


async def test_a_timed_out_job_frees_its_worker(pool: WorkerPool) -> None:
    for _ in range(2):  # two slow jobs time out: both workers were busy with them
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5):
                await pool.run(Report, Job(n=1, seconds=60), Context())
    assert pool.replaced == 2
    async with asyncio.timeout(20):  # a trivial job does not wait behind the 60 s ones
        out = await pool.run(Report, Job(n=7), Context())
    assert out.value == 7


async def test_stop_does_not_wait_for_a_busy_worker(tmp_path: Path) -> None:
    p = WorkerPool(1)
    p.start()
    pidfile = tmp_path / "pid"
    job = asyncio.ensure_future(
        p.run(Report, Job(n=1, seconds=60, pidfile=str(pidfile)), Context())
    )
    await _pid_of_the_worker_running(pidfile)
    # the job would take 60 s: stop kills its worker instead of waiting
    await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, p.stop), 10)
    with pytest.raises(WorkerCrashed):
        await asyncio.wait_for(job, 10)
    assert not p.running
