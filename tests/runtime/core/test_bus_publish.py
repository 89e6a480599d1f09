from __future__ import annotations

import asyncio
from typing import Any

import pytest

from khorsyio import Bus, BusClosedError, Context, Envelope, Handler

from .contracts import Tags, UserIn, UserOut


class Recorder(Handler[UserOut, None]):
    subscribes_to = "user.created"

    def __init__(self) -> None:
        self.seen: list[tuple[UserOut, Context]] = []

    async def process(self, data: UserOut, ctx: Context) -> None:
        self.seen.append((data, ctx))


class CreateUser(Handler[UserIn, UserOut]):
    subscribes_to = "user.create"
    publishes = "user.created"

    async def process(self, data: UserIn, ctx: Context) -> UserOut:
        return UserOut(id=1, name=data.name)


async def test_a_returned_struct_is_published_with_the_context(bus: Bus) -> None:
    rec = Recorder()
    bus.register(CreateUser())
    bus.register(rec)
    await bus.start()
    await bus.publish(
        "user.create", UserIn(name="test"), source="http", user_id="u1", extra={"role": "a"}
    )
    await bus.wait_idle(5)
    assert [d for d, _ in rec.seen] == [UserOut(id=1, name="test")]
    ctx = rec.seen[0][1]
    assert ctx.user_id == "u1"
    assert ctx.extra == {"role": "a"}
    assert ctx.source == "CreateUser"  # the producing handler


async def test_context_propagates_along_a_chain_with_one_trace(bus: Bus) -> None:
    class Step(Handler[UserOut, UserOut]):
        subscribes_to = "user.created"
        publishes = "user.welcomed"

        async def process(self, data: UserOut, ctx: Context) -> UserOut:
            return data

    class End(Handler[UserOut, None]):
        subscribes_to = "user.welcomed"

        def __init__(self) -> None:
            self.ctx: Context | None = None

        async def process(self, data: UserOut, ctx: Context) -> None:
            self.ctx = ctx

    end = End()
    for h in (CreateUser(), Step(), end):
        bus.register(h)
    await bus.start()
    await bus.publish("user.create", UserIn(name="x"), trace_id="trace-1", user_id="u9")
    await bus.wait_idle(5)
    assert end.ctx is not None
    assert end.ctx.trace_id == "trace-1"
    assert end.ctx.user_id == "u9"
    assert end.ctx.source == "Step"
    types = [e["event_type"] for e in bus.event_log.recent(10, trace_id="trace-1")]
    assert types == ["user.create", "user.created", "user.welcomed"]


async def test_an_envelope_result_is_published_as_it_is(bus: Bus) -> None:
    """Conditional routing: process picks the next event by returning an Envelope."""

    class Route(Handler[UserIn, None]):
        subscribes_to = "user.route"

        async def process(self, data: UserIn, ctx: Context) -> Envelope:
            target = "user.admin" if data.name == "root" else "user.regular"
            return Envelope(
                event_type=target, payload=UserOut(name=data.name), ctx=ctx.child("Route")
            )

    got: list[str] = []

    class Sink(Handler[UserOut, None]):
        subscribes_to = "user.admin"

        async def process(self, data: UserOut, ctx: Context) -> None:
            got.append(data.name)

    bus.register(Route())
    bus.register(Sink())
    await bus.start()
    await bus.publish("user.route", UserIn(name="root"))
    await bus.publish("user.route", UserIn(name="bob"))
    await bus.wait_idle(5)
    assert got == ["root"]
    assert [e["event_type"] for e in bus.event_log.recent(10)][-1] == "user.regular"


async def test_none_publishes_nothing(bus: Bus) -> None:
    class Quiet(Handler[UserIn, UserOut]):
        subscribes_to = "q"
        publishes = "q.done"

        async def process(self, data: UserIn, ctx: Context) -> None:
            return None

    bus.register(Quiet())
    await bus.start()
    await bus.publish("q", UserIn())
    await bus.wait_idle(5)
    assert [e["event_type"] for e in bus.event_log.recent(10)] == ["q"]


async def test_fan_out_gives_each_subscriber_its_own_copy(bus: Bus) -> None:
    seen: list[list[str]] = []

    def make(name: str) -> type[Handler[Tags, None]]:
        class Mutator(Handler[Tags, None]):
            subscribes_to = "tagged"

            async def process(self, data: Tags, ctx: Context) -> None:
                data.tags.append(name)
                ctx.extra[name] = True
                seen.append(list(data.tags))

        Mutator.__name__ = f"Mutator{name}"
        return Mutator

    for n in ("a", "b", "c"):
        bus.register(make(n)())
    await bus.start()
    await bus.publish("tagged", Tags(tags=["start"]))
    await bus.wait_idle(5)
    assert sorted(seen) == [["start", "a"], ["start", "b"], ["start", "c"]]
    assert [e["event_type"] for e in bus.event_log.recent(10)] == ["tagged"]  # logged once


async def test_publish_refuses_a_non_struct_payload(bus: Bus) -> None:
    await bus.start()
    with pytest.raises(TypeError, match=r"payload must be a msgspec.Struct instance, got dict"):
        await bus.publish("x", {"name": "a"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes an event name or an Envelope"):
        await bus.publish(42)  # type: ignore[arg-type]


async def test_publish_before_start_is_a_clear_error(bus: Bus) -> None:
    with pytest.raises(BusClosedError, match="not running"):
        await bus.publish("x", UserIn())


async def test_a_publish_inside_a_handler_continues_its_trace(bus: Bus) -> None:
    class Explicit(Handler[UserIn, None]):
        subscribes_to = "a"

        def __init__(self, bus: Bus) -> None:
            self.bus = bus

        async def process(self, data: UserIn, ctx: Context) -> None:
            await self.bus.publish("b", UserIn(name="inner"))

    bus.register(Explicit(bus))
    await bus.start()
    await bus.publish("a", UserIn(), trace_id="t-42")
    await bus.wait_idle(5)
    assert [e["event_type"] for e in bus.event_log.recent(5, trace_id="t-42")] == ["a", "b"]


async def test_registering_twice_is_refused(bus: Bus) -> None:
    h = CreateUser()
    bus.register(h)
    with pytest.raises(Exception, match="already registered"):
        bus.register(h)
    with pytest.raises(Exception, match="already registered"):
        bus.register(CreateUser())


async def test_a_handler_that_suspends_still_works(bus: Bus) -> None:
    done = asyncio.Event()

    class Slow(Handler[UserIn, None]):
        subscribes_to = "slow"

        async def process(self, data: UserIn, ctx: Context) -> None:
            await asyncio.sleep(0.01)
            done.set()

    bus.register(Slow())
    await bus.start()
    await bus.publish("slow", UserIn())
    await bus.wait_idle(5)
    await asyncio.wait_for(done.wait(), 2)


async def test_validation_error_of_an_input_is_an_error_envelope(bus: Bus) -> None:
    errors: list[Envelope] = []
    bus.on_error(errors.append)
    bus.register(CreateUser())
    await bus.start()
    await bus.publish(Envelope.create("user.create", {"name": 12}))
    await bus.wait_idle(5)
    assert errors
    assert errors[0].error is not None
    assert errors[0].error.code == "invalid_input"
    assert "$.name" in errors[0].error.message


async def test_metrics_count_processed_and_errors(bus: Bus) -> None:
    class Flaky(Handler[UserIn, None]):
        subscribes_to = "f"

        async def process(self, data: UserIn, ctx: Context) -> None:
            if data.name == "bad":
                raise ValueError("bad name")

    bus.register(Flaky())
    await bus.start()
    for name in ("ok", "bad", "ok"):
        await bus.publish("f", UserIn(name=name))
        await bus.wait_idle(5)
    snap: dict[str, Any] = bus.metrics.snapshot()
    assert snap["Flaky"]["processed"] == 3
    assert snap["Flaky"]["errors"] == 1
    assert isinstance(snap["Flaky"]["avg_ms"], float)
    assert snap["Flaky"]["last_error"] == "bad name"


async def test_ctx_forward_routes_within_the_chain(bus: Bus) -> None:
    class Pick(Handler[UserIn, None]):
        subscribes_to = "pick"

        async def process(self, data: UserIn, ctx: Context) -> Envelope:
            return ctx.forward("pick.b" if data.name == "b" else "pick.a", UserOut(name=data.name))

    bus.register(Pick())
    await bus.start()
    result = await bus.request("pick", UserIn(name="b"), response_type="pick.b", user_id="u7")
    assert result.payload == UserOut(name="b")
    assert result.ctx.source == "Pick"
    assert result.ctx.user_id == "u7"
