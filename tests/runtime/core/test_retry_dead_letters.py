from __future__ import annotations

import asyncio
import math
import re
from typing import Any

import pytest

from khorsyio import Bus, Context, Envelope, Handler, RetryPolicy

from .contracts import Num


class Flaky(Handler[Num, Num]):
    subscribes_to = "flaky"
    publishes = "flaky.done"
    retry = RetryPolicy(attempts=3, backoff=0.001)

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    async def process(self, data: Num, ctx: Context) -> Num:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError(f"try {self.calls} failed")
        return data


async def test_a_retried_handler_succeeds_within_its_attempts() -> None:
    bus = Bus()
    h = Flaky(failures=2)
    bus.register(h)
    await bus.start()
    result = await bus.request("flaky", Num(5), response_type="flaky.done", timeout=5)
    assert result.payload == Num(5)
    assert h.calls == 3
    snap = bus.metrics.snapshot()["Flaky"]
    assert snap["retries"] == 2
    assert snap["errors"] == 2
    assert await bus.dead_letters.count() == 0
    await bus.stop()


async def test_exhausted_retries_land_in_the_dead_letters_and_can_be_replayed() -> None:
    bus = Bus()
    errors: list[Envelope] = []
    bus.on_error(errors.append)
    h = Flaky(failures=3)
    bus.register(h)
    await bus.start()
    result = await bus.request("flaky", Num(7), response_type="flaky.done", timeout=5)
    assert result.error is not None
    assert result.error.message == "try 3 failed"
    assert len(errors) == 1  # callbacks see the final failure once
    [letter] = await bus.dead_letters.list()
    assert letter.handler == "Flaky"
    assert letter.attempts == 3
    assert letter.envelope.payload == Num(7)
    assert (await bus.dead_letters.snapshot())[0]["code"] == "handler_error"

    # the cause is fixed: replay delivers it again to the same handler
    await bus.dead_letters.replay(letter.id)
    await bus.wait_idle(5)
    assert h.calls == 4
    assert await bus.dead_letters.count() == 0
    assert [e["event_type"] for e in bus.event_log.recent(1)] == ["flaky.done"]
    await bus.stop()


async def test_a_validation_error_is_not_retried() -> None:
    bus = Bus()
    h = Flaky(failures=0)
    bus.register(h)
    await bus.start()
    await bus.publish(Envelope.create("flaky", {"n": "not a number"}))
    await bus.wait_idle(5)
    assert h.calls == 0
    [letter] = await bus.dead_letters.list()
    assert letter.error.code == "invalid_input"
    assert letter.attempts == 1
    await bus.stop()


async def test_async_error_callbacks_are_awaited_and_their_failures_contained() -> None:
    bus = Bus()
    seen: list[str] = []

    async def record(env: Envelope) -> None:
        await asyncio.sleep(0)
        assert env.error is not None
        seen.append(env.error.code)

    def broken(env: Envelope) -> None:
        raise RuntimeError("callback bug")

    bus.on_error(broken)
    bus.on_error(record)

    class Boom(Handler[Num, None]):
        subscribes_to = "boom"

        async def process(self, data: Num, ctx: Context) -> None:
            raise ValueError("boom")

    bus.register(Boom())
    await bus.start()
    await bus.publish("boom", Num())
    await bus.wait_idle(5)
    assert seen == ["handler_error"]
    await bus.stop()


async def test_dead_letter_store_is_bounded_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    from khorsyio.bus import MemoryDeadLetters
    from khorsyio.events import Error

    store = MemoryDeadLetters(2)
    for i in range(3):
        await store.add("H", Envelope.create("e", Num(i)), Error(code="x"), 1)
    assert [d.envelope.payload.n for d in await store.list()] == [1, 2]
    assert store.evicted == 1
    assert "dead letter store full (2): evicted #1 e in H" in caplog.text


async def test_a_handler_error_answers_with_its_code_and_is_not_a_dead_letter() -> None:
    from khorsyio import HandlerError

    class Register(Handler[Num, Num]):
        subscribes_to = "register"
        publishes = "registered"
        retry = RetryPolicy(attempts=3, backoff=0.001)

        def __init__(self) -> None:
            self.calls = 0

        async def process(self, data: Num, ctx: Context) -> Num:
            self.calls += 1
            raise HandlerError("conflict", "already registered", details={"n": data.n})

    bus = Bus()
    errors: list[Envelope] = []
    bus.on_error(errors.append)
    h = Register()
    bus.register(h)
    await bus.start()
    result = await bus.request("register", Num(1), response_type="registered", timeout=5)
    assert result.error is not None
    assert (result.error.code, result.error.message, result.error.details) == (
        "conflict",
        "already registered",
        {"n": 1},
    )
    assert h.calls == 1  # "conflict" is not in retry_on
    assert len(errors) == 1
    assert await bus.dead_letters.count() == 0
    await bus.stop()


async def test_a_client_error_in_a_handler_keeps_its_code_and_status() -> None:
    from khorsyio import ClientError

    class Lookup(Handler[Num, Num]):
        subscribes_to = "lookup"
        publishes = "found"

        async def process(self, data: Num, ctx: Context) -> Num:
            raise ClientError(f"no item {data.n}", status=404, code="not_found")

    bus = Bus()
    bus.register(Lookup())
    await bus.start()
    result = await bus.request("lookup", Num(3), response_type="found", timeout=5)
    assert result.error is not None
    assert (result.error.code, result.error.message) == ("not_found", "no item 3")
    assert result.error.details == {"status": 404}
    assert await bus.dead_letters.count() == 0
    await bus.stop()


class AlwaysFails(Handler[Num, Num]):
    subscribes_to = "doomed"
    publishes = "doomed.done"
    retry = RetryPolicy(attempts=1100, backoff=0.0)

    def __init__(self) -> None:
        self.calls = 0

    async def process(self, data: Num, ctx: Context) -> Num:
        self.calls += 1
        raise ConnectionError("still down")


async def test_a_long_retry_run_still_ends_as_a_dead_letter() -> None:
    # 2.0 ** 1024 overflows a float: the backoff once raised there and the event vanished
    bus = Bus()
    errors: list[Envelope] = []
    bus.on_error(errors.append)
    h = AlwaysFails()
    bus.register(h)
    await bus.start()
    await bus.publish(Envelope.create("doomed", Num(1)))
    assert await bus.wait_idle(60)
    assert h.calls == 1100
    [letter] = await bus.dead_letters.list()
    assert (letter.attempts, letter.error.code) == (1100, "handler_error")
    assert len(errors) == 1
    await bus.stop()


def test_the_backoff_saturates_at_its_maximum() -> None:
    p = RetryPolicy(attempts=10_000, backoff=0.5, multiplier=1000.0, max_backoff=30.0)
    assert p.delay(1) == 0.5
    assert p.delay(2) == 30.0
    assert p.delay(10**9) == 30.0
    assert RetryPolicy(backoff=0.1).delay(5000) == 10.0
    assert RetryPolicy(backoff=0.0).delay(5000) == 0.0
    assert RetryPolicy(backoff=0.1, multiplier=1.0).delay(5000) == 0.1
    assert RetryPolicy(backoff=3.0, max_backoff=1.0).delay(1) == 1.0
    assert [RetryPolicy(backoff=1.0).delay(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 10]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"attempts": 0}, "attempts must be an integer from 1 to 10000"),
        ({"attempts": 100_000}, "attempts must be an integer from 1 to 10000"),
        ({"attempts": 3.0}, "attempts must be an integer"),
        ({"attempts": True}, "attempts must be an integer"),
        ({"backoff": math.inf}, "backoff must be a finite number"),
        ({"backoff": math.nan}, "backoff must be a finite number"),
        ({"backoff": -1}, "backoff must be a finite number from 0 to 86400"),
        ({"max_backoff": 1e400}, "max_backoff must be a finite number"),
        ({"max_backoff": 10**6}, "max_backoff must be a finite number from 0 to 86400"),
        ({"multiplier": 0.5}, "multiplier must be a finite number from 1 to 1000"),
        ({"multiplier": math.nan}, "multiplier must be a finite number"),
        ({"backoff": "1"}, "backoff must be a number, got '1'"),
    ],
)
def test_absurd_policies_are_refused_where_they_are_built(
    kwargs: dict[str, Any], words: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        RetryPolicy(**kwargs)


async def test_a_retried_failure_logs_a_line_per_attempt_and_the_traceback_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    bus = Bus()
    bus.register(Flaky(failures=3))
    await bus.start()
    with caplog.at_level(logging.WARNING, logger="khorsyio.bus"):
        await bus.publish(Envelope.create("flaky", Num(1), trace_id="trace-log-1"))
        assert await bus.wait_idle(5)
    await bus.stop()
    lines = [r for r in caplog.records if r.name == "khorsyio.bus"]
    assert [(r.levelname, r.getMessage()) for r in lines] == [
        (
            "WARNING",
            "Flaky failed on flaky trace=trace-log-1 (attempt 1 of 3, retrying in 0.001s): "
            "handler_error: try 1 failed",
        ),
        (
            "WARNING",
            "Flaky failed on flaky trace=trace-log-1 (attempt 2 of 3, retrying in 0.002s): "
            "handler_error: try 2 failed",
        ),
        (
            "ERROR",
            "Flaky failed on flaky trace=trace-log-1 after 3 attempts: handler_error: try 3 failed",
        ),
    ]
    assert [r.exc_info is not None for r in lines] == [False, False, True]
    assert lines[-1].exc_info is not None
    assert isinstance(lines[-1].exc_info[1], ConnectionError)
    assert caplog.text.count("Traceback") == 1
