from __future__ import annotations

import pytest

from khorsyio import App, Context, Handler, Settings, WiringError, check_graph
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
