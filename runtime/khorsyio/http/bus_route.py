"""BusRoute: an HTTP route the runtime answers with ``bus.request`` (no hand-written handler)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from khorsyio.domain import qualify
from khorsyio.durations import seconds
from khorsyio.errors import RegistrationError, StateError
from khorsyio.graph import Node
from khorsyio.http.errors import BadRequest
from khorsyio.http.examples import (
    SAFE_MESSAGES,
    ResolvedExample,
    RouteExample,
    resolve_route_examples,
)
from khorsyio.http.response import Response, Send
from khorsyio.http.routes import BaseRoute, NoBody, check_status
from khorsyio.logtext import logger

if TYPE_CHECKING:
    from khorsyio.http.request import Request

__all__ = ["DEFAULT_BUS_ERRORS", "BusRoute"]

log = logger("khorsyio.http")


DEFAULT_BUS_ERRORS: Mapping[str, int] = {
    "validation": 422,
    "not_found": 404,
    "timeout": 504,
    "shutdown": 503,
}

_SAFE = SAFE_MESSAGES

_LOGGED_BY_BUS = frozenset({"handler_error", "publish_error"})
"""Failures the bus has logged already, with their traceback: one log line a request."""


def _client_status(details: Mapping[str, Any]) -> int | None:
    """The 4xx status a handler's ``ClientError`` carried (in ``details``), if any."""
    status = details.get("status")
    return status if isinstance(status, int) and 400 <= status < 500 else None


class BusRoute(BaseRoute):
    """A route the runtime answers with ``bus.request``: no hand-written handler.

    The request Struct (``body``) is built from the JSON body (POST/PUT/PATCH) or from the
    path and query parameters (GET/DELETE); ``app.bus.request(event, data,
    response_type=reply)`` runs the chain; the reply payload is answered with ``status``.
    An error envelope's ``code`` maps through ``errors`` (then validation→422,
    not_found→404, timeout→504, shutdown→503); a ``ClientError`` raised by a handler keeps
    its own 4xx status; anything else is a 500 with a safe message. ``examples``
    (:class:`RouteExample`) are shown in the OpenAPI document, checked against the
    contracts here::

        BusRoute("POST", "/users", event="user.create", reply="user.created",
                 body=UserIn, response=UserOut, status=201, errors={"exists": 409},
                 examples=[RouteExample("ada", request={"name": "ada"}, error="exists")])
    """

    kind = "bus"

    def __init__(
        self,
        method: str,
        path: str,
        *,
        event: str,
        reply: str,
        body: type[msgspec.Struct] | None = None,
        response: type[msgspec.Struct] | None = None,
        status: int = 200,
        errors: Mapping[str, int] | None = None,
        timeout: float | None = None,
        examples: Sequence[RouteExample] = (),
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
            name=name,
            include_in_schema=include_in_schema,
        )
        for what, ev in (("event", event), ("reply", reply)):
            if not isinstance(ev, str) or not ev:
                raise RegistrationError(
                    f"bus route {self.label}: {what} must be a non-empty event name"
                )
        self.event = event
        self.reply = reply
        self.errors = dict(errors or {})
        for code, st in self.errors.items():
            check_status(st, f"bus route {self.label}: errors[{code!r}]")
        if timeout is not None:
            seconds(timeout, f"bus route {self.label}: timeout", error=RegistrationError)
        self.timeout = timeout
        self._error_status = {**DEFAULT_BUS_ERRORS, **self.errors}
        self._examples = resolve_route_examples(
            examples,
            label=self.label,
            body=self.body,
            response=self.response,
            status=self.status,
            error_statuses=self._error_status,
        )
        self.examples: tuple[RouteExample, ...] = tuple(examples)

    def in_namespace(self, namespace: str) -> BusRoute:
        """This route with ``event``/``reply`` qualified as a domain's handler events."""
        clone = object.__new__(BusRoute)
        clone.__dict__.update(self.__dict__)
        clone.event = qualify(namespace, self.event)
        clone.reply = qualify(namespace, self.reply)
        return clone

    def error_statuses(self) -> dict[str, int]:
        return dict(self._error_status)

    def resolved_examples(self) -> tuple[ResolvedExample, ...]:
        """The ``examples``, checked, as JSON values (what the OpenAPI document shows)."""
        return self._examples

    async def invoke(self, req: Request, send: Send) -> None:
        app = req.app
        if app is None:
            raise StateError(f"{self.label}: a bus route needs the App")
        if self.body is None:
            data: Any = NoBody()
        else:
            data = await self.read_input(req)
            if data is None:
                raise BadRequest("a request body is required")
        env = await app.bus.request(
            self.event,
            data,
            response_type=self.reply,
            source="http",
            timeout=self.timeout,
            trace_id=req.trace_id,
            user_id=req.user_id,
        )
        err = env.error
        if err is None:
            await self.send_result(req, send, env.payload, self.status)
            return
        # a ClientError's own status is the most specific statement; then the route's table
        status = _client_status(err.details) or self._error_status.get(err.code) or 500
        if status >= 500:
            log.log(
                logging.DEBUG if err.code in _LOGGED_BY_BUS else logging.ERROR,
                "%s failed: code=%s message=%s source=%s trace=%s",
                self.label,
                err.code,
                err.message,
                err.source,
                env.trace_id,
            )
            debug = app.settings.server.debug
            message = err.message if debug else _SAFE.get(status, "internal error")
            code = err.code if err.code in self._error_status else "internal"
            await Response.error(send, message, status, code, headers={"x-trace-id": env.trace_id})
            return
        field = err.details.get("field")
        if isinstance(field, str):
            await Response.json(
                send, {"error": err.message, "code": err.code, "field": field}, status
            )
            return
        await Response.error(send, err.message, status, err.code)

    def graph_nodes(self) -> list[Node]:
        return [
            Node(
                kind="route",
                name=self.label,
                produces=(self.event,),
                awaits=self.reply,
                output_type=self.body if self.body is not None else NoBody,
            )
        ]
