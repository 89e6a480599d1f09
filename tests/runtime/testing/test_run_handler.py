"""run_handler: the app's live handler instance, through its subscription, output returned."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgspec
import pytest

from khorsyio import App, BusClosedError, Context, Envelope, Handler, HandlerError, RetryPolicy
from khorsyio.settings import Settings
from khorsyio.testing import run_handler


class Item(msgspec.Struct):
    name: str
    qty: int = 1


class Stored(msgspec.Struct):
    id: int
    name: str


class Store:
    """A dependency: the test checks that the handler got the app's own instance."""

    def __init__(self) -> None:
        self.rows: list[str] = []


class Save(Handler[Item, Stored]):
    subscribes_to = "item.save"
    publishes = "item.saved"

    def __init__(self, store: Store) -> None:
        self.store = store

    async def process(self, data: Item, ctx: Context) -> Stored:
        if data.qty < 1:
            raise HandlerError("bad_qty", f"qty must be positive, got {data.qty}")
        self.store.rows.append(data.name)
        return Stored(id=len(self.store.rows), name=data.name)


class Downstream(Handler[Stored, None]):
    subscribes_to = "item.saved"
    seen: list[Stored] = []

    async def process(self, data: Stored, ctx: Context) -> None:
        Downstream.seen.append(data)


class Route(Handler[Item, None]):
    subscribes_to = "item.route"
    also_publishes = ("item.big", "item.small")

    async def process(self, data: Item, ctx: Context) -> Envelope | None:
        return ctx.forward("item.big" if data.qty > 10 else "item.small", data)


class Stub(Handler[Item, Stored]):
    subscribes_to = "item.stub"
    publishes = "item.stubbed"

    async def process(self, data: Item, ctx: Context) -> Stored:
        raise NotImplementedError("Stub.process is not implemented yet")


class Slow(Handler[Item, None]):
    subscribes_to = "item.slow"
    timeout = 0.05

    async def process(self, data: Item, ctx: Context) -> None:
        await asyncio.sleep(10)


class Flaky(Handler[Item, Stored]):
    subscribes_to = "item.flaky"
    publishes = "item.flaked"
    retry = RetryPolicy(attempts=3, backoff=0, retry_on=("busy",))
    calls = 0

    async def process(self, data: Item, ctx: Context) -> Stored:
        Flaky.calls += 1
        if Flaky.calls < 3:
            raise HandlerError("busy")
        return Stored(id=Flaky.calls, name=data.name)


@pytest.fixture
async def app() -> AsyncIterator[App]:
    app = App(settings=Settings())
    app.provide(Store, Store())
    for h in (Save, Downstream, Route, Stub, Slow, Flaky):
        app.register(h)
    app.declare_terminal("item.big", "item.small", "item.stubbed", "item.flaked")
    await app.startup()
    yield app
    await app.shutdown()


async def test_returns_the_output_of_the_live_instance(app: App) -> None:
    Downstream.seen = []
    out = await run_handler(app, Save, Item(name="nut"))
    assert out == Stored(id=1, name="nut")
    live = next(s.handler for s in app.bus.subscriptions if s.name == "Save")
    assert isinstance(live, Save)
    assert live.store.rows == ["nut"]  # the instance DI built, with its dependency
    await app.bus.wait_idle(1)
    assert Downstream.seen == []  # the output is returned, not published
    assert app.bus.metrics.snapshot()["Save"]["processed"] == 1


async def test_a_dict_is_validated_as_the_input_contract(app: App) -> None:
    assert await run_handler(app, "Save", {"name": "bolt", "qty": 2}) == Stored(id=1, name="bolt")
    with pytest.raises(HandlerError) as info:
        await run_handler(app, Save, {"qty": 2})  # type: ignore[arg-type]
    assert info.value.code == "invalid_input"


async def test_a_handler_error_is_raised_with_its_code(app: App) -> None:
    errors: list[Envelope] = []
    app.bus.on_error(errors.append)
    with pytest.raises(HandlerError) as info:
        await run_handler(app, Save, Item(name="nut", qty=0))
    assert (info.value.code, info.value.message) == ("bad_qty", "qty must be positive, got 0")
    assert [e.error.code for e in errors if e.error] == ["bad_qty"]  # error handling applied


async def test_an_unexpected_exception_is_the_cause(app: App) -> None:
    with pytest.raises(HandlerError) as info:
        await run_handler(app, Stub, Item(name="x"))
    assert info.value.code == "handler_error"
    assert "not implemented yet" in info.value.message
    assert isinstance(info.value.__cause__, NotImplementedError)
    assert await app.bus.dead_letters.count() == 1


async def test_routing_returns_the_envelope(app: App) -> None:
    out = await run_handler(app, Route, Item(name="crate", qty=20))
    assert isinstance(out, Envelope)
    assert (out.event_type, out.payload) == ("item.big", Item(name="crate", qty=20))


async def test_timeout_and_retry_apply(app: App) -> None:
    with pytest.raises(HandlerError) as info:
        await run_handler(app, Slow, Item(name="x"))
    assert info.value.code == "timeout"
    Flaky.calls = 0
    assert await run_handler(app, Flaky, Item(name="y")) == Stored(id=3, name="y")


async def test_unknown_handler_and_stopped_app() -> None:
    app = App(settings=Settings())
    app.register(Route)
    with pytest.raises(BusClosedError, match="not started"):
        await run_handler(app, Route, Item(name="x"))
    await app.startup()
    try:
        with pytest.raises(KeyError, match="no handler 'Save' is registered"):
            await run_handler(app, Save, Item(name="x"))
    finally:
        await app.shutdown()
