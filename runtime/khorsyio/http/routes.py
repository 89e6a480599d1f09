"""BaseRoute and Route (a handler, optionally typed); BusRoute is in :mod:`.bus_route`."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from types import CoroutineType
from typing import TYPE_CHECKING, Any

import msgspec

from khorsyio.errors import RegistrationError, ResponseContractError, StateError
from khorsyio.graph import Node
from khorsyio.http.methods import BODY_METHODS, METHODS
from khorsyio.http.params import params_decoder, path_body_decoder, path_fields
from khorsyio.http.paths import Segment, parse_path
from khorsyio.http.response import Response
from khorsyio.logtext import logger
from khorsyio.types import Send

if TYPE_CHECKING:
    from khorsyio.http.request import Request

__all__ = ["BODY_METHODS", "BaseRoute", "NoBody", "Route", "check_status"]

log = logger("khorsyio.http")
"""The http logger (shared with the ASGI app): its string arguments are clipped."""


_encode = msgspec.json.Encoder().encode


class NoBody(msgspec.Struct):
    """The event payload of a bus route that declares no ``body``."""


def _check_struct(what: str, tp: Any, where: str) -> None:
    if tp is not None and not (isinstance(tp, type) and issubclass(tp, msgspec.Struct)):
        raise RegistrationError(f"{where}: {what} must be a msgspec.Struct subclass, got {tp!r}")


def check_status(status: Any, where: str) -> None:
    """Raise :class:`RegistrationError` unless ``status`` is an HTTP status code."""
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise RegistrationError(f"{where}: status must be an HTTP status code, got {status!r}")


class BaseRoute:
    """What the router needs from a route: method, path, parsed segments, ``invoke``."""

    kind = "base"
    plain = False
    """A plain ``handler(req, send)`` route."""

    def __init__(
        self,
        method: str,
        path: str,
        *,
        body: type[msgspec.Struct] | None,
        response: type[msgspec.Struct] | None,
        status: int,
        summary: str,
        description: str,
        tags: Sequence[str],
        name: str,
        include_in_schema: bool,
    ) -> None:
        if not isinstance(method, str) or method.upper() not in METHODS:
            raise RegistrationError(
                f"route {method!r} {path!r}: method must be one of {', '.join(METHODS)}"
            )
        self.method = method.upper()
        self.path = path
        where = f"route {self.method} {path}"
        self.segments: list[Segment] = parse_path(path)
        _check_struct("body", body, where)
        _check_struct("response", response, where)
        check_status(status, where)
        self.body = body
        self.response = response
        self.status = status
        self.summary = summary
        self.description = description
        self.tags = tuple(tags)
        self.name = name
        self.include_in_schema = include_in_schema
        self._params_input = (
            params_decoder(body) if body is not None and self.method not in BODY_METHODS else None
        )
        self._path_input = (
            path_body_decoder(body, self.param_names)
            if body is not None and self.method in BODY_METHODS
            else None
        )
        """Reads the JSON body with the path parameters filling fields of the same name."""

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def param_names(self) -> list[str]:
        return [s.name for s in self.segments if s.is_param]

    @property
    def path_fields(self) -> list[str]:
        """The path parameters that fill fields of the ``body`` contract (JSON names)."""
        if self.body is None:
            return []
        return list(path_fields(self.body, self.param_names))

    async def read_input(self, req: Request) -> Any:
        """The declared ``body`` contract: from the JSON body, or from path+query params.

        Path parameters fill the contract's fields of the same name, for every method.
        """
        if self._params_input is not None:
            return self._params_input(req)
        if self.body is None:
            return None
        if self._path_input is not None:
            return await self._path_input(req)
        return await req.json(self.body)

    async def send_result(self, req: Request, send: Send, result: Any, status: int) -> None:
        """Encode ``result`` as the declared response type, with ``status``."""
        if status == 204 or (result is None and self.response is None):
            await Response.empty(send, status if status != 200 else 204)
            return
        rt = self.response
        if rt is not None and not isinstance(result, rt):
            try:
                result = msgspec.convert(result, rt, from_attributes=True)
            except msgspec.ValidationError as e:
                raise ResponseContractError(
                    f"{self.label}: the result does not fit the response type {rt.__name__}: {e}"
                ) from None
        await Response.json(send, _encode(result), status)

    async def invoke(self, req: Request, send: Send) -> None:
        raise NotImplementedError

    def graph_nodes(self) -> list[Node]:
        return []

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.method!r}, {self.path!r})"


class Route(BaseRoute):
    """An HTTP route.

    Plain: ``Route("GET", "/health", handler)`` where ``handler(req, send)`` writes the
    response with :class:`Response` (it may also return an awaitable, as a ``lambda``
    does, or return data, sent as JSON with ``status``).

    Typed: with ``body`` and/or ``response``, the handler is ``handler(req, body)`` (or
    ``handler(req)`` without ``body``) and *returns* its result, encoded as ``response``
    with ``status``. ``body`` is read from the JSON body for POST/PUT/PATCH, and from path
    and query parameters otherwise. Both types feed the OpenAPI document::

        Route("POST", "/users", create_user, body=UserIn, response=UserOut, status=201)
    """

    kind = "route"

    def __init__(
        self,
        method: str,
        path: str,
        handler: Callable[..., Any],
        *,
        body: type[msgspec.Struct] | None = None,
        response: type[msgspec.Struct] | None = None,
        status: int = 200,
        summary: str = "",
        description: str = "",
        tags: Sequence[str] = (),
        name: str = "",
        include_in_schema: bool = True,
    ) -> None:
        super().__init__(
            method,
            path,
            body=body,
            response=response,
            status=status,
            summary=summary,
            description=description,
            tags=tags,
            name=name or getattr(handler, "__name__", ""),
            include_in_schema=include_in_schema,
        )
        if not callable(handler):
            raise RegistrationError(
                f"route {self.label}: handler must be callable, got {handler!r}"
            )
        self.handler = handler
        self.typed = body is not None or response is not None
        self.plain = not self.typed
        if not self.description and handler.__doc__ and self.typed:
            self.description = inspect.cleandoc(handler.__doc__)

    async def invoke(self, req: Request, send: Send) -> None:
        if self.typed:
            if self.body is not None:
                data = await self.read_input(req)
                result = self.handler(req, data)
            else:
                result = self.handler(req)
            if inspect.isawaitable(result):
                result = await result
            if not req.status:
                await self.send_result(req, send, result, self.status)
            return
        result = self.handler(req, send)
        if result is not None and (type(result) is CoroutineType or inspect.isawaitable(result)):
            result = await result
        if not req.status:
            await self.finish(req, result, send)

    async def finish(self, req: Request, result: Any, send: Send | None = None) -> None:
        """After a plain handler that sent nothing: send what it returned, as JSON."""
        if result is None:
            raise StateError(f"{self.label}: the handler returned without sending a response")
        await Response.json(req.send if send is None else send, result, self.status)
