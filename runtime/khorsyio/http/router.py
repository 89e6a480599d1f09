"""Routes and the router: a dict for static paths, a segment trie for parameterized ones.

A static path costs one dict lookup however many routes there are; a parameterized path
costs one step per segment (static child first, then the parameter children). Nothing
scans the route list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar, overload

from khorsyio.errors import RegistrationError
from khorsyio.graph import Node
from khorsyio.http.bus_route import BusRoute
from khorsyio.http.methods import METHODS
from khorsyio.http.middleware import Middleware
from khorsyio.http.paths import CONVERTERS, NO_MATCH, ORDER, Segment, parse_path, path_shape
from khorsyio.http.routes import BaseRoute, Route

# METHODS, CONVERTERS, Segment and parse_path live in .methods and .paths; still importable
# from here for older code.
__all__ = ["CONVERTERS", "METHODS", "Match", "Router", "Segment", "parse_path"]

H = TypeVar("H", bound=Callable[..., Any])


class _Node:
    __slots__ = ("leaf", "params", "static")

    def __init__(self) -> None:
        self.static: dict[str, _Node] = {}
        self.params: list[tuple[str, _Node]] = []  # (converter, child), most specific first
        self.leaf: dict[str, tuple[BaseRoute, tuple[str, ...]]] | None = None

    def param_child(self, conv: str) -> _Node:
        for c, child in self.params:
            if c == conv:
                return child
        child = _Node()
        self.params.append((conv, child))
        self.params.sort(key=lambda p: ORDER[p[0]])
        return child


class Match:
    """The result of :meth:`Router.match`: a route and its params, or the allowed methods."""

    __slots__ = ("allowed", "params", "route")

    def __init__(
        self, route: BaseRoute | None, params: dict[str, Any], allowed: frozenset[str]
    ) -> None:
        self.route, self.params, self.allowed = route, params, allowed


_EMPTY: frozenset[str] = frozenset()


class Router:
    """Routes, gates (``use``), wrapping middleware (``around``) and after-hooks (``after``)."""

    def __init__(self) -> None:
        self.routes: list[BaseRoute] = []
        self.middleware: list[Callable[..., Any]] = []
        """The gates of :meth:`use`, in order."""
        self.wrappers: list[Middleware] = []
        """The middleware of :meth:`around`, outermost first."""
        self.after_hooks: list[Callable[..., Any]] = []
        self._static: dict[str, dict[str, BaseRoute]] = {}
        self._root = _Node()
        self._keys: dict[tuple[str, str], BaseRoute] = {}
        self.version = 0

    # -- registration ---------------------------------------------------------------

    def add(self, route: BaseRoute) -> BaseRoute:
        """Register a route; a route that conflicts with a registered one is an error."""
        if not isinstance(route, BaseRoute):
            raise RegistrationError(f"router.add() takes a Route or BusRoute, got {route!r}")
        segs = route.segments
        key = (route.method, path_shape(segs))
        other = self._keys.get(key)
        if other is not None:
            raise RegistrationError(
                f"route {route.method} {route.path} conflicts with {other.method} {other.path} "
                "(same method, same path shape)"
            )
        self._keys[key] = route
        if not any(s.is_param for s in segs):
            self._static.setdefault(route.path, {})[route.method] = route
        node = self._root
        for s in segs:
            if s.is_param:
                node = node.param_child(s.conv)
            else:
                node = node.static.setdefault(s.text, _Node())
        if node.leaf is None:
            node.leaf = {}
        node.leaf[route.method] = (route, tuple(s.name for s in segs if s.is_param))
        self.routes.append(route)
        self.version += 1
        return route

    def mount(self, routes: Iterable[BaseRoute], namespace: str = "") -> None:
        """Register several routes; bus routes get their events put in ``namespace``."""
        for r in routes:
            self.add(r.in_namespace(namespace) if namespace and isinstance(r, BusRoute) else r)

    @overload
    def route(
        self, method: str, path: str, handler: None = None, **typed: Any
    ) -> Callable[[H], H]: ...
    @overload
    def route(self, method: str, path: str, handler: H, **typed: Any) -> Route: ...
    def route(
        self, method: str, path: str, handler: Callable[..., Any] | None = None, **typed: Any
    ) -> Route | Callable[[H], H]:
        """``router.route("GET", "/x", handler)``, or as a decorator without ``handler``."""
        if handler is None:

            def decorator(fn: H) -> H:
                self.add(Route(method, path, fn, **typed))
                return fn

            return decorator
        route = Route(method, path, handler, **typed)
        self.add(route)
        return route

    def get(self, path: str, handler: Callable[..., Any] | None = None, **typed: Any) -> Any:
        """Register a GET route (``handler(req, send)``), or decorate one."""
        return self.route("GET", path, handler, **typed)

    def post(self, path: str, handler: Callable[..., Any] | None = None, **typed: Any) -> Any:
        return self.route("POST", path, handler, **typed)

    def put(self, path: str, handler: Callable[..., Any] | None = None, **typed: Any) -> Any:
        return self.route("PUT", path, handler, **typed)

    def patch(self, path: str, handler: Callable[..., Any] | None = None, **typed: Any) -> Any:
        return self.route("PATCH", path, handler, **typed)

    def delete(self, path: str, handler: Callable[..., Any] | None = None, **typed: Any) -> Any:
        return self.route("DELETE", path, handler, **typed)

    def head(self, path: str, handler: Callable[..., Any] | None = None, **typed: Any) -> Any:
        return self.route("HEAD", path, handler, **typed)

    def options(self, path: str, handler: Callable[..., Any] | None = None, **typed: Any) -> Any:
        return self.route("OPTIONS", path, handler, **typed)

    def use(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``fn(req)`` (sync or async) before every routed handler; ``False`` gives 403."""
        self.middleware.append(fn)
        return fn

    def around(self, mw: Middleware) -> Middleware:
        """Wrap every routed request in ``mw(req, send, call_next)`` (usable as a decorator).

        ``await call_next(send)`` runs the rest (inner middleware, gates, the route); pass a
        wrapper of ``send`` to see or change the response as it goes out (headers at
        ``http.response.start``), and run code after it has been sent. The first registered
        is the outermost. The stack is built once when the app starts.
        """
        if not callable(mw):
            raise RegistrationError(f"router.around() takes a callable, got {mw!r}")
        self.wrappers.append(mw)
        return mw

    def after(self, hook: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``hook(req)`` after every routed handler (``req.status`` is the status sent)."""
        self.after_hooks.append(hook)
        return hook

    # -- lookup -----------------------------------------------------------------------

    def static_route(self, method: str, path: str) -> BaseRoute | None:
        """The route of ``method`` at the parameter-free ``path``, else ``None`` (one dict
        lookup: the HTTP app tries it before :meth:`match`)."""
        methods = self._static.get(path)
        return methods.get(method) if methods is not None else None

    def match(self, method: str, path: str) -> Match:
        """The route for ``method path``; else ``Match(None, {}, allowed_methods)``."""
        methods = self._static.get(path)
        if methods is not None:
            r = methods.get(method)
            if r is not None:
                return Match(r, {}, _EMPTY)
        parts = path[1:].split("/") if path.startswith("/") else [path]
        values: list[Any] = []
        allowed: set[str] = set()
        found = self._walk(self._root, parts, 0, values, method, allowed)
        if found is not None:
            route, names = found
            return Match(route, dict(zip(names, values, strict=True)), _EMPTY)
        return Match(None, {}, frozenset(allowed))

    def _walk(
        self,
        node: _Node,
        parts: list[str],
        i: int,
        values: list[Any],
        method: str,
        allowed: set[str],
    ) -> tuple[BaseRoute, tuple[str, ...]] | None:
        if i == len(parts):
            leaf = node.leaf
            if leaf is None:
                return None
            hit = leaf.get(method)
            if hit is None and method == "HEAD":
                hit = leaf.get("GET")
            if hit is None:
                allowed.update(leaf)
            return hit
        part = parts[i]
        child = node.static.get(part)
        if child is not None:
            hit = self._walk(child, parts, i + 1, values, method, allowed)
            if hit is not None:
                return hit
        for conv, pchild in node.params:
            if conv == "path":
                rest = "/".join(parts[i:])
                leaf = pchild.leaf
                if rest and leaf is not None:
                    found = leaf.get(method) or (leaf.get("GET") if method == "HEAD" else None)
                    if found is not None:
                        values.append(rest)
                        return found
                    allowed.update(leaf)
                continue
            value = CONVERTERS[conv](part)
            if value is NO_MATCH:
                continue
            values.append(value)
            hit = self._walk(pchild, parts, i + 1, values, method, allowed)
            if hit is not None:
                return hit
            values.pop()
        return None

    def allowed_methods(self, path: str) -> frozenset[str]:
        """Methods some route answers at ``path`` (for ``Allow`` and OPTIONS)."""
        found: set[str] = set()
        for m in METHODS:
            if self.match(m, path).route is not None:
                found.add(m)
        return frozenset(found)

    # -- graph ------------------------------------------------------------------------

    def graph_nodes(self) -> list[Node]:
        """Bus routes as graph entry points: each produces its event and awaits its reply."""
        return [n for r in self.routes for n in r.graph_nodes()]
