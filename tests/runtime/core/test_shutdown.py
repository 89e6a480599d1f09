from __future__ import annotations

import asyncio
import logging

import pytest

from khorsyio import Bus, BusClosedError, Context, Handler

from .contracts import Num


class Sleepy(Handler[Num, Num]):
    subscribes_to = "nap"
    publishes = "nap.done"
    concurrency = 2

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.finished: list[int] = []

    async def process(self, data: Num, ctx: Context) -> Num:
        await asyncio.sleep(self.seconds)
        self.finished.append(data.n)
        return data


async def test_in_flight_and_queued_events_finish_within_the_drain_timeout() -> None:
    bus = Bus()
    h = Sleepy(0.02)
    bus.register(h)
    await bus.start()
    for i in range(6):
        await bus.publish("nap", Num(i))
    report = await bus.stop(drain_timeout=5)
    assert report.drained
    assert report.cancelled_in_flight == 0
    assert report.not_started == 0
    assert sorted(h.finished) == list(range(6))


async def test_new_work_is_refused_once_shutdown_starts() -> None:
    bus = Bus()
    bus.register(Sleepy(0.05))
    await bus.start()
    await bus.publish("nap", Num(1))
    stopping = asyncio.create_task(bus.stop(drain_timeout=5))
    await asyncio.sleep(0)
    with pytest.raises(BusClosedError, match="shutting down"):
        await bus.publish("nap", Num(2))
    result = await bus.request("nap", Num(3), response_type="nap.done")
    assert result.error is not None
    assert result.error.code == "shutdown"
    await stopping


async def test_what_cannot_finish_is_counted_logged_and_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = Bus()
    h = Sleepy(30)
    bus.register(h)
    await bus.start()
    for i in range(5):
        await bus.publish("nap", Num(i))
    pending = asyncio.create_task(bus.request("nap", Num(99), response_type="nap.done", timeout=60))
    await asyncio.sleep(0.01)
    with caplog.at_level(logging.WARNING, logger="khorsyio.bus"):
        report = await bus.stop(drain_timeout=0.1)
    assert not report.drained
    assert report.cancelled_in_flight == 2  # the handler's concurrency
    assert report.not_started == 4
    assert report.pending_requests == 1
    answer = await pending
    assert answer.error is not None
    assert answer.error.code == "shutdown"
    assert "2 in-flight handler call(s) cancelled, 4 queued event(s) not started" in caplog.text
    # nothing is dropped in silence: every unfinished event is a dead letter
    letters = await bus.dead_letters.list()
    assert len(letters) == 6
    assert {d.error.code for d in letters} == {"shutdown"}
    assert sorted(d.envelope.payload.n for d in letters) == [0, 1, 2, 3, 4, 99]
    assert h.finished == []


async def test_stop_is_idempotent_and_safe_before_start() -> None:
    bus = Bus()
    assert (await bus.stop()).drained
    await bus.start()
    await bus.stop()
    assert (await bus.stop()).drained
