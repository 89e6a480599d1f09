"""App: the composition root. ASGI entry point, lifespan, dependency wiring, run()."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Iterable
from typing import Any

from khorsyio.bus import Bus
from khorsyio.client import HttpClient
from khorsyio.db import Database
from khorsyio.di import Container, Unresolved
from khorsyio.domain import Domain, qualify
from khorsyio.errors import (
    ConfigError,
    KhorsyioError,
    RegistrationError,
    SettingsError,
    WiringError,
)
from khorsyio.graph import GraphProblem, Node, check_graph
from khorsyio.handler import Handler, routed_contracts, validate_handler_class
from khorsyio.http import CorsConfig, HttpApp, Router
from khorsyio.settings import Settings
from khorsyio.ws import SocketTransport

__all__ = ["App"]

log = logging.getLogger("khorsyio.app")

Scope = dict[str, Any]


class _Pending:
    __slots__ = ("built", "handler", "namespace")

    def __init__(self, handler: Any, namespace: str) -> None:
        self.handler = handler
        self.namespace = namespace
        self.built = False


class App:
    """An application: a bus, a router, a socket.io transport, a database and an HTTP client.

    ``App`` is an ASGI callable (lifespan, http and websocket scopes). Handlers registered
    with :meth:`register` or :meth:`mount` are built at startup, with their ``__init__``
    parameters injected by type and then by name; a parameter that cannot be resolved stops
    startup with an error naming the handler and the parameter.
    """

    def __init__(
        self,
        cors: CorsConfig | None = None,
        *,
        settings: Settings | None = None,
        strict: bool | None = None,
    ) -> None:
        self.settings = settings if settings is not None else Settings.load()
        self.strict = self.settings.bus.strict_graph if strict is None else strict
        self.cors = cors
        if cors is not None:
            cors.validate()
        self.bus = Bus(settings=self.settings.bus)
        self.router = Router()
        self.client = HttpClient()
        self.db = Database.from_settings(self.settings.db, configured=self.settings.db_configured)
        self.transport = SocketTransport(self)
        self.container = Container()
        for key, value in (
            ("app", self),
            ("bus", self.bus),
            ("client", self.client),
            ("db", self.db),
            ("transport", self.transport),
            ("settings", self.settings),
            ("router", self.router),
        ):
            self.container.provide(key, value)
            self.container.provide(type(value), value)
        self._pending: list[_Pending] = []
        self._externals: set[str] = set()
        self._terminals: set[str] = set()
        self._allowed_cycles: set[str] = set()
        self._http = HttpApp(self)
        if self.settings.http.openapi:  # /docs: Swagger UI's files served here, not a CDN
            from khorsyio.http.docs_page import asset_routes

            self.router.mount(asset_routes())
        self._started = False
        self._shut_down = False
        self._start_lock: asyncio.Lock | None = None
        self.graph_problems: list[GraphProblem] = []

    # -- composition ----------------------------------------------------------------------

    def provide(self, key: str | type[Any], value: Any) -> None:
        """Make ``value`` injectable into handlers, by parameter name or by type."""
        self.container.provide(key, value)

    def register(
        self, handler: type[Handler[Any, Any]] | Handler[Any, Any], namespace: str = ""
    ) -> None:
        """Register a handler class (built with DI at startup) or a ready instance."""
        cls = handler if isinstance(handler, type) else type(handler)
        validate_handler_class(cls)
        for p in self._pending:
            if p.handler is handler:
                raise RegistrationError(f"handler {cls.__qualname__} is registered twice")
        self._pending.append(_Pending(handler, namespace))
        if self._started:
            self._build_and_register([self._pending[-1]])

    def mount(self, domain: Domain) -> None:
        """Register a domain's handlers (namespaced) and routes."""
        for h in domain.handlers:
            self.register(h, namespace=domain.namespace)
        self.router.mount(domain.routes, namespace=domain.namespace)

    def declare_external(self, *events: str) -> None:
        """Events produced outside this app's graph (another service, a queue...)."""
        self._externals.update(events)

    def declare_terminal(self, *events: str) -> None:
        """Events published on purpose with no consumer in this app."""
        self._terminals.update(events)

    def allow_cycle(self, *events: str) -> None:
        """Accept event cycles through any of ``events`` (otherwise reported)."""
        self._allowed_cycles.update(events)

    # -- wiring ---------------------------------------------------------------------------

    def _build_and_register(self, pending: Iterable[_Pending]) -> None:
        problems: list[str] = []
        built: list[tuple[Handler[Any, Any], _Pending]] = []
        for p in pending:
            h = p.handler
            if isinstance(h, type):
                cls: type[Handler[Any, Any]] = h
                if cls.execution_mode == "process":
                    try:
                        kwargs = self.container.resolve_kwargs(h)
                    except Unresolved as e:
                        problems.append(str(e))
                        continue
                    if kwargs:
                        problems.append(
                            f"{h.__qualname__}: execution_mode='process' handlers are built in "
                            "the worker process and take no constructor parameters"
                        )
                        continue
                try:
                    built.append((self.container.build(h), p))
                except Unresolved as e:
                    problems.extend(str(e).splitlines())
            else:
                built.append((h, p))
        if problems:
            raise WiringError(problems)
        for inst, p in built:
            p.built = True
            cls = type(inst)
            sub_to = qualify(p.namespace, cls.subscribes_to)
            pub = qualify(p.namespace, cls.publishes)
            also = {qualify(p.namespace, e): t for e, t in routed_contracts(cls).items()}
            self.bus.register(inst, subscribes_to=sub_to, publishes=pub, also_publishes=also)
            if p.namespace:  # the seed shows namespaced names on the instance
                inst.__dict__["subscribes_to"] = sub_to
                inst.__dict__["publishes"] = pub

    def graph_nodes(self) -> list[Node]:
        """The whole event graph: handlers, schedules, routes, websocket entries, externals."""
        nodes = self.bus.graph_nodes()
        nodes += self.router.graph_nodes()
        nodes += self.transport.graph_nodes()
        nodes += [
            Node(kind="external", name=f"external {e}", produces=(e,))
            for e in sorted(self._externals)
        ]
        nodes += [
            Node(kind="terminal", name=f"terminal {e}", consumes=e) for e in sorted(self._terminals)
        ]
        return nodes

    def check(self) -> list[GraphProblem]:
        """The wiring problems of the current graph (handlers must be built: see startup)."""
        return check_graph(self.graph_nodes(), allow_cycles=self._allowed_cycles)

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document of the routes (typed and bus routes with their schemas).

        Served at ``/openapi.json`` (and ``/docs``) when HTTP_OPENAPI is true.
        """
        return self._http.openapi()

    # -- lifecycle ------------------------------------------------------------------------

    async def startup(self) -> None:
        """Build handlers (verified DI), check the graph, start the bus, client and database."""
        if self._start_lock is None:
            self._start_lock = asyncio.Lock()
        async with self._start_lock:
            if self._started:
                return
            self._shut_down = False
            self._build_and_register([p for p in self._pending if not p.built])
            self.graph_problems = self.check()
            errors = [p for p in self.graph_problems if p.severity == "error"]
            if self.strict and errors:
                raise WiringError([p.message for p in errors])
            for p in self.graph_problems:
                log.warning("graph: %s", p.message)
            await self.db.connect()
            await self.client.start()
            await self.bus.start()
            await self.transport.start()
            self._started = True
            log.info("app started")

    async def shutdown(self) -> None:
        """Stop taking work, drain the bus, close the transport, client and database."""
        if not self._started:
            return
        self._started = False
        self._shut_down = True  # requests from now on get 503: no lazy restart mid-shutdown
        await self.transport.stop()
        await self.bus.stop()
        await self.client.stop()
        await self.db.close()
        log.info("app stopped")

    @property
    def started(self) -> bool:
        return self._started

    # -- ASGI -----------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind in ("http", "websocket") and not self._started:
            if self._shut_down:  # a late request must not start the app again
                await _refuse(kind, send)
                return
            await self.startup()  # served without a lifespan: start on the first request
        if kind == "http":
            if scope["path"].startswith("/socket.io/"):  # socket.io long-polling
                await self.transport.asgi(scope, receive, send)
                return
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await self.transport.asgi(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as e:
                    # a khorsyio error says what is wrong in its message; anything else is a
                    # bug somewhere (a provider, a handler's __init__): keep its traceback
                    log.error("startup failed: %s", e, exc_info=not isinstance(e, KhorsyioError))
                    await send({"type": "lifespan.startup.failed", "message": str(e)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                try:
                    await self.shutdown()
                except Exception as e:
                    log.exception("shutdown failed")
                    await send({"type": "lifespan.shutdown.failed", "message": str(e)})
                    return
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- serving --------------------------------------------------------------------------

    def run(self, target: str | None = None) -> None:
        """Serve the app with granian when installed (and SERVER_SERVER allows), else uvicorn.

        ``target`` is an import string such as ``"app.main:app"``; by default it is derived
        from the script that calls ``run()``, which multi-worker serving needs.
        ``SERVER_SERVER=granian`` without granian installed is a :class:`SettingsError`
        (printed as one line when it stops the program) naming the extra to install.
        """
        s = self.settings.server
        target = target or _main_target()
        use = s.server
        if use == "auto":
            try:
                import granian  # noqa: F401

                use = "granian"
            except ImportError:
                use = "uvicorn"
        if use == "granian":
            try:
                from granian import Granian  # type: ignore[attr-defined,unused-ignore]
                from granian.constants import Interfaces
            except ImportError as e:
                raise SettingsError(
                    f"SERVER_SERVER=granian but granian cannot be imported ({e}): "
                    'pip install "khorsyio[granian]", or set SERVER_SERVER=uvicorn'
                ) from None
            if target is None:
                raise ConfigError(
                    "granian needs an import target: app.run('app.main:app') "
                    "(or run a script that defines `app`)"
                )
            Granian(
                target, address=s.host, port=s.port, interface=Interfaces.ASGI, workers=s.workers
            ).serve()
            return
        import uvicorn

        # refuse oversize websocket frames in the server, before they are buffered
        ws_max = self.settings.ws.max_message_size
        if s.workers > 1 and target is not None:
            uvicorn.run(target, host=s.host, port=s.port, workers=s.workers, ws_max_size=ws_max)
        else:
            uvicorn.run(self, host=s.host, port=s.port, ws_max_size=ws_max)


async def _refuse(kind: str, send: Any) -> None:
    """503 for HTTP, a close for a websocket: the app is shutting down or has stopped."""
    if kind == "websocket":
        await send({"type": "websocket.close", "code": 1001})
        return
    body = b'{"error":"the service is shutting down","code":"shutdown"}'
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _main_target() -> str | None:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path:
        return None
    script_dir = os.path.dirname(os.path.abspath(path))
    module = os.path.splitext(os.path.basename(path))[0]
    pythonpath = os.environ.get("PYTHONPATH", "")
    if script_dir not in pythonpath.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (script_dir, pythonpath) if p)
    if script_dir not in sys.path:
        sys.path.insert(0, script_dir)
    return f"{module}:app"
