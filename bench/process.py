"""Process-mode benchmark: what ``execution_mode = "process"`` costs and what it buys, in one run.

Workloads, all through the public API (``Bus.request`` on a registered handler)
1. round-trip overhead: sequential requests to a trivial handler, in the event loop and in
   process mode (one worker); the figure is process latency / in-loop latency.
2. CPU-bound throughput: J concurrent requests to a handler that burns CPU in pure Python,
   with 1 worker and with 2 workers; the figure is 2-worker throughput / 1-worker
   throughput (on a machine with 2 free cores, ideally close to 2.0).

Figures are ratios measured in the same run, so they hold across machines.
usage: python bench/process.py [--requests 300] [--jobs 16] [--work 1000000] [--json]
"""

from __future__ import annotations

import os
import sys

# Run as ``python bench/process.py``, this folder heads sys.path, and bench/http.py would
# shadow the standard library's http package: keep the folder off the import path.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != _HERE]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import msgspec  # noqa: E402

from khorsyio import Bus, Context, Handler  # noqa: E402
from khorsyio.settings import BusSettings  # noqa: E402


class Job(msgspec.Struct):
    n: int = 0


class Done(msgspec.Struct):
    value: int = 0


def burn(n: int) -> int:
    """Pure-Python CPU work that holds the GIL (what process mode exists for)."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


class EchoInLoop(Handler[Job, Done]):
    subscribes_to = "echo"
    publishes = "echo.done"

    async def process(self, data: Job, ctx: Context) -> Done:
        return Done(data.n)


class EchoInProcess(EchoInLoop):
    execution_mode = "process"


class Burn(Handler[Job, Done]):
    subscribes_to = "burn"
    publishes = "burn.done"
    execution_mode = "process"
    concurrency = 64

    async def process(self, data: Job, ctx: Context) -> Done:
        return Done(burn(data.n))


def _bus(workers: int) -> Bus:
    return Bus(settings=BusSettings(process_workers=workers, handler_timeout=600.0))


async def round_trip(handler: type[Handler[Job, Done]], requests: int) -> list[float]:
    bus = _bus(1)
    bus.register(handler())
    await bus.start()
    for i in range(20):  # warm up: the worker process starts and imports the handler
        await bus.request("echo", Job(i), "echo.done")
    times = []
    for i in range(requests):
        t0 = time.perf_counter()
        reply = await bus.request("echo", Job(i), "echo.done")
        times.append(time.perf_counter() - t0)
        assert reply.payload == Done(i), reply
    await bus.stop()
    return times


async def throughput(workers: int, jobs: int, work: int) -> float:
    bus = _bus(workers)
    bus.register(Burn())
    await bus.start()
    # warm up every worker: each one imports the handler on its first job
    await asyncio.gather(*(bus.request("burn", Job(10), "burn.done") for _ in range(workers * 2)))
    t0 = time.perf_counter()
    replies = await asyncio.gather(
        *(bus.request("burn", Job(work), "burn.done") for _ in range(jobs))
    )
    dt = time.perf_counter() - t0
    await bus.stop()
    expected = burn(work)
    assert all(r.payload == Done(expected) for r in replies), replies[0]
    return jobs / dt


def _ms(times: list[float], q: float) -> float:
    return sorted(times)[min(len(times) - 1, int(q * len(times)))] * 1000


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--jobs", type=int, default=16)
    ap.add_argument("--work", type=int, default=1_000_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    in_loop = await round_trip(EchoInLoop, args.requests)
    in_process = await round_trip(EchoInProcess, args.requests)
    one = await throughput(1, args.jobs, args.work)
    two = await throughput(2, args.jobs, args.work)
    res = {
        "round_trip": {
            "in_loop_p50_ms": round(_ms(in_loop, 0.5), 4),
            "process_p50_ms": round(_ms(in_process, 0.5), 4),
            "process_p99_ms": round(_ms(in_process, 0.99), 4),
            "process_over_in_loop_p50": round(
                statistics.median(in_process) / statistics.median(in_loop), 1
            ),
        },
        "cpu_bound": {
            "jobs_per_s_1_worker": round(one, 2),
            "jobs_per_s_2_workers": round(two, 2),
            "speedup_2_over_1": round(two / one, 2),
        },
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(res, indent=2))
        return
    rt, cpu = res["round_trip"], res["cpu_bound"]
    print(
        f"round trip p50: in loop {rt['in_loop_p50_ms']} ms, process {rt['process_p50_ms']} ms "
        f"(p99 {rt['process_p99_ms']} ms): x{rt['process_over_in_loop_p50']}"
    )
    print(
        f"CPU-bound: {cpu['jobs_per_s_1_worker']} jobs/s with 1 worker, "
        f"{cpu['jobs_per_s_2_workers']} with 2: x{cpu['speedup_2_over_1']}"
    )


if __name__ == "__main__":
    asyncio.run(main())
