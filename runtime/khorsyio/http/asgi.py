"""HttpApp: the ASGI callable for the http scope (routing, CORS, middleware, errors)."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from typing import TYPE_CHECKING, Any

from khorsyio.http.cors import CorsConfig
from khorsyio.http.errors import client_error_of
from khorsyio.http.methods import BODY_METHODS
from khorsyio.http.middleware import Endpoint, build_stack
from khorsyio.http.request import ClientDisconnect, Request
from khorsyio.http.response import Response, error_body, send_response
from khorsyio.http.router import Router
from khorsyio.http.routes import BaseRoute, Route
from khorsyio.http.timeouts import BodyDeadline, BodyDeadlines, InFlight, answer_cancelled
from khorsyio.types import Receive, Scope, Send

if TYPE_CHECKING:
    from khorsyio.settings import Settings

__all__ = ["HttpApp"]

log = logging.getLogger("khorsyio.http")

_FORBIDDEN = error_body("forbidden", "forbidden")
_NOT_FOUND = error_body("not found", "not_found")
_NOT_ALLOWED = error_body("method not allowed", "method_not_allowed")
_CORS_REFUSED = error_body("CORS preflight refused", "cors_refused")
_NONE: frozenset[str] = frozenset()


class HttpApp:
    """Serves the http scope of an :class:`~khorsyio.App`.

    Order of work: route lookup; CORS preflight (answered here, no middleware); 404/405;
    the middleware stack (``router.around``, outermost first); the gates (``router.use``,
    ``False`` gives 403); Content-Length check (413); the route; after-hooks. A body must
    arrive within HTTP_BODY_TIMEOUT seconds of its first read (else 408); a request
    cancelled at shutdown (past BUS_DRAIN_TIMEOUT, see ``inflight``) is answered 503.
    A client error (:class:`~khorsyio.errors.ClientError`, an exception with an
    ``http_status``) becomes ``{"error", "code"}`` with its status; any other exception a
    500 ``{"error": "internal error", "code": "internal"}`` and a log line with the method,
    path and trace id (the exception text is added only when SERVER_DEBUG is set).
    """

    def __init__(
        self,
        router: Router,
        settings: Settings,
        cors: CorsConfig | None = None,
        *,
        app: Any = None,
    ) -> None:
        self.app = app  # what handlers see as req.app
        self.settings = settings
        self.router = router
        if cors is not None:
            cors.validate()
        self.cors = cors
        """Read on every request; ``App.cors`` sets it (and the socket.io transport's)."""
        self._stack: Endpoint | None = None
        self._stack_of: tuple[Any, ...] = ()
        self.max_body_size = settings.http.max_body_size
        self.body_deadlines = BodyDeadlines(settings.http.body_timeout)
        self.inflight = InFlight()
        """The requests being served: ``App.shutdown`` drains them (BUS_DRAIN_TIMEOUT)."""
        self.debug = settings.server.debug
        self._openapi: dict[str, Any] | None = None
        self._openapi_version = -1
        if settings.http.openapi:
            from khorsyio.http.openapi import docs_html

            self.router.add(
                Route("GET", "/openapi.json", self._serve_openapi, include_in_schema=False)
            )
            html = docs_html("/openapi.json", settings.http.openapi_title)
            self.router.add(
                Route(
                    "GET",
                    "/docs",
                    lambda req, send: Response.html(send, html),
                    include_in_schema=False,
                )
            )

    # -- OpenAPI --------------------------------------------------------------------

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document of the router (rebuilt when routes change)."""
        if self._openapi is None or self._openapi_version != self.router.version:
            from khorsyio.http.openapi import build_openapi

            s = self.settings.http
            self._openapi = build_openapi(
                self.router.routes,
                title=s.openapi_title,
                version=s.openapi_version,
                middleware=bool(self.router.middleware),
            )
            self._openapi_version = self.router.version
        return self._openapi

    async def _serve_openapi(self, req: Request, send: Send) -> None:
        await Response.json(send, self.openapi())

    # -- ASGI -------------------------------------------------------------------------

    def build_stack(self) -> None:
        """Build the middleware stack from ``router.wrappers`` (the app does at startup).

        Without middleware the stack is ``None`` and requests go straight to the endpoint.
        """
        wrappers = tuple(self.router.wrappers)
        self._stack = build_stack(wrappers, self._endpoint) if wrappers else None
        self._stack_of = wrappers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.router.static_route(scope["method"], scope["path"])
        if route is None:
            m = self.router.match(scope["method"], scope["path"])
            route, params, allowed = m.route, m.params, m.allowed
        else:
            params, allowed = {}, _NONE
        receive = BodyDeadline(receive, self.body_deadlines)
        req = Request(scope, receive, send, params, self.app, self.max_body_size)
        task = asyncio.current_task()
        assert task is not None  # an ASGI call runs in a task
        tasks = self.inflight.tasks
        tasks.add(task)
        try:
            await self._serve(req, route, allowed)
        except asyncio.CancelledError:  # shutdown past the drain timeout
            await answer_cancelled(req.send, bool(req.status), f"{req.method} {req.path}")
        finally:
            tasks.discard(task)

    async def _serve(self, req: Request, route: BaseRoute | None, allowed: frozenset[str]) -> None:
        cors = self.cors
        if cors is not None:
            origin = req.header("origin")
            if req.method == "OPTIONS" and origin is not None:
                asked = req.header("access-control-request-method")
                if asked is not None:
                    await self._preflight(cors, req, origin, asked)
                    return
            req._extra_headers = cors.response_headers(origin)
        if route is None:
            await self._unrouted(req, allowed)
            return
        req.route = route
        if req.method == "HEAD" and route.method != "HEAD":
            req._head = True
        hooks = self.router.after_hooks
        t0 = time.perf_counter() if hooks else 0.0
        if len(self._stack_of) != len(self.router.wrappers):  # one added after startup
            self.build_stack()
        stack = self._stack
        if stack is None:
            await self._endpoint(req, req.send)
        else:
            try:
                await stack(req, req.send)
            except Exception as e:  # raised by a middleware itself
                await self._on_error(req, e, req.send)
        if hooks:
            await self._run_after(req, t0)

    async def _endpoint(self, req: Request, send: Send) -> None:
        """The innermost layer: the gates, the Content-Length check and the route."""
        try:
            if self.router.middleware and not await self._run_middleware(req):
                await Response.json(send, _FORBIDDEN, 403)
                return
            if req.method in BODY_METHODS:
                req.check_content_length()
            route = req.route
            assert route is not None  # set by __call__ before the stack runs
            await route.invoke(req, send)
        except Exception as e:
            await self._on_error(req, e, send)

    async def _run_middleware(self, req: Request) -> bool:
        for fn in self.router.middleware:
            result = fn(req)
            if inspect.isawaitable(result):
                result = await result
            if result is False:
                return False
        return True

    async def _run_after(self, req: Request, t0: float) -> None:
        state = req.state
        state["status"] = req.status
        state["duration_ms"] = round((time.perf_counter() - t0) * 1000.0, 3)
        for hook in self.router.after_hooks:
            try:
                result = hook(req)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception(
                    "after-hook %r failed on %s %s trace=%s",
                    hook,
                    req.method,
                    req.path,
                    req.trace_id,
                )

    async def _on_error(self, req: Request, e: Exception, send: Send) -> None:
        if isinstance(e, ClientDisconnect):
            log.info("%s %s: client disconnected trace=%s", req.method, req.path, req.trace_id)
            return
        info = client_error_of(e)
        if info is not None:
            status, code, message, field = info
            if req.status:
                log.warning("%s %s: %s after the response started", req.method, req.path, code)
                return
            extra = {"field": field} if field is not None else {}
            await Response.json(send, error_body(message, code, **extra), status)
            return
        trace = req.trace_id
        log.error(
            "%s %s failed: %s trace=%s",
            req.method,
            req.path,
            type(e).__name__,
            trace,
            exc_info=e,
        )
        if req.status:
            return
        extra = {"detail": f"{type(e).__name__}: {e}"} if self.debug else {}
        body = error_body("internal error", "internal", **extra)
        await Response.json(send, body, 500, headers={"x-trace-id": trace})

    async def _preflight(self, cors: CorsConfig, req: Request, origin: str, asked: str) -> None:
        headers = cors.preflight_headers(
            origin, asked, req.header("access-control-request-headers")
        )
        if headers is None:
            await Response.json(req.send, _CORS_REFUSED, 403, headers={"vary": "Origin"})
            return
        await send_response(req.send, 204, headers, b"")

    async def _unrouted(self, req: Request, allowed: frozenset[str]) -> None:
        if not allowed:
            await Response.json(req.send, _NOT_FOUND, 404)
            return
        methods = set(allowed) | {"OPTIONS"}
        if "GET" in methods:
            methods.add("HEAD")
        allow = {"allow": ", ".join(sorted(methods))}
        if req.method == "OPTIONS":
            await Response.empty(req.send, 204, headers=allow)
            return
        await Response.json(req.send, _NOT_ALLOWED, 405, headers=allow)
