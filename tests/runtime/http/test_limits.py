from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from khorsyio import Request, Response
from khorsyio.testing import TestClient

from .conftest import UserIn, make_app

LIMIT = 64 * 1024


def limited_app() -> tuple[Any, list[str]]:
    app = make_app(max_body_size=LIMIT)
    calls: list[str] = []

    async def raw(req: Request, send: Any) -> None:
        calls.append("raw")
        body = await req.body()
        calls.append("read")
        await Response.ok(send, size=len(body))

    async def typed(req: Request, body: UserIn) -> dict[str, str]:
        calls.append("typed")
        return {"name": body.name}

    app.router.post("/raw", raw)
    app.router.get("/raw", raw)
    app.router.post("/typed", typed, body=UserIn)
    return app, calls


def test_default_limit_is_one_mebibyte() -> None:
    app = make_app()
    assert app.settings.http.max_body_size == 1024 * 1024
    app.router.post("/raw", lambda req, send: Response.ok(send))
    with TestClient(app) as c:
        assert c.post("/raw", content=b"x" * (1024 * 1024)).status_code == 200
        assert c.post("/raw", content=b"x" * (1024 * 1024 + 1)).status_code == 413


def test_content_length_over_the_limit_is_413_before_the_handler_runs() -> None:
    app, calls = limited_app()
    with TestClient(app) as c:
        res = c.post("/raw", content=b"x" * (LIMIT + 1))
        assert res.status_code == 413
        assert res.json()["code"] == "payload_too_large"
        assert calls == []
        res = c.post("/typed", content=b"x" * (LIMIT + 1))
        assert res.status_code == 413
        assert calls == []
        assert c.post("/raw", content=b"x" * LIMIT).json() == {"size": LIMIT}


def test_chunked_body_without_content_length_is_cut_off() -> None:
    app, calls = limited_app()
    produced: list[int] = []

    async def stream() -> AsyncIterator[bytes]:
        for i in range(1000):  # 16 MiB offered in 16 KiB chunks
            produced.append(i)
            yield b"y" * 16384

    with TestClient(app) as c:
        res = c.post("/raw", content=stream())
        assert res.status_code == 413
        assert res.json()["code"] == "payload_too_large"
        assert calls == ["raw"]  # the handler asked; it never got the body
        # memory stays bounded: reading stopped just past the limit
        assert len(produced) <= LIMIT // 16384 + 2
        produced.clear()
        res = c.post("/typed", content=stream())
        assert res.status_code == 413
        assert "typed" not in calls
        assert len(produced) <= LIMIT // 16384 + 2


def test_get_with_big_body_is_refused_when_read() -> None:
    app, calls = limited_app()
    with TestClient(app) as c:
        res = c.request("GET", "/raw", content=b"z" * (LIMIT + 10))
    assert res.status_code == 413
    assert calls == ["raw"]


def test_bad_content_length_is_400() -> None:
    app, calls = limited_app()
    with TestClient(app) as c:
        res = c.post("/raw", content=b"abc", headers={"content-length": "-5"})
    assert res.status_code == 400
    assert calls == []
