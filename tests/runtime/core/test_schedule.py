from __future__ import annotations

import asyncio

import msgspec
import pytest

from khorsyio import Bus, Context, Handler


class HealthCheck(msgspec.Struct):
    hits: list[int] = msgspec.field(default_factory=list)


async def test_schedule_publishes_a_fresh_copy_every_interval() -> None:
    seen: list[list[int]] = []
    enough = asyncio.Event()

    class Probe(Handler[HealthCheck, None]):
        subscribes_to = "system.healthcheck"

        async def process(self, data: HealthCheck, ctx: Context) -> None:
            data.hits.append(1)  # mutating must not leak into the next tick
            seen.append(list(data.hits))
            assert ctx.source == "scheduler"
            if len(seen) >= 3:
                enough.set()

    bus = Bus()
    bus.register(Probe())
    sched = bus.schedule("system.healthcheck", HealthCheck(), interval=0.01)
    await bus.start()
    await asyncio.wait_for(enough.wait(), 5)
    await bus.stop()
    assert seen[:3] == [[1], [1], [1]]
    fired = sched.fired
    await asyncio.sleep(0.05)
    assert sched.fired == fired  # cancelled at shutdown


def test_schedule_validates_its_arguments() -> None:
    bus = Bus()
    with pytest.raises(ValueError, match="interval must be > 0"):
        bus.schedule("x", HealthCheck(), interval=0)
    with pytest.raises(TypeError, match=r"must be a msgspec\.Struct"):
        bus.schedule("x", {"a": 1}, interval=1)  # type: ignore[arg-type]


async def test_ticks_missed_during_a_stall_are_skipped_not_burst() -> None:
    import time

    fired: list[float] = []

    class Probe(Handler[HealthCheck, None]):
        subscribes_to = "tick"

        async def process(self, data: HealthCheck, ctx: Context) -> None:
            fired.append(time.monotonic())

    bus = Bus()
    bus.register(Probe())
    bus.schedule("tick", HealthCheck(), interval=0.05)
    await bus.start()
    await asyncio.sleep(0.07)
    time.sleep(0.3)  # noqa: ASYNC251  (on purpose: the loop stalls for 6 intervals)
    stalled_at = time.monotonic()
    await asyncio.sleep(0.02)
    await bus.stop()
    assert len([t for t in fired if t >= stalled_at]) <= 1  # not a burst of 6
