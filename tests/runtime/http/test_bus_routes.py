from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec
import pytest

from khorsyio import (
    App,
    BusRoute,
    Context,
    Domain,
    Envelope,
    Error,
    Handler,
    RegistrationError,
    Response,
)
from khorsyio.settings import Settings
from khorsyio.testing import TestClient

from .conftest import UserIn, UserOut, make_app


class Checked(msgspec.Struct):
    name: str
    age: int


class Stored(msgspec.Struct):
    id: int
    name: str
    age: int


class UserQuery(msgspec.Struct):
    id: int
    verbose: bool = False


def error(ctx: Context, event: str, code: str, message: str) -> Envelope:
    """An error reply in the caller's chain (answers the waiting bus.request)."""
    return Envelope(
        event_type=f"{event}.error",
        ctx=ctx,
        error=Error(code=code, message=message, trace_id=ctx.trace_id),
    )


class CheckUser(Handler[UserIn, Checked]):
    subscribes_to = "user.create"
    publishes = "user.checked"

    async def process(self, data: UserIn, ctx: Context) -> Checked | Envelope:
        if data.name == "taken":
            return error(ctx, "user.create", "exists", "name already taken")
        if data.name == "boom":
            raise RuntimeError("secret stack detail")
        if data.name == "slow":
            await asyncio.sleep(1.0)
        return Checked(name=data.name.strip(), age=data.age)


class StoreUser(Handler[Checked, Stored]):
    subscribes_to = "user.checked"
    publishes = "user.stored"

    async def process(self, data: Checked, ctx: Context) -> Stored:
        s = Stored(id=len(STORE) + 1, name=data.name, age=data.age)
        STORE[s.id] = s
        return s


class PresentUser(Handler[Stored, UserOut]):
    subscribes_to = "user.stored"
    publishes = "user.created"

    async def process(self, data: Stored, ctx: Context) -> UserOut:
        return UserOut(id=data.id, name=data.name, age=data.age)


class GetUser(Handler[UserQuery, UserOut]):
    subscribes_to = "user.get"
    publishes = "user.found"

    async def process(self, data: UserQuery, ctx: Context) -> UserOut | Envelope:
        s = STORE.get(data.id)
        if s is None:
            return error(ctx, "user.get", "not_found", f"user {data.id} not found")
        return UserOut(id=s.id, name=s.name + ("!" if data.verbose else ""), age=s.age)


STORE: dict[int, Stored] = {}

ROUTES = [
    BusRoute(
        "POST",
        "/users",
        event="user.create",
        reply="user.created",
        body=UserIn,
        response=UserOut,
        status=201,
        errors={"exists": 409},
        timeout=0.3,
        summary="Create a user",
        tags=["users"],
    ),
    BusRoute(
        "GET",
        "/users/{id:int}",
        event="user.get",
        reply="user.found",
        body=UserQuery,
        response=UserOut,
        tags=["users"],
    ),
]


def bus_app(**kw: Any) -> App:
    STORE.clear()
    app = make_app(**kw)
    for h in (CheckUser, StoreUser, PresentUser, GetUser):
        app.register(h)
    app.router.mount(ROUTES)
    return app


def test_bus_route_runs_the_handler_chain() -> None:
    app = bus_app()
    with TestClient(app) as c:
        res = c.post("/users", json={"name": " ada ", "age": 36})
        assert res.status_code == 201
        assert res.json() == {"id": 1, "name": "ada", "age": 36}
        assert c.get("/users/1").json() == {"id": 1, "name": "ada", "age": 36}
        assert c.get("/users/1?verbose=true").json()["name"] == "ada!"
    snap = app.bus.metrics.snapshot()
    assert snap["CheckUser"]["processed"] == 1
    assert snap["PresentUser"]["processed"] == 1


def test_bus_route_errors_map_to_statuses(caplog: pytest.LogCaptureFixture) -> None:
    with TestClient(bus_app()) as c:
        res = c.post("/users", json={"name": "taken"})
        assert (res.status_code, res.json()) == (
            409,
            {"error": "name already taken", "code": "exists"},
        )
        res = c.get("/users/42")
        assert (res.status_code, res.json()) == (
            404,
            {"error": "user 42 not found", "code": "not_found"},
        )
        caplog.clear()
        res = c.post("/users", json={"name": "boom"})
        assert res.status_code == 500
        assert res.json() == {"error": "internal error", "code": "internal"}
        assert "secret" not in res.text
        trace = res.headers["x-trace-id"]
        # logged once, by the bus, with the traceback and the trace id (not again by the route)
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1, [r.getMessage() for r in errors]
        assert trace in errors[0].getMessage()
        assert errors[0].exc_info is not None
        caplog.clear()
        res = c.post("/users", json={"name": "slow"})
        assert res.status_code == 504
        assert res.json() == {"error": "the request timed out", "code": "timeout"}
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage().split(" message=")[0] for r in errors] == [
        "POST /users failed: code=timeout"
    ]


def test_bus_route_rejects_bad_input_before_the_bus() -> None:
    app = bus_app()
    with TestClient(app) as c:
        res = c.post("/users", json={"age": 1})
        assert (res.status_code, res.json()["code"]) == (422, "validation")
        res = c.post("/users", content=b"nope", headers={"content-type": "application/json"})
        assert res.status_code == 400
        res = c.get("/users/1?verbose=maybe")
        assert (res.status_code, res.json()["field"]) == (422, "$.verbose")
        assert c.get("/users/abc").status_code == 404
    assert "CheckUser" not in app.bus.metrics.snapshot() or (
        app.bus.metrics.snapshot()["CheckUser"]["processed"] == 0
    )


def test_bus_route_without_a_subscriber_is_a_safe_500() -> None:
    app = make_app()
    app.router.add(BusRoute("POST", "/orphan", event="nobody.listens", reply="never"))
    with TestClient(app) as c:
        res = c.post("/orphan")
    assert (res.status_code, res.json()) == (500, {"error": "internal error", "code": "internal"})


def test_debug_shows_the_bus_error_message() -> None:
    with TestClient(_debug_app()) as c:
        res = c.post("/users", json={"name": "boom"})
    assert res.status_code == 500
    assert "secret stack detail" in res.json()["error"]


def _debug_app() -> App:
    from khorsyio.settings import ServerSettings

    STORE.clear()
    app = App(settings=Settings(server=ServerSettings(debug=True)))
    for h in (CheckUser, StoreUser, PresentUser):
        app.register(h)
    app.router.mount(ROUTES[:1])
    return app


def test_bus_routes_in_the_graph_and_strict_startup() -> None:
    app = App(settings=Settings(), strict=True)
    for h in (CheckUser, StoreUser, PresentUser, GetUser):
        app.register(h)
    app.router.mount(ROUTES)
    with TestClient(app) as c:
        assert c.post("/users", json={"name": "x"}).status_code == 201
    nodes = [n for n in app.graph_nodes() if n.kind == "route"]
    assert [(n.name, n.produces, n.awaits, n.output_type) for n in nodes] == [
        ("POST /users", ("user.create",), "user.created", UserIn),
        ("GET /users/{id:int}", ("user.get",), "user.found", UserQuery),
    ]
    assert [p for p in app.check() if p.severity == "error"] == []


def test_route_without_chain_is_a_graph_problem() -> None:
    app = App(settings=Settings())
    app.router.add(BusRoute("POST", "/x", event="x.do", reply="x.done", body=UserIn))
    codes = {p.code for p in app.check()}
    assert "no_path" in codes or "no_consumer" in codes


def test_bus_routes_in_a_namespaced_domain() -> None:
    class Greet(msgspec.Struct):
        name: str = "world"

    class Greeting(msgspec.Struct):
        text: str

    class SayHello(Handler[Greet, Greeting]):
        subscribes_to = "greet"
        publishes = "greeted"

        async def process(self, data: Greet, ctx: Context) -> Greeting:
            return Greeting(text=f"hello, {data.name}")

    app = App(settings=Settings(), strict=True)
    app.mount(
        Domain(
            namespace="hello",
            handlers=[SayHello],
            routes=[
                BusRoute(
                    "GET", "/hello", event="greet", reply="greeted", body=Greet, response=Greeting
                )
            ],
        )
    )
    with TestClient(app) as c:
        assert c.get("/hello?name=ada").json() == {"text": "hello, ada"}
        assert c.get("/hello").json() == {"text": "hello, world"}
    (node,) = [n for n in app.graph_nodes() if n.kind == "route"]
    assert (node.produces, node.awaits) == (("hello.greet",), "hello.greeted")


def test_bus_route_definition_errors() -> None:
    with pytest.raises(RegistrationError, match="event must be a non-empty"):
        BusRoute("POST", "/x", event="", reply="y")
    with pytest.raises(RegistrationError, match=r"body must be a msgspec\.Struct"):
        BusRoute("POST", "/x", event="x", reply="y", body=dict)  # type: ignore[arg-type]
    with pytest.raises(RegistrationError, match="status must be an HTTP status"):
        BusRoute("POST", "/x", event="x", reply="y", errors={"exists": 1000})


def test_seed_metrics_and_events_routes() -> None:
    """The seed's metrics snippet, as written, after a request through the chain."""
    app = bus_app()
    app.router.get("/metrics", lambda req, send: Response.json(send, app.bus.metrics.snapshot()))
    app.router.get("/events", lambda req, send: Response.json(send, app.bus.event_log.recent(50)))
    with TestClient(app) as c:
        c.post("/users", json={"name": "ada"})
        metrics = c.get("/metrics").json()
        events = c.get("/events").json()
    assert metrics["StoreUser"]["processed"] == 1
    assert [e["event_type"] for e in events][:4] == [
        "user.create",
        "user.checked",
        "user.stored",
        "user.created",
    ]


def test_route_without_body_sends_an_empty_struct_and_the_graph_knows_it() -> None:
    from khorsyio.http import NoBody

    class Tick(Handler[NoBody, UserOut]):
        subscribes_to = "tick"
        publishes = "ticked"

        async def process(self, data: NoBody, ctx: Context) -> UserOut:
            return UserOut(id=0, name="tick")

    app = App(settings=Settings(), strict=True)
    app.register(Tick)
    app.router.add(BusRoute("POST", "/tick", event="tick", reply="ticked", response=UserOut))
    with TestClient(app) as c:
        assert c.post("/tick").json() == {"id": 0, "name": "tick", "age": 0}
    mismatch = App(settings=Settings())
    mismatch.register(CheckUser)
    mismatch.router.add(BusRoute("POST", "/x", event="user.create", reply="user.checked"))
    with TestClient(mismatch):  # startup builds the handlers and checks the graph
        pass
    assert "contract_mismatch" in {p.code for p in mismatch.graph_problems}


class Reject(Handler[UserIn, UserOut]):
    subscribes_to = "reject"
    publishes = "rejected"

    async def process(self, data: UserIn, ctx: Context) -> UserOut:
        from khorsyio import ClientError, HandlerError

        if data.name == "dup":
            raise HandlerError("conflict", "already there")
        if data.name == "gone":
            raise ClientError("no such user", status=404, code="gone")
        if data.name == "teapot":
            raise ClientError("short and stout", status=418, code="teapot")
        if data.name == "left":  # its own status wins over the table's not_found -> 404
            raise ClientError("user left", status=410, code="not_found")
        if data.name == "field":
            raise ClientError("too short", status=422, code="validation", field="$.name")
        return UserOut(id=1, name=data.name)


@pytest.mark.parametrize(
    ("name", "status", "body"),
    [
        ("dup", 409, {"error": "already there", "code": "conflict"}),
        ("gone", 404, {"error": "no such user", "code": "gone"}),
        ("teapot", 418, {"error": "short and stout", "code": "teapot"}),
        ("left", 410, {"error": "user left", "code": "not_found"}),
        ("field", 422, {"error": "too short", "code": "validation", "field": "$.name"}),
    ],
)
async def test_errors_raised_by_handlers_map_to_statuses(
    name: str, status: int, body: dict[str, str]
) -> None:
    app = make_app()
    app.register(Reject)
    app.router.add(
        BusRoute(
            "POST", "/r", event="reject", reply="rejected", body=UserIn, errors={"conflict": 409}
        )
    )
    async with TestClient(app) as client:
        r = await client.post("/r", json={"name": name})
    assert r.status_code == status
    assert r.json() == body


def test_a_crash_behind_a_bus_route_is_a_500_and_the_bus_logs_its_trace_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="khorsyio.bus"), TestClient(bus_app()) as c:
        res = c.post("/users", json={"name": "boom"}, headers={"x-trace-id": "trace-bus-7"})
    assert (res.status_code, res.json()) == (500, {"error": "internal error", "code": "internal"})
    assert res.headers["x-trace-id"] == "trace-bus-7"
    lines = [r for r in caplog.records if r.name == "khorsyio.bus"]
    assert [r.getMessage() for r in lines] == ["CheckUser failed on user.create trace=trace-bus-7"]
    assert lines[0].exc_info is not None
    assert "secret stack detail" in str(lines[0].exc_info[1])
