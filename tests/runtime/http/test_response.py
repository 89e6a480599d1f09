from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest

from khorsyio import Response
from khorsyio.http.response import build_cookie
from khorsyio.testing import TestClient

from .conftest import UserOut, make_app


def test_quick_start_snippet() -> None:
    """The seed's quick start, as written (the lambda returns an awaitable)."""
    from khorsyio import App, CorsConfig

    app = App(cors=CorsConfig())
    app.router.get("/health", lambda req, send: Response.ok(send, status="ok"))
    with TestClient(app) as c:
        res = c.get("/health")
    assert res.status_code == 200
    assert res.json() == {"status": "ok"}
    assert res.headers["content-type"] == "application/json"


def test_seed_response_snippets() -> None:
    app = make_app()

    async def ok(req: Any, send: Any) -> None:
        await Response.ok(send, message="done")

    async def data(req: Any, send: Any) -> None:
        await Response.json(send, {"a": [1, 2]}, headers={"x-request-id": "123"})

    async def err(req: Any, send: Any) -> None:
        await Response.error(send, "not found", 404, code="not_found")

    async def cookie(req: Any, send: Any) -> None:
        await Response.ok(
            send,
            cookies={"session": {"value": "abc", "path": "/", "httponly": True, "max_age": 3600}},
        )

    for path, fn in (("/ok", ok), ("/data", data), ("/err", err), ("/cookie", cookie)):
        app.router.get(path, fn)
    with TestClient(app) as c:
        assert c.get("/ok").json() == {"message": "done"}
        res = c.get("/data")
        assert res.json() == {"a": [1, 2]}
        assert res.headers["x-request-id"] == "123"
        res = c.get("/err")
        assert res.status_code == 404
        assert res.json() == {"error": "not found", "code": "not_found"}
        res = c.get("/cookie")
        assert (
            res.headers["set-cookie"] == "session=abc; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax"
        )
        assert c.cookies["session"] == "abc"


def test_json_takes_structs_dicts_lists_and_status() -> None:
    app = make_app()
    app.router.get(
        "/struct", lambda req, send: Response.json(send, UserOut(id=1, name="a"), status=201)
    )
    app.router.get(
        "/list", lambda req, send: Response.json(send, [UserOut(id=1, name="a"), {"x": 1}])
    )
    app.router.get("/text", lambda req, send: Response.text(send, "héllo", status=202))
    app.router.get("/html", lambda req, send: Response.html(send, "<p>x</p>"))
    app.router.get("/empty", lambda req, send: Response.empty(send))
    app.router.get("/redirect", lambda req, send: Response.redirect(send, "/struct"))
    app.router.get(
        "/raw",
        lambda req, send: Response.raw(send, b"\x00\x01", content_type="application/x-thing"),
    )
    with TestClient(app) as c:
        res = c.get("/struct")
        assert (res.status_code, res.json()) == (201, {"id": 1, "name": "a", "age": 0})
        assert c.get("/list").json() == [{"id": 1, "name": "a", "age": 0}, {"x": 1}]
        res = c.get("/text")
        assert (res.status_code, res.text) == (202, "héllo")
        assert res.headers["content-type"] == "text/plain; charset=utf-8"
        assert c.get("/html").headers["content-type"] == "text/html; charset=utf-8"
        res = c.get("/empty")
        assert (res.status_code, res.content) == (204, b"")
        res = c.get("/redirect")
        assert (res.status_code, res.headers["location"]) == (307, "/struct")
        res = c.get("/raw")
        assert (res.content, res.headers["content-type"]) == (b"\x00\x01", "application/x-thing")


def test_cookie_attributes() -> None:
    when = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    _, v = build_cookie(
        "s",
        {
            "value": "v1",
            "path": "/app",
            "domain": "example.com",
            "max_age": 60,
            "expires": when,
            "httponly": True,
            "secure": True,
            "samesite": "strict",
        },
    )
    assert v == (
        b"s=v1; Path=/app; Domain=example.com; Max-Age=60; "
        b"Expires=Wed, 02 Jan 2030 03:04:05 GMT; HttpOnly; Secure; SameSite=Strict"
    )
    assert build_cookie("s", "plain")[1] == b"s=plain; SameSite=Lax"
    assert build_cookie("s", {"value": "x", "samesite": "none", "secure": True})[1].endswith(
        b"Secure; SameSite=None"
    )


@pytest.mark.parametrize(
    ("name", "spec", "message"),
    [
        ("s", "a\r\nSet-Cookie: evil=1", "cannot hold"),
        ("s", "a;b", "cannot hold"),
        ("s", "a b", "cannot hold"),
        ("bad name", "v", "invalid cookie name"),
        ("s\n", "v", "invalid cookie name"),
        ("s", {"value": "v", "path": "/\r\nX: y"}, "invalid path"),
        ("s", {"value": "v", "domain": "a;b"}, "invalid domain"),
        ("s", {"value": "v", "max_age": "60"}, "max_age"),
        ("s", {"value": "v", "samesite": "sometimes"}, "samesite"),
        ("s", {"value": "v", "samesite": "none"}, "needs secure"),
        ("s", {"value": "v", "colour": "red"}, "unknown attribute"),
        ("s", {"value": "v", "expires": "x\r\n"}, "invalid expires"),
    ],
)
def test_bad_cookies_are_refused(name: str, spec: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_cookie(name, spec)


def test_crlf_in_header_or_cookie_never_reaches_the_client(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()
    app.router.get(
        "/h", lambda req, send: Response.ok(send, headers={"x-a": "v\r\nSet-Cookie: evil=1"})
    )
    app.router.get("/n", lambda req, send: Response.ok(send, headers={"x-a\r\nx-b": "v"}))
    app.router.get("/c", lambda req, send: Response.ok(send, cookies={"s": "v\r\nX-Evil: 1"}))
    with TestClient(app) as c:
        for path in ("/h", "/n", "/c"):
            res = c.get(path)
            assert res.status_code == 500, path
            assert res.json() == {"error": "internal error", "code": "internal"}
            assert "evil" not in res.headers.get("set-cookie", "")
            assert "x-evil" not in res.headers
            assert "x-b" not in res.headers


def test_plain_handler_may_return_data_and_must_answer() -> None:
    app = make_app()

    async def returns(req: Any, send: Any) -> Any:
        return {"returned": True}

    async def silent(req: Any, send: Any) -> None:
        return None

    app.router.get("/returns", returns)
    app.router.get("/silent", silent)
    app.router.post("/created", returns, status=201)
    with TestClient(app) as c:
        assert c.get("/returns").json() == {"returned": True}
        assert c.post("/created").status_code == 201
        res = c.get("/silent")
        assert res.status_code == 500
        assert res.json()["code"] == "internal"


def test_encode_is_msgspec() -> None:
    class Money(msgspec.Struct):
        cents: int
        when: dt.date

    app = make_app()
    app.router.get("/m", lambda req, send: Response.json(send, Money(5, dt.date(2024, 1, 2))))
    with TestClient(app) as c:
        assert c.get("/m").json() == {"cents": 5, "when": "2024-01-02"}
