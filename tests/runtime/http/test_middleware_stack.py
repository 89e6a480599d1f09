"""The middleware stack (``router.around``), the gates (``router.use``) and 500s."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

import pytest

from khorsyio import Request, Response
from khorsyio.http.middleware import CallNext
from khorsyio.testing import TestClient
from khorsyio.types import Message, Send

from .conftest import UserIn, UserOut, make_app


async def hello(req: Request, send: Send) -> None:
    await Response.ok(send, hello="world")


def test_a_middleware_adds_a_timing_header_after_the_handler_ran() -> None:
    app = make_app()
    after: list[int] = []

    @app.router.around
    async def timing(req: Request, send: Send, call_next: CallNext) -> None:
        t0 = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - t0) * 1000
                message["headers"] = [*message["headers"], (b"server-timing", b"app;dur=%.3f" % ms)]
            await send(message)

        await call_next(timed)
        after.append(req.status)  # runs once the response has been sent

    async def slow(req: Request, send: Send) -> None:
        await asyncio.sleep(0.02)
        await Response.ok(send, slow=True)

    app.router.get("/slow", slow)
    with TestClient(app) as c:
        res = c.get("/slow")
    assert res.status_code == 200
    assert res.json() == {"slow": True}
    m = re.fullmatch(r"app;dur=([\d.]+)", res.headers["server-timing"])
    assert m is not None
    assert float(m.group(1)) >= 20.0
    assert after == [200]


def test_middlewares_run_in_registration_order_around_gates_and_route() -> None:
    app = make_app()
    trail: list[str] = []

    def layer(name: str) -> Any:
        async def mw(req: Request, send: Send, call_next: CallNext) -> None:
            trail.append(f"{name} in")
            await call_next()
            trail.append(f"{name} out")

        return mw

    app.router.around(layer("a"))
    app.router.around(layer("b"))

    def gate(req: Request) -> None:
        trail.append("gate")

    app.router.use(gate)

    async def handler(req: Request, send: Send) -> None:
        trail.append("route")
        await Response.ok(send)

    app.router.get("/x", handler)
    with TestClient(app) as c:
        assert c.get("/x").status_code == 200
    assert trail == ["a in", "b in", "gate", "route", "b out", "a out"]


def test_a_middleware_may_answer_by_itself() -> None:
    app = make_app()

    @app.router.around
    async def tag(req: Request, send: Send, call_next: CallNext) -> None:
        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-tagged", b"1")]
            await send(message)

        await call_next(tagged)

    @app.router.around
    async def auth(req: Request, send: Send, call_next: CallNext) -> None:
        if req.header("authorization") is None:
            await Response.error(send, "log in first", 401, code="unauthorized")
            return
        await call_next()

    seen: list[int] = []
    app.router.after(lambda req: seen.append(req.status))
    app.router.get("/x", hello)
    with TestClient(app) as c:
        res = c.get("/x")
        assert (res.status_code, res.json()) == (
            401,
            {"error": "log in first", "code": "unauthorized"},
        )
        assert res.headers["x-tagged"] == "1"  # the outer middleware saw the early answer
        res = c.get("/x", headers={"authorization": "t"})
        assert res.json() == {"hello": "world"}
        assert res.headers["x-tagged"] == "1"
    assert seen == [401, 200]


def test_an_exception_in_a_middleware_is_a_500_with_the_trace_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()

    @app.router.around
    async def broken(req: Request, send: Send, call_next: CallNext) -> None:
        raise RuntimeError("middleware bug")

    app.router.get("/x", hello)
    with caplog.at_level(logging.ERROR, logger="khorsyio.http"), TestClient(app) as c:
        res = c.get("/x", headers={"x-trace-id": "mw-7"})
    assert res.status_code == 500
    assert res.json() == {"error": "internal error", "code": "internal"}
    assert res.headers["x-trace-id"] == "mw-7"
    [record] = [r for r in caplog.records if r.name == "khorsyio.http"]
    assert "GET /x failed: RuntimeError trace=mw-7" in record.getMessage()
    assert record.exc_info is not None


def test_a_route_error_goes_out_through_the_middleware_send() -> None:
    app = make_app()

    @app.router.around
    async def tag(req: Request, send: Send, call_next: CallNext) -> None:
        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-tagged", b"1")]
            await send(message)

        await call_next(tagged)

    async def boom(req: Request, send: Send) -> None:
        raise ValueError("no")

    app.router.get("/boom", boom)
    app.router.get("/typed", lambda req: UserOut(id=1, name="a"), response=UserOut)
    app.router.post("/users", lambda req, body: body, body=UserIn)  # returns no UserOut
    with TestClient(app) as c:
        res = c.get("/boom")
        assert (res.status_code, res.headers["x-tagged"]) == (500, "1")
        res = c.get("/typed")
        assert (res.status_code, res.headers["x-tagged"]) == (200, "1")
        res = c.post("/users", content=b"{", headers={"content-type": "application/json"})
        assert (res.status_code, res.headers["x-tagged"]) == (400, "1")


def test_the_old_gate_style_still_gives_403() -> None:
    app = make_app()
    app.router.use(lambda req: req.header("authorization") is not None)

    @app.router.around
    async def passthrough(req: Request, send: Send, call_next: CallNext) -> None:
        await call_next(send)

    app.router.get("/x", hello)
    with TestClient(app) as c:
        res = c.get("/x")
        assert res.status_code == 403
        assert res.json() == {"error": "forbidden", "code": "forbidden"}
        assert c.get("/x", headers={"authorization": "t"}).status_code == 200


def test_the_stack_is_built_once_and_absent_without_middleware() -> None:
    app = make_app()
    app.router.get("/x", hello)
    with TestClient(app) as c:
        assert c.get("/x").status_code == 200
        assert app._http._stack is None  # no middleware: requests go to the endpoint

        calls: list[str] = []

        async def late(req: Request, send: Send, call_next: CallNext) -> None:
            calls.append(req.path)
            await call_next()

        app.router.around(late)  # added after startup: the stack is rebuilt once
        assert c.get("/x").status_code == 200
        stack = app._http._stack
        assert stack is not None
        assert c.get("/x").status_code == 200
        assert app._http._stack is stack
    assert calls == ["/x", "/x"]


def test_a_plain_route_exception_logs_the_request_trace_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()

    async def boom(req: Request, send: Send) -> None:
        raise KeyError("k")

    app.router.get("/boom", boom)
    with caplog.at_level(logging.ERROR, logger="khorsyio.http"), TestClient(app) as c:
        res = c.get("/boom")  # no x-trace-id: the request makes one
    assert res.status_code == 500
    assert res.json() == {"error": "internal error", "code": "internal"}
    trace = res.headers["x-trace-id"]
    assert trace
    [record] = [r for r in caplog.records if r.name == "khorsyio.http"]
    assert record.getMessage() == f"GET /boom failed: KeyError trace={trace}"
