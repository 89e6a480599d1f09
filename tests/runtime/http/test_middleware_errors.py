from __future__ import annotations

import logging
from typing import Any

import msgspec
import pytest

from khorsyio import ClientError, Request, Response, UsageError
from khorsyio.http.errors import map_exception, mapped_exceptions
from khorsyio.testing import TestClient

from .conftest import make_app


def test_seed_middleware_snippet() -> None:
    app = make_app()

    async def inject_bus(req):  # type: ignore[no-untyped-def]
        req.state["bus"] = app.bus

    async def auth(req):  # type: ignore[no-untyped-def]
        if not req.header("authorization"):
            return False  # -> 403

    app.router.use(inject_bus)
    app.router.use(auth)
    called: list[str] = []

    async def handler(req: Request, send: Any) -> None:
        called.append(req.path)
        await Response.ok(send, has_bus=req.state["bus"] is app.bus)

    app.router.get("/private", handler)
    with TestClient(app) as c:
        res = c.get("/private")
        assert res.status_code == 403
        assert res.json() == {"error": "forbidden", "code": "forbidden"}
        assert called == []
        res = c.get("/private", headers={"Authorization": "Bearer x"})
        assert res.json() == {"has_bus": True}
        assert called == ["/private"]
        assert c.get("/unknown").status_code == 404  # middleware runs for routed requests


def test_sync_middleware_and_after_hooks() -> None:
    app = make_app()
    seen: list[tuple[str, int, float]] = []

    def tag(req: Request) -> None:
        req.state["tag"] = "t"

    async def after(req: Request) -> None:
        seen.append((req.state["tag"], req.status, req.state["duration_ms"]))

    def broken_after(req: Request) -> None:
        raise RuntimeError("hook bug")

    app.router.use(tag)
    app.router.after(after)
    app.router.after(broken_after)  # logged, does not affect the response
    app.router.get("/x", lambda req, send: Response.error(send, "nope", 409, code="conflict"))
    with TestClient(app) as c:
        res = c.get("/x")
    assert res.status_code == 409
    assert seen[0][:2] == ("t", 409)
    assert seen[0][2] >= 0


def test_handler_exception_is_a_safe_500_with_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()

    async def boom(req: Request, send: Any) -> None:
        raise RuntimeError("secret database password is hunter2")

    app.router.post("/boom/{id}", boom)
    with caplog.at_level(logging.ERROR, logger="khorsyio.http"), TestClient(app) as c:
        res = c.post("/boom/1", headers={"x-trace-id": "trace-42"})
    assert res.status_code == 500
    assert res.json() == {"error": "internal error", "code": "internal"}
    assert "hunter2" not in res.text
    assert res.headers["x-trace-id"] == "trace-42"
    records = [r for r in caplog.records if r.name == "khorsyio.http"]
    assert len(records) == 1
    line = records[0].getMessage()
    assert "POST /boom/1" in line
    assert "trace=trace-42" in line
    assert records[0].exc_info is not None


def test_debug_adds_the_exception_text() -> None:
    app = make_app(debug=True)

    async def boom(req: Request, send: Any) -> None:
        raise ValueError("details for the developer")

    app.router.get("/boom", boom)
    with TestClient(app) as c:
        res = c.get("/boom")
    assert res.status_code == 500
    assert res.json() == {
        "error": "internal error",
        "code": "internal",
        "detail": "ValueError: details for the developer",
    }


class QueryError(ValueError):
    """A foreign library's error, declared a client error with map_exception."""


map_exception(QueryError, status=400, code="bad_query")


class WeirdStatus(Exception):
    """Not declared (and a 5xx cannot be declared): stays a safe 500."""

    http_status = 400  # an attribute alone declares nothing


class Unmappable(Exception):
    pass


def test_map_exception_refuses_what_cannot_be_a_client_error() -> None:
    with pytest.raises(UsageError, match="status must be a 4xx"):
        map_exception(Unmappable, status=503, code="unavailable")
    with pytest.raises(UsageError, match="carries its own status"):
        map_exception(ClientError, status=400, code="x")
    with pytest.raises(TypeError, match="takes an exception class"):
        map_exception("nope", status=400, code="x")  # type: ignore[arg-type]
    assert Unmappable not in mapped_exceptions()
    assert mapped_exceptions()[QueryError] == (400, "bad_query")
    assert mapped_exceptions()[msgspec.ValidationError] == (422, "validation")


class LibError(Exception):
    """A foreign library's base error (declared with a fixed message)."""


class LibNotFound(LibError):
    pass


class LibNotFoundHere(LibNotFound):
    pass


map_exception(LibError, status=403, code="forbidden", message="forbidden")
map_exception(LibNotFound, status=404, code="hidden")


def test_the_most_specific_declaration_wins_and_a_fixed_message_hides_the_text() -> None:
    app = make_app()

    async def denied(req: Request, send: Any) -> None:
        raise LibError("/etc/shadow is not readable")

    async def hidden(req: Request, send: Any) -> None:
        raise LibNotFoundHere("not yours")

    app.router.get("/denied", denied)
    app.router.get("/hidden", hidden)
    with TestClient(app) as c:
        res = c.get("/denied")
        assert (res.status_code, res.json()) == (403, {"error": "forbidden", "code": "forbidden"})
        res = c.get("/hidden")
        assert (res.status_code, res.json()) == (404, {"error": "not yours", "code": "hidden"})


def test_client_errors_map_to_their_status() -> None:
    app = make_app()

    async def not_found(req: Request, send: Any) -> None:
        raise ClientError("user 7 not found", status=404, code="not_found")

    async def query(req: Request, send: Any) -> None:
        raise QueryError("unknown filter field 'x'")

    async def weird(req: Request, send: Any) -> None:
        raise WeirdStatus("internal detail")

    class Teapot(ClientError):
        status = 418
        code = "teapot"

    async def teapot(req: Request, send: Any) -> None:
        raise Teapot()

    async def in_middleware(req: Request) -> None:
        if req.path == "/mw":
            raise ClientError("log in first", status=401, code="unauthenticated")

    app.router.use(in_middleware)
    for path, fn in (
        ("/nf", not_found),
        ("/q", query),
        ("/w", weird),
        ("/tea", teapot),
        ("/mw", teapot),
    ):
        app.router.get(path, fn)
    with TestClient(app) as c:
        assert (c.get("/nf").status_code, c.get("/nf").json()) == (
            404,
            {"error": "user 7 not found", "code": "not_found"},
        )
        res = c.get("/q")
        assert (res.status_code, res.json()) == (
            400,
            {"error": "unknown filter field 'x'", "code": "bad_query"},
        )
        res = c.get("/w")
        assert (res.status_code, res.json()) == (
            500,
            {"error": "internal error", "code": "internal"},
        )
        res = c.get("/tea")
        assert (res.status_code, res.json()) == (418, {"error": "teapot", "code": "teapot"})
        res = c.get("/mw")
        assert (res.status_code, res.json()["code"]) == (401, "unauthenticated")


def test_exception_after_the_response_started_is_only_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()

    async def late(req: Request, send: Any) -> None:
        await Response.ok(send, fine=True)
        raise RuntimeError("after the fact")

    async def twice(req: Request, send: Any) -> None:
        await Response.ok(send, first=True)
        await Response.ok(send, second=True)

    app.router.get("/late", late)
    app.router.get("/twice", twice)
    with caplog.at_level(logging.ERROR, logger="khorsyio.http"), TestClient(app) as c:
        assert c.get("/late").json() == {"fine": True}
        assert c.get("/twice").json() == {"first": True}
    messages = [r.getMessage() for r in caplog.records]
    assert any("GET /late failed: RuntimeError" in m for m in messages)
    assert any("GET /twice failed: StateError" in m for m in messages)


def test_db_query_errors_are_client_errors() -> None:
    """khorsyio.db's query helpers refuse bad client filters with a QueryError: a 400."""
    from khorsyio.db import QueryError

    app = make_app()

    async def listing(req: Request, send: Any) -> None:
        raise QueryError("field 'password' is not accepted")

    app.router.get("/users", listing)
    with TestClient(app) as c:
        res = c.get("/users?password__eq=x")
    assert res.status_code == 400
    assert res.json() == {"error": "field 'password' is not accepted", "code": "bad_query"}
