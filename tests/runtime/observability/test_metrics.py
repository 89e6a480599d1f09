"""/metrics: the Prometheus text format, read back with prometheus-client's own parser."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from khorsyio import (
    App,
    Context,
    Handler,
    Request,
    Response,
    RetryPolicy,
    Send,
    Settings,
    SettingsError,
    SocketClient,
)
from khorsyio.testing import TestClient, serve

from ..core.contracts import Num


def _app(**env: str) -> App:
    return App(settings=Settings.load(environ={"HTTP_METRICS": "true", **env}, env_file=None))


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """``{(sample name, labels): value}`` of an exposition, parsed by prometheus-client."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


class Double(Handler[Num, Num]):
    subscribes_to = "num.in"
    publishes = "num.out"

    async def process(self, data: Num, ctx: Context) -> Num:
        return Num(data.n * 2)


class Flaky(Handler[Num, None]):
    subscribes_to = "flaky"
    retry = RetryPolicy(attempts=2, backoff=0.001)

    async def process(self, data: Num, ctx: Context) -> None:
        raise ConnectionError("down")


async def test_handler_figures_and_the_snapshot_agree() -> None:
    app = _app()
    app.register(Double)
    app.register(Flaky)
    app.declare_external("num.in", "flaky")
    app.declare_terminal("num.out")
    async with TestClient(app) as client:
        for n in range(3):
            await app.bus.publish("num.in", Num(n))
        await app.bus.publish("flaky", Num(0))
        assert await app.bus.wait_idle(5)
        r = await client.get("/metrics")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain")
        m = _samples(r.text)
        snap = app.bus.metrics.snapshot()
    assert set(snap["Double"]) == {"processed", "errors", "avg_ms"}  # the seed's shape
    assert _value(m, "khorsyio_handler_processed_total", handler="Double") == 3
    assert _value(m, "khorsyio_handler_errors_total", handler="Double") == 0
    assert _value(m, "khorsyio_handler_duration_seconds_count", handler="Double") == 3
    assert _value(m, "khorsyio_handler_duration_seconds_bucket", handler="Double", le="+Inf") == 3
    assert _value(m, "khorsyio_handler_duration_seconds_sum", handler="Double") == pytest.approx(
        snap["Double"]["avg_ms"] * 3 / 1000.0, rel=0.01, abs=1e-5
    )
    assert _value(m, "khorsyio_handler_processed_total", handler="Flaky") == 2  # 2 attempts
    assert _value(m, "khorsyio_handler_errors_total", handler="Flaky") == 2
    assert _value(m, "khorsyio_handler_retries_total", handler="Flaky") == 1
    assert _value(m, "khorsyio_handler_dead_lettered_total", handler="Flaky") == 1
    assert _value(m, "khorsyio_handler_dead_lettered_total", handler="Double") == 0
    assert snap["Flaky"]["retries"] == 1


class Slow(Handler[Num, None]):
    subscribes_to = "slow"
    concurrency = 1
    gate: asyncio.Event
    entered: asyncio.Event

    async def process(self, data: Num, ctx: Context) -> None:
        self.entered.set()
        await self.gate.wait()


async def test_in_flight_and_queue_depth_per_handler() -> None:
    app = _app()
    Slow.gate, Slow.entered = asyncio.Event(), asyncio.Event()
    app.register(Slow)
    app.declare_external("slow")
    async with TestClient(app) as client:
        for n in range(3):
            await app.bus.publish("slow", Num(n))
        await asyncio.wait_for(Slow.entered.wait(), 5)  # one runs, waiting on the gate
        m = _samples((await client.get("/metrics")).text)
        assert _value(m, "khorsyio_handler_in_flight", handler="Slow") == 1
        assert _value(m, "khorsyio_handler_queue_depth", handler="Slow") == 2
        Slow.gate.set()
        assert await app.bus.wait_idle(5)
        m = _samples((await client.get("/metrics")).text)
        assert _value(m, "khorsyio_handler_in_flight", handler="Slow") == 0
        assert _value(m, "khorsyio_handler_queue_depth", handler="Slow") == 0


async def _user(req: Request, send: Send) -> None:
    if req.path_params["id"] == 0:
        await Response.error(send, "no such user", 404, code="not_found")
        return
    await Response.ok(send, id=req.path_params["id"])


async def test_http_requests_by_route_template_and_status() -> None:
    app = _app()
    app.router.get("/users/{id:int}", _user)
    async with TestClient(app) as client:
        for n in (1, 2, 0):
            await client.get(f"/users/{n}")
        await client.get("/nowhere")  # no route: not counted (no unbounded label values)
        m = _samples((await client.get("/metrics")).text)
    route = "/users/{id:int}"
    assert _value(m, "khorsyio_http_requests_total", method="GET", route=route, status="200") == 2
    assert _value(m, "khorsyio_http_requests_total", method="GET", route=route, status="404") == 1
    assert _value(m, "khorsyio_http_request_duration_seconds_count", method="GET", route=route) == 3
    assert not [k for k in m if dict(k[1]).get("route") == "/nowhere"]


async def test_websocket_connections_are_counted() -> None:
    app = _app()
    async with serve(app) as url:
        client = SocketClient(url, reconnection=False)
        async with client:
            async with TestClient(app) as http:
                m = _samples((await http.get("/metrics")).text)
            assert _value(m, "khorsyio_websocket_connections") == 1


async def test_metrics_are_off_by_default() -> None:
    app = App(settings=Settings.load(environ={}, env_file=None))
    assert app.prometheus is None
    async with TestClient(app) as client:
        assert (await client.get("/metrics")).status_code == 404


def test_without_the_extra_the_setting_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # import raises ImportError
    with pytest.raises(SettingsError, match=r"HTTP_METRICS=true needs .*khorsyio\[metrics\]"):
        _app()


def test_the_runtime_imports_and_serves_without_prometheus_client() -> None:
    code = (
        "import sys; sys.modules['prometheus_client'] = None\n"
        "import asyncio, khorsyio\n"
        "from khorsyio.testing import TestClient\n"
        "async def main():\n"
        "    app = khorsyio.App(settings=khorsyio.Settings.load(environ={}, env_file=None))\n"
        "    async with TestClient(app) as c:\n"
        "        print((await c.get('/health')).status_code)\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "200"


def test_a_route_of_the_app_at_metrics_conflicts_loudly() -> None:
    from khorsyio import RegistrationError

    app = _app()
    with pytest.raises(RegistrationError, match="/metrics"):
        app.router.get("/metrics", _user)
