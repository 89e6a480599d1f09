from __future__ import annotations

from typing import ClassVar

import msgspec
import pytest

from khorsyio import App, Context, Envelope, Handler, Settings, WiringError, check_graph
from khorsyio.graph import Node

from .contracts import Tags, UserIn, UserOut


def h(name: str, consumes: str, produces: str = "", inp: object = None, out: object = None) -> Node:
    return Node(
        kind="handler",
        name=name,
        consumes=consumes,
        produces=(produces,) if produces else (),
        input_type=inp,
        output_type=out,
    )


def codes(nodes: list[Node]) -> list[str]:
    return [p.code for p in check_graph(nodes)]


def test_a_clean_graph_has_no_problems() -> None:
    nodes = [
        Node(
            kind="route",
            name="POST /users",
            produces=("user.create",),
            output_type=UserIn,
            awaits="user.created",
        ),
        h("CreateUser", "user.create", "user.created", UserIn, UserOut),
        h("SendWelcome", "user.created", "", UserOut),
    ]
    assert check_graph(nodes) == []


def test_problems_name_the_whole_path() -> None:
    nodes = [
        Node(kind="route", name="POST /users", produces=("user.create",), output_type=UserIn),
        h("CreateUser", "user.create", "user.created", UserIn, UserOut),
        h("SendWelcome", "user.created", "mail.sent", UserIn),
    ]
    problems = {p.code: p.message for p in check_graph(nodes)}
    assert problems["contract_mismatch"] == (
        "POST /users → user.create → CreateUser → user.created → SendWelcome: CreateUser publishes "
        "'user.created' as UserOut but SendWelcome expects UserIn"
    )
    assert problems["no_consumer"].startswith(
        "POST /users → user.create → CreateUser → user.created → SendWelcome → mail.sent:"
    )


def test_no_producer_no_path_and_cycles() -> None:
    assert codes([h("Orphan", "nobody.sends")]) == ["no_producer"]
    route = Node(kind="route", name="GET /x", produces=("a",), awaits="z")
    assert "no_path" in codes([route, h("A", "a", "b"), h("B", "b")])
    cyc = [h("A", "a", "b"), h("B", "b", "a"), Node(kind="external", name="ext", produces=("a",))]
    problems = check_graph(cyc)
    assert [p.code for p in problems] == ["cycle"]
    assert problems[0].severity == "warning"
    assert check_graph(cyc, allow_cycles=["a"]) == []


def test_terminal_and_compatible_declarations() -> None:
    nodes = [
        Node(kind="external", name="ext", produces=("a",), output_type=Tags),
        h("A", "a", "done", UserIn),
        Node(kind="terminal", name="terminal done", consumes="done"),
    ]
    assert codes(nodes) == ["contract_mismatch"]
    assert check_graph(nodes, compatible=[(Tags, UserIn)]) == []


class Producer(Handler[UserIn, UserOut]):
    subscribes_to = "p.in"
    publishes = "p.out"

    async def process(self, data: UserIn, ctx: Context) -> UserOut:
        return UserOut()


class WrongConsumer(Handler[UserIn, None]):
    subscribes_to = "p.out"

    async def process(self, data: UserIn, ctx: Context) -> None:
        return None


async def test_startup_warns_by_default_and_strict_mode_refuses(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App(settings=Settings())
    app.register(Producer)
    app.register(WrongConsumer)
    await app.startup()
    await app.shutdown()
    assert "graph: p.in → Producer: event 'p.in' has no producer" in caplog.text
    assert "Producer publishes 'p.out' as UserOut but WrongConsumer expects UserIn" in caplog.text
    assert [p.code for p in app.graph_problems] == ["no_producer", "contract_mismatch"]
    assert app.bus.validate_graph() == [p.message for p in app.graph_problems]

    strict = App(settings=Settings(), strict=True)
    strict.register(Producer)
    strict.register(WrongConsumer)
    with pytest.raises(WiringError, match="expects UserIn"):
        await strict.startup()


async def test_declared_externals_and_terminals_silence_the_warnings() -> None:
    app = App(settings=Settings(), strict=True)
    app.register(Producer)
    app.declare_external("p.in")
    app.declare_terminal("p.out")
    await app.startup()
    assert app.graph_problems == []
    await app.shutdown()


class Router(Handler[UserIn, None]):
    subscribes_to = "in"
    also_publishes = ("vip", "regular")

    async def process(self, data: UserIn, ctx: Context) -> None:
        return None


class Vip(Handler[UserIn, None]):
    subscribes_to = "vip"

    async def process(self, data: UserIn, ctx: Context) -> None:
        return None


async def test_also_publishes_declares_routed_events_to_the_graph() -> None:
    from khorsyio import Domain

    app = App(settings=Settings(), strict=True)
    app.mount(Domain(namespace="user", handlers=[Router, Vip]))
    app.declare_external("user.in")
    app.declare_terminal("user.regular")
    await app.startup()  # strict: user.vip has a producer, user.regular a consumer
    assert app.graph_problems == []
    await app.shutdown()
    bare = App(settings=Settings(), strict=True)
    bare.mount(Domain(namespace="user", handlers=[Vip]))
    bare.declare_external("user.in")
    with pytest.raises(WiringError, match=r"event 'user\.vip' has no producer"):
        await bare.startup()


class Plain(msgspec.Struct):
    name: str


class TypedRouter(Handler[UserIn, None]):
    subscribes_to = "in"
    also_publishes = {"vip": UserIn, "regular": UserIn}

    async def process(self, data: UserIn, ctx: Context) -> Envelope:
        return ctx.forward("vip" if data.name == "ada" else "regular", data)


class PlainVip(Handler[Plain, None]):
    subscribes_to = "vip"

    async def process(self, data: Plain, ctx: Context) -> None:
        return None


async def test_routed_edges_with_contracts_are_checked_at_startup() -> None:
    from khorsyio import Domain

    app = App(settings=Settings(), strict=True)
    app.mount(Domain(namespace="user", handlers=[TypedRouter, PlainVip]))
    app.declare_external("user.in")
    app.declare_terminal("user.regular")
    with pytest.raises(
        WiringError,
        match=r"TypedRouter publishes 'user\.vip' as UserIn but PlainVip expects Plain",
    ):
        await app.startup()


async def test_untyped_routed_edges_are_not_checked_against_the_output_type() -> None:
    from khorsyio import Domain

    class Untyped(Handler[UserIn, None]):
        subscribes_to = "in"
        also_publishes = ("vip",)

        async def process(self, data: UserIn, ctx: Context) -> None:
            return None

    app = App(settings=Settings(), strict=True)
    app.mount(Domain(namespace="user", handlers=[Untyped, PlainVip]))
    app.declare_external("user.in")
    await app.startup()
    assert app.graph_problems == []
    await app.shutdown()


async def test_forwarding_a_payload_of_another_contract_fails_the_event() -> None:
    class Wrong(Handler[UserIn, None]):
        subscribes_to = "in"
        also_publishes = {"vip": Plain}

        async def process(self, data: UserIn, ctx: Context) -> Envelope:
            return ctx.forward("vip", data)  # a UserIn where Plain is declared

    class Catch(Handler[Plain, None]):
        subscribes_to = "vip"
        seen: ClassVar[list[Plain]] = []

        async def process(self, data: Plain, ctx: Context) -> None:
            Catch.seen.append(data)

    app = App(settings=Settings())
    app.register(Wrong)
    app.register(Catch)
    app.declare_external("in")
    await app.startup()
    errors: list[Envelope] = []
    app.bus.on_error(lambda env: errors.append(env))
    await app.bus.publish("in", UserIn(name="x"))
    await app.bus.wait_idle()
    await app.shutdown()
    assert Catch.seen == []
    [err] = errors
    assert err.error is not None
    assert err.error.code == "contract"
    assert "forwarded 'vip' with a UserIn, but its contract is Plain" in err.error.message


def test_also_publishes_refuses_a_contract_that_is_not_a_struct() -> None:
    from khorsyio.errors import HandlerDefinitionError
    from khorsyio.handler import validate_handler_class

    class Bad(Handler[UserIn, None]):
        subscribes_to = "in"
        also_publishes = {"vip": dict}  # type: ignore[dict-item]

        async def process(self, data: UserIn, ctx: Context) -> None:
            return None

    with pytest.raises(HandlerDefinitionError, match=r"also_publishes\['vip'\] must be"):
        validate_handler_class(Bad)
