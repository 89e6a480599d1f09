"""App: the composition root. ASGI entry point, lifespan, dependency wiring.

Serving (``App.run``) lives in :mod:`khorsyio.serve`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from khorsyio.bus import Bus
from khorsyio.bus.worker_pool import unportable
from khorsyio.client import HttpClient
from khorsyio.db import Database
from khorsyio.db.dead_letters import DatabaseDeadLetters
from khorsyio.di import Container, Unresolved
from khorsyio.domain import Domain, in_namespace, qualify
from khorsyio.errors import ConfigError, KhorsyioError, RegistrationError, WiringError
from khorsyio.graph import GraphProblem, Node, check_graph
from khorsyio.handler import Handler, routed_contracts, validate_handler_class
from khorsyio.http import CorsConfig, HttpApp, Response, Router
from khorsyio.http.dead_letters import DeadLetterAuth, admin_routes
from khorsyio.http.health import mount_health
from khorsyio.http.response import SHUTDOWN_CODE, SHUTDOWN_MESSAGE, error_body
from khorsyio.prometheus import metrics_of
from khorsyio.settings import Settings
from khorsyio.types import Receive, Scope, Send
from khorsyio.wiring import BUILTIN_PROVIDERS, WORKER_PROVIDERS, provider_value
from khorsyio.ws import SocketTransport

__all__ = ["App"]

log = logging.getLogger("khorsyio.app")

_SHUTTING_DOWN = error_body(SHUTDOWN_MESSAGE, SHUTDOWN_CODE)


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
        if cors is not None:
            cors.validate()
        self.bus = Bus(settings=self.settings.bus)
        self.router = Router()
        self.client = HttpClient()
        self.db = Database.from_settings(self.settings.db, configured=self.settings.db_configured)
        store = self.settings.bus.dead_letter_store  # docs/dead-letters.md
        if store == "database" or (store == "auto" and self.db.configured):
            self.bus.dead_letters = DatabaseDeadLetters(
                self.db, self.settings.bus.dead_letter_size, required=store == "database"
            )
        self.dead_letter_auth: DeadLetterAuth | None = None
        """``fn(request) -> bool`` guarding ``/_khorsyio/dead-letters`` (BUS_DEAD_LETTER_ADMIN)."""
        if self.settings.bus.dead_letter_admin:
            self.router.mount(admin_routes())
        self.transport = SocketTransport(
            self.bus, self.settings.ws, cors, body_timeout=self.settings.http.body_timeout
        )
        self.container = Container()
        for name in BUILTIN_PROVIDERS:  # by name and by type, as khorsyio.wiring states
            value = provider_value(self, name)
            self.container.provide(name, value)
            self.container.provide(type(value), value)
        self._pending: list[_Pending] = []
        self._externals: set[str] = set()
        self._terminals: set[str] = set()
        self._allowed_cycles: set[str] = set()
        self._http = HttpApp(self.router, self.settings, cors, app=self)
        if self.settings.http.openapi:  # /docs: Swagger UI's files served here, not a CDN
            from khorsyio.http.docs_page import asset_routes

            self.router.mount(asset_routes())
        self.prometheus = metrics_of(self)  # /metrics when HTTP_METRICS: docs/observability.md
        self._started = False
        self._shut_down = False
        self._start_lock: asyncio.Lock | None = None
        self._stopping: asyncio.Task[None] | None = None
        self.graph_problems: list[GraphProblem] = []

    @property
    def cors(self) -> CorsConfig | None:
        """Which browser origins may call the app, over HTTP and socket.io alike.

        Settable at any time (``app.cors = CorsConfig(...)``): the HTTP layer and the
        socket.io transport both follow, since this property is the one place that sets it.
        """
        return self._http.cors

    @cors.setter
    def cors(self, cors: CorsConfig | None) -> None:
        if cors is not None:
            cors.validate()
        self._http.cors = cors
        self.transport.cors = cors

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
        """Register a domain's handlers (namespaced) and routes.

        A handler whose names the namespace changes is registered as a subclass carrying
        the qualified names (see :func:`namespaced_class`): ``handler.subscribes_to`` reads
        ``"user.create"`` for ``subscribes_to = "create"`` in domain ``user``, while the
        class you wrote keeps its own.
        """
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
        built: list[tuple[Handler[Any, Any], _Pending, dict[str, Any] | None]] = []
        for p in pending:
            h = p.handler
            if p.namespace:
                h = in_namespace(h, p.namespace)
            if isinstance(h, type):
                cls: type[Handler[Any, Any]] = h
                try:
                    kwargs = self.container.resolve_kwargs(cls)
                except Unresolved as e:
                    problems.extend(str(e).splitlines())
                    continue
                in_process = cls.execution_mode == "process"
                if in_process:
                    unfit = self._process_problems(cls, kwargs)
                    if unfit:
                        problems.extend(unfit)
                        continue
                built.append((cls(**kwargs), p, kwargs if in_process else None))
            else:
                built.append((h, p, None))
        if problems:
            raise WiringError(problems)
        for inst, p, init in built:
            p.built = True
            cls = type(inst)
            sub_to = qualify(p.namespace, cls.subscribes_to)
            pub = qualify(p.namespace, cls.publishes)
            also = {qualify(p.namespace, e): t for e, t in routed_contracts(cls).items()}
            self.bus.register(
                inst, subscribes_to=sub_to, publishes=pub, also_publishes=also, init=init
            )

    def _process_problems(self, cls: type[Any], kwargs: dict[str, Any]) -> list[str]:
        """Why a process-mode handler's injected parameters cannot be rebuilt in a worker.

        Each worker rebuilds the handler from pickled copies of them. The app's own live
        objects (the built-in providers not in ``WORKER_PROVIDERS``) are refused
        even where they would pickle: a copy in a worker would not be connected or started.
        """
        live = {
            id(provider_value(self, n)): n for n in BUILTIN_PROVIDERS if n not in WORKER_PROVIDERS
        }
        problems = [
            f"{cls.__qualname__}.__init__: parameter '{name}' is the app's {live[id(value)]} "
            f"({type(value).__qualname__}), which lives in the main process; an "
            "execution_mode='process' handler is rebuilt in each worker from pickled copies "
            "of its parameters, so it can take only values that survive that (settings, "
            "plain data): do the I/O in a main-mode handler and pass the data on"
            for name, value in kwargs.items()
            if id(value) in live
        ]
        return problems or unportable(cls, kwargs)

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
            if self.settings.bus.dead_letter_admin and self.dead_letter_auth is None:
                raise ConfigError(
                    "BUS_DEAD_LETTER_ADMIN=true but app.dead_letter_auth is not set: give the "
                    "app a hook fn(request) -> bool that admits your operators"
                )
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
            mount_health(self)  # /health and /ready unless the app has its own
            await self.transport.start()
            self._started = True
            log.info("app started")

    async def shutdown(self) -> None:
        """Stop taking work and drain, then close the client and database.

        New requests get 503 ``shutdown``; socket.io sessions are closed (an open long-poll
        is answered now); the requests in flight and the bus get BUS_DRAIN_TIMEOUT seconds,
        the same window for both, then what is left is cancelled (a request answered 503
        ``shutdown``). A second call while one runs (``App.run`` starts it on SIGTERM, the
        lifespan asks again) waits for the first.
        """
        if self._stopping is not None:
            await asyncio.shield(self._stopping)
            return
        if not self._started:
            return
        self._stopping = asyncio.get_running_loop().create_task(self._stop())
        await asyncio.shield(self._stopping)

    async def _stop(self) -> None:
        try:
            self._started = False
            self._shut_down = True  # requests from now on get 503: no restart mid-shutdown
            await self.transport.stop()
            drain = self.settings.bus.drain_timeout
            await asyncio.gather(
                self._http.inflight.drain(drain),
                self.transport.inflight.drain(drain),
                self.bus.stop(drain),
            )
            await self.client.stop()
            await self.db.close()
            log.info("app stopped")
        finally:
            self._stopping = None

    @property
    def started(self) -> bool:
        return self._started

    # -- ASGI -----------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as e:
                    _log_startup_failure(e)
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
        from the script that calls ``run()``, which multi-worker serving needs: that
        script's folder is then put on ``sys.path`` and ``PYTHONPATH`` when missing (logged
        at info level; see :func:`khorsyio.serve.main_target`).
        ``SERVER_SERVER=granian`` without granian installed is a :class:`SettingsError`
        (printed as one line when it stops the program) naming the extra to install.
        """
        from khorsyio.serve import serve

        serve(self, self.settings, target)


async def _refuse(kind: str, send: Send) -> None:
    """503 for HTTP, a close for a websocket: the app is shutting down or has stopped."""
    if kind == "websocket":
        await send({"type": "websocket.close", "code": 1001})
        return
    await Response.json(send, _SHUTTING_DOWN, 503)


def _log_startup_failure(e: Exception) -> None:
    """One line saying what is wrong; the traceback too, at the level a reader needs it.

    A khorsyio error (wiring, settings, an unreachable database) says what is wrong in its
    message: its traceback is logged at debug level. Anything else is a bug somewhere (a
    provider, a handler's ``__init__``): its traceback is part of the error line.
    """
    if isinstance(e, KhorsyioError):
        log.error("startup failed: %s", e)
        log.debug("startup failed: traceback", exc_info=e)
    else:
        log.error("startup failed: %s", e, exc_info=e)
