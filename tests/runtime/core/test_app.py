from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from khorsyio import App, BusState, Context, Handler, Settings
from khorsyio.testing import LifespanError, TestClient

from .contracts import UserIn, UserOut


class Echo(Handler[UserIn, UserOut]):
    subscribes_to = "echo"
    publishes = "echo.done"

    async def process(self, data: UserIn, ctx: Context) -> UserOut:
        return UserOut(name=data.name)


async def lifespan(app: App, *messages: str) -> list[dict[str, Any]]:
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for m in messages:
        inbox.put_nowait({"type": m})
    sent: list[dict[str, Any]] = []

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)

    await app({"type": "lifespan"}, inbox.get, send)
    return sent


async def test_the_asgi_lifespan_starts_and_stops_everything() -> None:
    app = App(settings=Settings())
    app.register(Echo)
    app.declare_external("echo")
    app.declare_terminal("echo.done")
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sent: list[dict[str, Any]] = []
    replied = asyncio.Event()

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)
        replied.set()

    task = asyncio.create_task(app({"type": "lifespan"}, inbox.get, send))
    await inbox.put({"type": "lifespan.startup"})
    await asyncio.wait_for(replied.wait(), 10)
    assert sent == [{"type": "lifespan.startup.complete"}]
    assert app.started
    assert app.bus.state is BusState.RUNNING
    result = await app.bus.request("echo", UserIn(name="hi"), response_type="echo.done")
    assert result.payload == UserOut(name="hi")
    await inbox.put({"type": "lifespan.shutdown"})
    await task
    assert sent[-1] == {"type": "lifespan.shutdown.complete"}
    assert not app.started
    assert app.bus.state is BusState.STOPPED


async def test_a_wiring_error_fails_the_lifespan_startup_with_the_message() -> None:
    class Broken(Echo):
        def __init__(self, nothing_like_this) -> None:  # type: ignore[no-untyped-def]
            ...

    app = App(settings=Settings())
    app.register(Broken)
    sent = await lifespan(app, "lifespan.startup")
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "parameter 'nothing_like_this' cannot be resolved" in sent[0]["message"]


def test_the_test_client_reports_a_failed_startup() -> None:
    class Broken(Echo):
        def __init__(self, nope) -> None:  # type: ignore[no-untyped-def]
            ...

    app = App(settings=Settings())
    app.register(Broken)
    with pytest.raises(LifespanError, match="parameter 'nope' cannot be resolved"), TestClient(app):
        pass


def test_register_refuses_the_same_handler_twice_and_bad_classes() -> None:
    app = App(settings=Settings())
    app.register(Echo)
    with pytest.raises(Exception, match="registered twice"):
        app.register(Echo)
    with pytest.raises(Exception, match=r"not a subclass of khorsyio\.Handler"):
        app.register(UserIn)  # type: ignore[arg-type]


async def test_a_handler_registered_after_startup_is_wired_at_once() -> None:
    app = App(settings=Settings())
    await app.startup()
    app.register(Echo)
    result = await app.bus.request("echo", UserIn(name="late"), response_type="echo.done")
    assert result.payload == UserOut(name="late")
    await app.shutdown()


def test_the_quick_start_snippet_serves_health() -> None:
    from khorsyio import CorsConfig, Response

    app = App(cors=CorsConfig(), settings=Settings())
    app.router.get("/health", lambda req, send: Response.ok(send, status="ok"))
    with TestClient(app) as client:
        r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_the_metrics_and_events_routes_of_the_seed() -> None:
    from khorsyio import Response

    app = App(settings=Settings())
    app.register(Echo)
    app.router.get("/metrics", lambda req, send: Response.json(send, app.bus.metrics.snapshot()))
    app.router.get("/events", lambda req, send: Response.json(send, app.bus.event_log.recent(50)))

    async def run(req: Any, send: Any) -> None:
        await app.bus.request("echo", UserIn(name="a"), response_type="echo.done")
        await Response.ok(send)

    app.router.post("/run", run)
    with TestClient(app) as client:
        assert client.post("/run").status_code == 200
        metrics = client.get("/metrics").json()
        events = client.get("/events").json()
    assert metrics["Echo"]["processed"] == 1
    assert metrics["Echo"]["errors"] == 0
    assert [e["event_type"] for e in events] == ["echo", "echo.done"]


def test_run_picks_uvicorn_when_granian_is_not_wanted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import uvicorn

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append((target, kw)))
    configs: list[uvicorn.Config] = []

    def run(server: uvicorn.Server, sockets: Any = None) -> None:  # one worker: a Server
        configs.append(server.config)
        server.started = True

    monkeypatch.setattr(uvicorn.Server, "run", run)
    app = App(
        settings=Settings.load(
            environ={"SERVER_SERVER": "uvicorn", "SERVER_PORT": "8123"}, env_file=None
        )
    )
    app.run()
    # timeout_graceful_shutdown: requests in flight at SIGTERM get BUS_DRAIN_TIMEOUT (5 s)
    # (with one worker the app cancels them itself then; uvicorn's is a backstop)
    served = {"ws_max_size": 65536, "timeout_graceful_shutdown": 5}
    (config,) = configs
    assert config.app is app
    assert (config.host, config.port, config.ws_max_size) == ("127.0.0.1", 8123, 65536)
    assert config.timeout_graceful_shutdown == 5 + 1

    calls.clear()
    multi = App(
        settings=Settings.load(
            environ={"SERVER_SERVER": "uvicorn", "SERVER_WORKERS": "2"}, env_file=None
        )
    )
    multi.run("pkg.main:app")
    assert calls == [("pkg.main:app", {"host": "127.0.0.1", "port": 8000, "workers": 2, **served})]


async def test_an_app_starts_again_after_a_shutdown() -> None:
    app = App(settings=Settings())
    app.register(Echo)
    for _ in range(2):
        await app.startup()
        result = await app.bus.request("echo", UserIn(name="again"), response_type="echo.done")
        assert result.payload == UserOut(name="again")
        await app.shutdown()
    assert len(app.bus.subscriptions) == 1


async def test_a_request_after_shutdown_gets_503_and_does_not_restart_the_app() -> None:
    import httpx

    app = App(settings=Settings())
    await app.startup()
    await app.shutdown()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.get("/anything")
    assert r.status_code == 503
    assert r.json() == {"error": "the service is shutting down", "code": "shutdown"}
    assert not app.started
    assert app.bus.state is BusState.STOPPED
