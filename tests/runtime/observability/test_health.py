"""/health is liveness; /ready checks the database (a real PostgreSQL) and the bus."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from khorsyio import App, Request, Response, Send, Settings
from khorsyio.testing import TestClient

pytestmark = pytest.mark.postgres


class Proxy:
    """A TCP proxy in front of PostgreSQL that can go silent: bytes are then swallowed and
    new connections accepted but never answered (a database that hangs, not one that is
    down, which is what a short timeout is for)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.silent = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> Proxy:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        self.drop()

    def drop(self) -> None:
        """Cut every connection (as a database restart does)."""
        for w in list(self._writers):
            w.close()
        self._writers.clear()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        if self.silent:
            await reader.read()  # until the client gives up
            return
        up_r, up_w = await asyncio.open_connection(*self.target)
        self._writers.add(up_w)

        async def pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await r.read(65536):
                    if not self.silent:
                        w.write(data)
                        await w.drain()
            w.close()

        await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))


def _settings(dsn: str, **env: str) -> Settings:
    return Settings.load(environ={"DB_DSN": dsn, **env}, env_file=None)


@contextlib.asynccontextmanager
async def _proxied(pg_dsn: str) -> AsyncIterator[tuple[Proxy, str]]:
    from sqlalchemy.engine import make_url

    url = make_url(pg_dsn)
    async with Proxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(False)


async def test_health_and_ready_with_a_reachable_database(pg_dsn: str) -> None:
    app = App(settings=_settings(pg_dsn))
    async with TestClient(app) as client:
        r = await client.get("/health")
        assert (r.status_code, r.json()) == (200, {"status": "ok"})
        r = await client.get("/ready")
        assert r.status_code == 200
        assert r.json() == {"status": "ready", "checks": {"db": "ok", "bus": "ok"}}
        assert "/ready" not in app.openapi()["paths"]


async def test_a_hanging_database_fails_ready_within_the_timeout(pg_dsn: str) -> None:
    async with _proxied(pg_dsn) as (proxy, dsn):
        app = App(settings=_settings(dsn, HTTP_READY_TIMEOUT="0.3"))
        async with TestClient(app) as client:
            assert (await client.get("/ready")).status_code == 200
            proxy.silent = True
            r = await asyncio.wait_for(client.get("/ready"), 10)
            assert r.status_code == 503
            body = r.json()
            assert body["code"] == "not_ready"
            assert body["error"] == "not ready: db"
            assert body["checks"] == {"db": "timeout after 0.3s", "bus": "ok"}
            assert (await client.get("/health")).status_code == 200  # still alive
            proxy.silent = False
            proxy.drop()  # the statement left waiting fails now: shutdown need not wait


async def test_a_stopped_bus_fails_ready() -> None:
    app = App(settings=Settings.load(environ={}, env_file=None))
    async with TestClient(app) as client:
        r = await client.get("/ready")
        assert r.json() == {"status": "ready", "checks": {"bus": "ok"}}  # no DB_DSN: no check
        await app.bus.stop()
        r = await client.get("/ready")
        assert r.status_code == 503
        assert r.json()["checks"] == {"bus": "StateError: the bus is stopped, not running"}


async def _own_health(req: Request, send: Send) -> None:
    await Response.ok(send, status="mine")


async def test_the_apps_own_health_route_wins_and_the_setting_turns_them_off() -> None:
    app = App(settings=Settings.load(environ={}, env_file=None))
    app.router.get("/health", _own_health)  # as the 0.2 README shows
    async with TestClient(app) as client:
        assert (await client.get("/health")).json() == {"status": "mine"}
        assert (await client.get("/ready")).status_code == 200
    catch_all = App(settings=Settings.load(environ={}, env_file=None))
    catch_all.router.get("/{slug}", _own_health)
    async with TestClient(catch_all) as client:
        assert (await client.get("/ready")).json() == {"status": "mine"}
    off = App(settings=Settings.load(environ={"HTTP_HEALTH": "false"}, env_file=None))
    async with TestClient(off) as client:
        assert (await client.get("/health")).status_code == 404
        assert (await client.get("/ready")).status_code == 404
