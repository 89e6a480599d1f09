from __future__ import annotations

import asyncio

from khorsyio import Bus, Context, Handler
from khorsyio.settings import BusSettings

from .contracts import Num


async def test_a_flood_makes_publishers_wait_and_loses_nothing() -> None:
    gate = asyncio.Event()
    processed: list[int] = []
    max_backlog = 0

    class Slow(Handler[Num, None]):
        subscribes_to = "work"
        concurrency = 4
        queue_size = 16

        async def process(self, data: Num, ctx: Context) -> None:
            await gate.wait()
            processed.append(data.n)

    bus = Bus(settings=BusSettings())
    bus.register(Slow())
    await bus.start()
    sub = bus.subscriptions[0]

    async def flood() -> None:
        nonlocal max_backlog
        for i in range(500):
            await bus.publish("work", Num(i))
            max_backlog = max(max_backlog, len(sub.backlog))

    publisher = asyncio.create_task(flood())
    await asyncio.sleep(0.05)
    # the handler is blocked: the publisher is waiting, memory is bounded
    assert not publisher.done()
    assert sub.inflight == 4
    assert len(sub.backlog) == 16
    assert bus.in_flight == 20
    gate.set()
    await asyncio.wait_for(publisher, 10)
    report = await bus.stop(drain_timeout=10)
    assert report.drained
    assert sorted(processed) == list(range(500))
    assert max_backlog <= 16
    assert len(bus.event_log.recent(1000, event_type="work")) == 500  # each logged once


async def test_concurrency_limit_is_respected() -> None:
    running = 0
    peak = 0

    class Worker(Handler[Num, None]):
        subscribes_to = "job"
        concurrency = 3

        async def process(self, data: Num, ctx: Context) -> None:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.001)
            running -= 1

    bus = Bus()
    bus.register(Worker())
    await bus.start()
    for i in range(50):
        await bus.publish("job", Num(i))
    await bus.stop(drain_timeout=10)
    assert peak == 3
    assert bus.metrics.snapshot()["Worker"]["processed"] == 50
