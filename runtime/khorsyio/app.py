"""App: the composition root. ASGI entry point, lifespan, dependency wiring.

Serving (``App.run``) lives in :mod:`khorsyio.serve`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from khorsyio.bus import Bus
from khorsyio.client import HttpClient
from khorsyio.db import Database
from khorsyio.db.dead_letters import DatabaseDeadLetters
from khorsyio.di import Container, Unresolved
from khorsyio.domain import Domain, qualify
from khorsyio.errors import ConfigError, KhorsyioError, RegistrationError, WiringError
from khorsyio.graph import GraphProblem, Node, check_graph
from khorsyio.handler import Handler, routed_contracts, validate_handler_class
from khorsyio.http import CorsConfig, HttpApp, Response, Router
from khorsyio.http.dead_letters import DeadLetterAuth, admin_routes
from khorsyio.http.response import SHUTDOWN_CODE, SHUTDOWN_MESSAGE, error_body
from khorsyio.settings import Settings
from khorsyio.types import Receive, Scope, Send
from khorsyio.wiring import BUILTIN_PROVIDERS, provider_value
from khorsyio.ws import SocketTransport

__all__ = ["App", "namespaced_class"]

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
            self.bus.dead_letters = DatabaseDeadLetters(self.db, self.settings.bus.dead_letter_size)
        self.dead_letter_auth: DeadLetterAuth | None = None
        """``fn(request) -> bool`` guarding ``/_khorsyio/dead-letters`` (BUS_DEAD_LETTER_ADMIN)."""
        if self.settings.bus.dead_letter_admin:
            self.router.mount(admin_routes())
        self.transport = SocketTransport(self.bus, self.settings.ws, cors)
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
        self._started = False
        self._shut_down = False
        self._start_lock: asyncio.Lock | None = None
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
        built: list[tuple[Handler[Any, Any], _Pending]] = []
        for p in pending:
            h = p.handler
            if p.namespace:
                h = _in_namespace(h, p.namespace)
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


def namespaced_class(cls: type[Handler[Any, Any]], namespace: str) -> type[Handler[Any, Any]]:
    """``cls`` as registered in ``namespace``: a subclass whose wiring names are qualified.

    ``subscribes_to = "create"`` in namespace ``"user"`` reads ``"user.create"`` on the
    subclass (and its instances), ``publishes`` likewise; names already in the namespace
    stay. The subclass has the same name, module and qualified name (process-mode workers
    import the class you wrote) and no other change; ``cls`` itself is returned when the
    namespace changes nothing.
    """
    sub_to = qualify(namespace, cls.subscribes_to)
    pub = qualify(namespace, cls.publishes)
    if sub_to == cls.subscribes_to and pub == cls.publishes:
        return cls
    ns = {
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "__doc__": cls.__doc__,
        "__slots__": (),  # same layout: a ready instance can move to it
        "subscribes_to": sub_to,
        "publishes": pub,
    }
    return type(cls.__name__, (cls,), ns)


def _in_namespace(
    handler: type[Handler[Any, Any]] | Handler[Any, Any], namespace: str
) -> type[Handler[Any, Any]] | Handler[Any, Any]:
    if isinstance(handler, type):
        return namespaced_class(handler, namespace)
    cls = namespaced_class(type(handler), namespace)
    if cls is not type(handler):
        handler.__class__ = cls  # a ready instance shows its qualified names too
    return handler
