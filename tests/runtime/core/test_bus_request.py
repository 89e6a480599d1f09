from __future__ import annotations

import asyncio

import pytest

from khorsyio import Bus, Context, Handler, UsageError

from .contracts import UserIn, UserOut


class CreateUser(Handler[UserIn, UserOut]):
    subscribes_to = "user.create"
    publishes = "user.created"

    async def process(self, data: UserIn, ctx: Context) -> UserOut:
        await asyncio.sleep(0)  # a real await: the reply comes later, through a task
        return UserOut(id=7, name=data.name)


async def test_request_returns_the_response_envelope(bus: Bus) -> None:
    bus.register(CreateUser())
    await bus.start()
    result = await bus.request(
        "user.create",
        UserIn(name="test"),
        response_type="user.created",
        source="http",
        user_id="u1",
        timeout=5.0,
    )
    assert not result.is_error
    assert result.decode(UserOut) == UserOut(id=7, name="test")
    assert result.ctx.user_id == "u1"


async def test_concurrent_requests_get_their_own_replies(bus: Bus) -> None:
    bus.register(CreateUser())
    await bus.start()
    names = [f"n{i}" for i in range(200)]
    results = await asyncio.gather(
        *(bus.request("user.create", UserIn(name=n), response_type="user.created") for n in names)
    )
    assert [r.payload.name for r in results] == names


async def test_request_times_out_with_code_timeout(bus: Bus) -> None:
    class Never(Handler[UserIn, UserOut]):
        subscribes_to = "user.create"
        publishes = "user.other"

        async def process(self, data: UserIn, ctx: Context) -> UserOut:
            return UserOut()

    bus.register(Never())
    await bus.start()
    result = await bus.request("user.create", UserIn(), response_type="user.created", timeout=0.05)
    assert result.is_error
    assert result.error is not None
    assert result.error.code == "timeout"
    assert "user.created" in result.error.message


async def test_an_error_anywhere_on_the_chain_answers_at_once(bus: Bus) -> None:
    """The third handler fails: the request resolves with its error, not after the timeout."""

    class A(Handler[UserIn, UserIn]):
        subscribes_to = "a"
        publishes = "b"

        async def process(self, data: UserIn, ctx: Context) -> UserIn:
            await asyncio.sleep(0)
            return data

    class B(Handler[UserIn, UserIn]):
        subscribes_to = "b"
        publishes = "c"

        async def process(self, data: UserIn, ctx: Context) -> UserIn:
            return data

    class C(Handler[UserIn, UserOut]):
        subscribes_to = "c"
        publishes = "done"

        async def process(self, data: UserIn, ctx: Context) -> UserOut:
            await asyncio.sleep(0)
            raise RuntimeError("database is on fire")

    for h in (A(), B(), C()):
        bus.register(h)
    await bus.start()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    result = await bus.request("a", UserIn(name="x"), response_type="done", timeout=30.0)
    assert loop.time() - t0 < 10  # resolved by the error, long before the 30 s timeout
    assert result.is_error
    assert result.error is not None
    assert result.error.code == "handler_error"
    assert result.error.message == "database is on fire"
    assert result.error.source == "C"
    assert result.error.trace_id == result.trace_id


async def test_a_handler_timeout_answers_the_request_with_code_timeout(bus: Bus) -> None:
    class Slow(Handler[UserIn, UserOut]):
        subscribes_to = "slow"
        publishes = "slow.done"
        timeout = 0.05

        async def process(self, data: UserIn, ctx: Context) -> UserOut:
            await asyncio.sleep(10)
            return UserOut()

    bus.register(Slow())
    await bus.start()
    result = await bus.request("slow", UserIn(), response_type="slow.done", timeout=30.0)
    assert result.error is not None
    assert result.error.code == "timeout"
    assert result.error.source == "Slow"


async def test_request_to_an_event_nobody_handles(bus: Bus) -> None:
    await bus.start()
    result = await bus.request("nobody.home", UserIn(), timeout=5.0)
    assert result.error is not None
    assert result.error.code == "no_handler"


async def test_default_response_type_is_event_dot_response(bus: Bus) -> None:
    class Echo(Handler[UserIn, UserIn]):
        subscribes_to = "echo"
        publishes = "echo.response"

        async def process(self, data: UserIn, ctx: Context) -> UserIn:
            return data

    bus.register(Echo())
    await bus.start()
    result = await bus.request("echo", UserIn(name="hi"))
    assert result.payload == UserIn(name="hi")


async def test_wait_idle_sees_the_end_of_a_request_chain(bus: Bus) -> None:
    """A chain that completes inside the request (eagerly) leaves the bus idle."""

    class Echo(Handler[UserIn, UserIn]):
        subscribes_to = "e"
        publishes = "e.response"

        async def process(self, data: UserIn, ctx: Context) -> UserIn:
            return data

    bus.register(Echo())
    await bus.start()
    await bus.request("e", UserIn())
    assert bus.in_flight == 0
    assert await bus.wait_idle(1)
    await bus.publish("e", UserIn())
    assert await bus.wait_idle(1)
    assert bus.in_flight == 0


async def test_wait_idle_is_not_fooled_by_an_eager_chain_finishing_first(bus: Bus) -> None:
    release = asyncio.Event()

    class Slow(Handler[UserIn, None]):
        subscribes_to = "slow"

        async def process(self, data: UserIn, ctx: Context) -> None:
            await release.wait()

    class Echo(Handler[UserIn, UserIn]):
        subscribes_to = "e"
        publishes = "e.response"

        async def process(self, data: UserIn, ctx: Context) -> UserIn:
            return data

    bus.register(Slow())
    bus.register(Echo())
    await bus.start()
    await bus.publish("slow", UserIn())
    await asyncio.sleep(0)
    idle = asyncio.create_task(bus.wait_idle(5))
    await asyncio.sleep(0)
    await bus.request("e", UserIn())
    await asyncio.sleep(0.01)
    assert not idle.done()  # the slow event is still in flight
    release.set()
    assert await idle


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, 0, True, "5"])
async def test_request_refuses_a_timeout_that_never_or_always_fires(bus: Bus, bad: object) -> None:
    # timeout=nan used to wait forever: asyncio never fires a NaN deadline
    bus.register(CreateUser())
    await bus.start()
    with pytest.raises(UsageError, match="timeout must be a positive, finite number of seconds"):
        await bus.request("user.create", UserIn(name="x"), timeout=bad)  # type: ignore[arg-type]
    ok = await bus.request("user.create", UserIn(name="x"), response_type="user.created")
    assert not ok.is_error


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -0.5])
async def test_stop_refuses_a_drain_timeout_that_is_not_finite(bus: Bus, bad: float) -> None:
    await bus.start()
    with pytest.raises(UsageError, match="drain_timeout must be"):
        await bus.stop(drain_timeout=bad)
    report = await bus.stop(drain_timeout=0)
    assert report.drained
