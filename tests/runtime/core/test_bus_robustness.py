"""Regressions found in review: cancellation, closed buses, contexts, failing publishes."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import Any

import msgspec
import pytest

from khorsyio import Bus, BusClosedError, Context, Handler, RetryPolicy

from .contracts import Num

request_state: contextvars.ContextVar[str] = contextvars.ContextVar("request_state", default="")


async def test_a_worker_does_not_inherit_its_publishers_context_variables() -> None:
    """A publish inside e.g. db.transaction() must not hand the transaction to the handler."""
    seen: list[str] = []

    class Peek(Handler[Num, None]):
        subscribes_to = "peek"

        async def process(self, data: Num, ctx: Context) -> None:
            await asyncio.sleep(0)
            seen.append(request_state.get())

    bus = Bus()
    bus.register(Peek())
    await bus.start()
    token = request_state.set("publisher's transaction")
    try:
        await bus.publish("peek", Num(1))
    finally:
        request_state.reset(token)
    await bus.wait_idle(5)
    await bus.stop()
    assert seen == [""]


async def test_no_handler_starts_after_stop_for_a_publisher_held_back() -> None:
    started: list[int] = []

    class Slow(Handler[Num, None]):
        subscribes_to = "slow"
        concurrency = 1
        queue_size = 1

        async def process(self, data: Num, ctx: Context) -> None:
            started.append(data.n)
            await asyncio.sleep(5)

    bus = Bus()
    bus.register(Slow())
    await bus.start()
    await bus.publish("slow", Num(1))
    await bus.publish("slow", Num(2))
    held = asyncio.create_task(bus.publish("slow", Num(3)))
    await asyncio.sleep(0.05)
    report = await bus.stop(drain_timeout=0.1)
    with pytest.raises(BusClosedError):
        await held
    await asyncio.sleep(0.05)
    assert started == [1]
    assert (report.cancelled_in_flight, report.not_started) == (1, 1)
    assert bus.in_flight == 0


async def test_a_shutdown_during_a_retry_backoff_keeps_the_event() -> None:
    class Flaky(Handler[Num, None]):
        subscribes_to = "flaky"
        retry = RetryPolicy(attempts=3, backoff=5)

        async def process(self, data: Num, ctx: Context) -> None:
            raise ConnectionError("down")

    bus = Bus()
    bus.register(Flaky())
    await bus.start()
    await bus.publish("flaky", Num(7))
    await asyncio.sleep(0.05)  # now in the 5 s backoff
    report = await bus.stop(drain_timeout=0.1)
    assert report.cancelled_in_flight == 1
    [letter] = await bus.dead_letters.list()
    assert letter.envelope.payload == Num(7)
    assert letter.error.code == "shutdown"
    assert bus.in_flight == 0
    await bus.start()
    assert await bus.wait_idle(1)
    await bus.stop()


class Lockish(msgspec.Struct):
    n: int
    extra: Any = None


async def test_a_result_that_cannot_be_published_fails_the_event_visibly() -> None:
    class Make(Handler[Num, Lockish]):
        subscribes_to = "make"
        publishes = "made"

        async def process(self, data: Num, ctx: Context) -> Lockish:
            return Lockish(n=data.n, extra=threading.Lock())  # fan-out cannot copy it

    class B1(Handler[Lockish, None]):
        subscribes_to = "made"

        async def process(self, data: Lockish, ctx: Context) -> None:
            return None

    class B2(B1):
        pass

    bus = Bus()
    for h in (Make(), B1(), B2()):
        bus.register(h)
    await bus.start()
    result = await bus.request("make", Num(1), response_type="made.never", timeout=5)
    assert result.error is not None
    assert result.error.code == "publish_error"
    assert await bus.wait_idle(1)
    assert [d.error.code for d in await bus.dead_letters.list()] == ["publish_error"]
    await bus.stop()


async def test_a_failed_replay_keeps_the_dead_letter() -> None:
    class Boom(Handler[Num, None]):
        subscribes_to = "boom"

        async def process(self, data: Num, ctx: Context) -> None:
            raise ValueError("boom")

    bus = Bus()
    bus.register(Boom())
    await bus.start()
    await bus.publish("boom", Num(1))
    await bus.wait_idle(5)
    await bus.stop()
    [letter] = await bus.dead_letters.list()
    with pytest.raises(BusClosedError):
        await bus.dead_letters.replay(letter.id)
    assert [d.id for d in await bus.dead_letters.list()] == [letter.id]
