from __future__ import annotations

import asyncio
from typing import Any

import pytest

from khorsyio import App, Request, Response
from khorsyio.settings import Settings
from khorsyio.testing import LifespanError, TestClient


class Tracked(App):
    """An App that records its lifespan."""

    def __init__(self) -> None:
        super().__init__(settings=Settings())
        self.events: list[str] = []

    async def startup(self) -> None:
        self.events.append("startup")
        await super().startup()

    async def shutdown(self) -> None:
        self.events.append("shutdown")
        await super().shutdown()


def make() -> Tracked:
    app = Tracked()

    async def login(req: Request, send: Any) -> None:
        await Response.ok(send, cookies={"session": {"value": "s1", "httponly": True}})

    async def me(req: Request, send: Any) -> None:
        await Response.json(
            send,
            {
                "session": req.cookie("session"),
                "agent": req.header("x-agent"),
                "started": req.app is not None and req.app.started,
            },
        )

    async def loop_id(req: Request, send: Any) -> None:
        await Response.ok(send, loop=id(asyncio.get_running_loop()))

    app.router.post("/login", login)
    app.router.get("/me", me)
    app.router.get("/loop", loop_id)
    return app


def test_sync_client_runs_the_lifespan_and_keeps_cookies_and_headers() -> None:
    app = make()
    with TestClient(app, headers={"x-agent": "tests"}) as c:
        assert app.events == ["startup"]
        assert app.started
        assert c.get("/me").json() == {"session": None, "agent": "tests", "started": True}
        assert c.post("/login").status_code == 200
        assert c.cookies["session"] == "s1"
        assert c.get("/me").json()["session"] == "s1"
        c.headers["x-agent"] = "changed"
        assert c.get("/me").json()["agent"] == "changed"
        loops = {c.get("/loop").json()["loop"] for _ in range(3)}
        assert len(loops) == 1  # one private loop for the client's whole life
    assert app.events == ["startup", "shutdown"]
    assert not app.started


async def test_async_client_runs_the_lifespan_in_the_current_loop() -> None:
    app = make()
    async with TestClient(app) as c:
        assert app.events == ["startup"]
        res = await c.get("/loop")
        assert res.json()["loop"] == id(asyncio.get_running_loop())
        await c.post("/login")
        assert (await c.get("/me")).json()["session"] == "s1"
        both = await asyncio.gather(c.get("/me"), c.get("/loop"))
        assert [r.status_code for r in both] == [200, 200]
    assert app.events == ["startup", "shutdown"]


def test_sync_client_without_with_starts_lazily_and_close_stops() -> None:
    app = make()
    c = TestClient(app)
    assert app.events == []
    assert c.get("/me").status_code == 200
    assert app.events == ["startup"]
    c.close()
    assert app.events == ["startup", "shutdown"]


def test_failed_startup_is_reported() -> None:
    class Broken(App):
        async def startup(self) -> None:
            raise RuntimeError("no database")

    with pytest.raises(LifespanError, match="no database"), TestClient(Broken(settings=Settings())):
        pass


def test_any_asgi_app_works() -> None:
    async def raw(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                await send({"type": msg["type"] + ".complete"})
                if msg["type"] == "lifespan.shutdown":
                    return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"raw"})

    with TestClient(raw) as c:
        assert c.get("/").text == "raw"
