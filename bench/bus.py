"""Bus benchmark: khorsyio's bus side by side with minimal asyncio baselines, in one run.

Workloads
1. publish throughput: N events to one no-op subscriber, until all are processed;
   baselines: direct awaits of the handler, and an asyncio.Queue hand-off to a consumer task.
2. sequential request/reply through a 3-handler chain (req/s, p50, p99);
   baseline: three direct awaits.
3. the same with 100 concurrent requesters.

Figures are ratios against the baselines measured in the same process, so they hold across
machines. usage: python bench/bus.py [--events 100000] [--requests 20000] [--rounds 3] [--json]
KHORSYIO_BENCH_METRICS=1 measures the bus with its duration histograms on (HTTP_METRICS).
"""

from __future__ import annotations

import os
import sys

# Run as ``python bench/bus.py``, this folder heads sys.path, and bench/http.py would shadow
# the standard library's http package: keep the folder off the import path.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != _HERE]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Awaitable, Callable  # noqa: E402
from typing import Any  # noqa: E402

import msgspec  # noqa: E402

from khorsyio import Bus, Context, Handler  # noqa: E402
from khorsyio.settings import BusSettings  # noqa: E402


def _bus() -> Bus:
    bus = Bus(settings=BusSettings(event_log_size=1000))
    if os.environ.get("KHORSYIO_BENCH_METRICS") == "1":
        bus.metrics.timed = True  # as HTTP_METRICS does
    return bus


class Ping(msgspec.Struct):
    n: int = 0


class Pong(msgspec.Struct):
    n: int = 0


# -- workload 1: publish throughput -----------------------------------------------------


async def publish_khorsyio(n: int) -> float:
    done = asyncio.Event()
    count = 0

    class Sink(Handler[Ping, None]):
        subscribes_to = "ping"

        async def process(self, data: Ping, ctx: Context) -> None:
            nonlocal count
            count += 1
            if count == n:
                done.set()

    bus = _bus()
    bus.register(Sink())
    await bus.start()
    payload = Ping(1)
    t0 = time.perf_counter()
    for _ in range(n):
        await bus.publish("ping", payload)
    await done.wait()
    dt = time.perf_counter() - t0
    await bus.stop()
    return n / dt


async def publish_direct(n: int) -> float:
    count = 0

    async def sink(data: Ping) -> None:
        nonlocal count
        count += 1

    payload = Ping(1)
    t0 = time.perf_counter()
    for _ in range(n):
        await sink(payload)
    return n / (time.perf_counter() - t0)


async def publish_queue(n: int) -> float:
    q: asyncio.Queue[Ping] = asyncio.Queue(maxsize=1024)
    done = asyncio.Event()
    count = 0

    async def sink(data: Ping) -> None:
        nonlocal count
        count += 1
        if count == n:
            done.set()

    async def consumer() -> None:
        while True:
            await sink(await q.get())

    task = asyncio.create_task(consumer())
    payload = Ping(1)
    t0 = time.perf_counter()
    for _ in range(n):
        await q.put(payload)
    await done.wait()
    dt = time.perf_counter() - t0
    task.cancel()
    return n / dt


# -- workloads 2 and 3: request/reply through a 3-handler chain -------------------------


def chain_bus() -> Bus:
    class A(Handler[Ping, Ping]):
        subscribes_to = "a"
        publishes = "b"

        async def process(self, data: Ping, ctx: Context) -> Ping:
            return Ping(data.n + 1)

    class B(Handler[Ping, Ping]):
        subscribes_to = "b"
        publishes = "c"

        async def process(self, data: Ping, ctx: Context) -> Ping:
            return Ping(data.n + 1)

    class C(Handler[Ping, Pong]):
        subscribes_to = "c"
        publishes = "done"

        async def process(self, data: Ping, ctx: Context) -> Pong:
            return Pong(data.n + 1)

    bus = _bus()
    for h in (A(), B(), C()):
        bus.register(h)
    return bus


async def _a(p: Ping) -> Ping:
    return Ping(p.n + 1)


async def _c(p: Ping) -> Pong:
    return Pong(p.n + 1)


async def direct_chain(p: Ping) -> Pong:
    return await _c(await _a(await _a(p)))


async def measure(
    call: Callable[[], Awaitable[Any]], total: int, concurrency: int
) -> dict[str, float]:
    lat: list[float] = []
    per = total // concurrency

    async def worker() -> None:
        for _ in range(per):
            t = time.perf_counter()
            await call()
            lat.append(time.perf_counter() - t)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    dt = time.perf_counter() - t0
    lat.sort()
    return {
        "rps": per * concurrency / dt,
        "p50_us": statistics.median(lat) * 1e6,
        "p99_us": lat[int(len(lat) * 0.99) - 1] * 1e6,
    }


async def request_bench(total: int, concurrency: int) -> dict[str, dict[str, float]]:
    bus = chain_bus()
    await bus.start()
    payload = Ping(0)

    async def via_bus() -> None:
        r = await bus.request("a", payload, response_type="done", timeout=5.0)
        assert not r.is_error, r.error

    async def direct() -> None:
        await direct_chain(payload)

    await measure(via_bus, min(total, 2000), concurrency)  # warm-up
    out = {
        "khorsyio": await measure(via_bus, total, concurrency),
        "direct": await measure(direct, total, concurrency),
    }
    await bus.stop()
    return out


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    res: dict[str, Any] = {"python": sys.version.split()[0]}

    await publish_khorsyio(2000)  # warm-up
    # Interleaved rounds, best of each: a loaded machine slows a round, never speeds it up.
    pub_runs: dict[str, list[float]] = {"khorsyio": [], "queue": [], "direct": []}
    req_runs: dict[str, list[dict[str, dict[str, float]]]] = {"request_seq": [], "request_100": []}
    for _ in range(args.rounds):
        pub_runs["khorsyio"].append(await publish_khorsyio(args.events))
        pub_runs["queue"].append(await publish_queue(args.events))
        pub_runs["direct"].append(await publish_direct(args.events))
        req_runs["request_seq"].append(await request_bench(args.requests, 1))
        req_runs["request_100"].append(await request_bench(args.requests, 100))
    res["publish"] = {k: max(v) for k, v in pub_runs.items()}
    for key, runs in req_runs.items():
        res[key] = {
            side: max((r[side] for r in runs), key=lambda m: m["rps"])
            for side in ("khorsyio", "direct")
        }
    pub = res["publish"]
    res["ratios"] = {
        "publish_vs_queue": pub["khorsyio"] / pub["queue"],
        "publish_vs_direct": pub["khorsyio"] / pub["direct"],
        "request_seq_vs_direct": res["request_seq"]["khorsyio"]["rps"]
        / res["request_seq"]["direct"]["rps"],
        "request_100_vs_direct": res["request_100"]["khorsyio"]["rps"]
        / res["request_100"]["direct"]["rps"],
    }
    if args.json:
        print(json.dumps(res, indent=2))
        return
    print(f"Python {res['python']}")
    print(
        f"publish, 1 no-op subscriber, {args.events} events (events/s): "
        f"khorsyio {pub['khorsyio']:,.0f} | Queue hand-off {pub['queue']:,.0f} | "
        f"direct await {pub['direct']:,.0f}"
    )
    for key, label in (("request_seq", "sequential"), ("request_100", "100 concurrent")):
        r = res[key]
        k, d = r["khorsyio"], r["direct"]
        print(
            f"request through 3 handlers, {label}: khorsyio {k['rps']:,.0f} req/s "
            f"(p50 {k['p50_us']:.1f} us, p99 {k['p99_us']:.1f} us) | direct awaits "
            f"{d['rps']:,.0f} req/s (p50 {d['p50_us']:.1f} us, p99 {d['p99_us']:.1f} us)"
        )
    rt = res["ratios"]
    print(
        f"ratios: publish/Queue {rt['publish_vs_queue']:.3f} (target >= 0.25), "
        f"request seq/direct {rt['request_seq_vs_direct']:.3f} (target >= 0.05), "
        f"request x100/direct {rt['request_100_vs_direct']:.3f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
