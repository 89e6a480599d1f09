"""``/health`` (liveness) and ``/ready`` (readiness), served when HTTP_HEALTH is true.

``/health`` answers ``200 {"status": "ok"}`` while the process serves requests. ``/ready``
runs its checks, each within HTTP_READY_TIMEOUT seconds: ``db`` (a ``SELECT 1`` through the
app's :class:`~khorsyio.Database`, when DB_DSN is configured) and ``bus`` (the bus is
running and takes events). All passing: ``200 {"status": "ready", "checks": {...}}``;
otherwise ``503 {"error": "not ready: db", "code": "not_ready", "checks": {...}}`` where
each failed check says why (``"timeout after 2s"``, the driver's message...).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from khorsyio.errors import StateError
from khorsyio.http.request import Request
from khorsyio.http.response import Response, error_body
from khorsyio.http.routes import Route
from khorsyio.types import Send

__all__ = ["HEALTH_PATH", "READY_PATH", "health_routes", "mount_health", "readiness"]

HEALTH_PATH = "/health"
READY_PATH = "/ready"

Check = Callable[[], Awaitable[object]]


async def _health(req: Request, send: Send) -> None:
    await Response.ok(send, status="ok")


def _checks(app: Any) -> dict[str, Check]:
    checks: dict[str, Check] = {}
    if app.db.configured:

        async def db() -> None:
            await app.db.fetchval("SELECT 1")

        checks["db"] = db

    async def bus() -> None:
        if not app.bus.state.accepting:
            raise StateError(f"the bus is {app.bus.state.label}, not running")

    checks["bus"] = bus
    return checks


async def _run(check: Check, timeout: float) -> str:
    try:
        async with asyncio.timeout(timeout):
            await check()
    except TimeoutError:
        return f"timeout after {timeout:g}s"
    except Exception as e:
        return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    return "ok"


async def readiness(app: Any) -> tuple[bool, dict[str, str]]:
    """Run the app's readiness checks at once; (all passed, ``{check: "ok" or why}``)."""
    checks = _checks(app)
    timeout: float = app.settings.http.ready_timeout
    results = await asyncio.gather(*(_run(c, timeout) for c in checks.values()))
    out = dict(zip(checks, results, strict=True))
    return all(r == "ok" for r in results), out


def health_routes(app: Any) -> list[Route]:
    """The ``/health`` and ``/ready`` routes of ``app`` (not in the OpenAPI document)."""

    async def ready(req: Request, send: Send) -> None:
        ok, checks = await readiness(app)
        if ok:
            await Response.ok(send, status="ready", checks=checks)
            return
        failed = ", ".join(name for name, r in checks.items() if r != "ok")
        body = error_body(f"not ready: {failed}", "not_ready", checks=checks)
        await Response.json(send, body, 503)

    return [
        Route("GET", HEALTH_PATH, _health, include_in_schema=False),
        Route("GET", READY_PATH, ready, include_in_schema=False),
    ]


def mount_health(app: Any) -> None:
    """Add ``/health`` and ``/ready`` to ``app`` (at startup) when HTTP_HEALTH is true,
    each unless a GET route of the app already answers that path (its own wins, a
    parameterized one such as ``/{slug}`` too)."""
    if not app.settings.http.health:
        return
    for route in health_routes(app):
        if app.router.match("GET", route.path).route is None:
            app.router.add(route)
