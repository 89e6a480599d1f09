"""Request: what a handler gets. Headers, query, cookies and body are read lazily."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar, overload
from urllib.parse import parse_qs, unquote

import msgspec

from khorsyio.errors import (
    BadRequest,
    ClientDisconnect,
    PayloadTooLarge,
    StateError,
    UnsupportedMediaType,
)
from khorsyio.events import new_trace_id
from khorsyio.http.errors import validation_error
from khorsyio.http.timeouts import receive_body
from khorsyio.logtext import clip
from khorsyio.types import Receive, Scope, Send

__all__ = ["ClientDisconnect", "Request", "is_json_type"]

T = TypeVar("T")


_decode_any = msgspec.json.Decoder().decode
_TRACE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
# application/json, application/problem+json...; parameters (charset) after a ";"
_JSON_TYPE = re.compile(r"^\s*application/(?:[!#$&^_.+\-\w]*\+)?json\s*(?:;.*)?$", re.I | re.S)


def is_json_type(content_type: str | None) -> bool:
    """``application/json`` or ``application/*+json``, with any parameters."""
    return content_type is not None and _JSON_TYPE.match(content_type) is not None


class Request:
    """One HTTP request.

    ``method``, ``path``, ``path_params`` and ``scope`` are plain attributes; ``headers``,
    ``query``, ``cookies`` and ``state`` are built on first use. ``await body()`` reads the
    body at most once, refusing more than HTTP_MAX_BODY_SIZE bytes while it streams in.
    """

    __slots__ = (
        "_body",
        "_cookies",
        "_extra_headers",
        "_head",
        "_headers",
        "_length_checked",
        "_query",
        "_receive",
        "_send",
        "_state",
        "_trace_id",
        "app",
        "max_body_size",
        "method",
        "path",
        "path_params",
        "route",
        "scope",
        "status",
        "user_id",
    )

    def __init__(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        path_params: dict[str, Any],
        app: Any = None,
        max_body_size: int = 1024 * 1024,
    ) -> None:
        self.scope = scope
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.path_params = path_params
        self.app: Any = app
        """The App serving the request (typed ``Any``, as Starlette's ``request.app``: the
        request is lower than the app that composes it; write ``app: App = req.app``)."""
        self.max_body_size = max_body_size
        self.route: Any = None
        """The :class:`~khorsyio.http.BaseRoute` that matched (None before routing)."""
        self.status = 0
        """The status sent, once the response has started (0 before)."""
        self.user_id = ""
        """Set it in a middleware: bus routes pass it on as the event context's ``user_id``."""
        self._receive = receive
        self._send = send
        self._extra_headers: list[tuple[bytes, bytes]] | None = None
        self._head = False
        self._length_checked = False
        self._headers: dict[str, str] | None = None
        self._query: dict[str, list[str]] | None = None
        self._cookies: dict[str, str] | None = None
        self._state: dict[str, Any] | None = None
        self._body: bytes | None = None
        self._trace_id: str | None = None

    # -- response plumbing ------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> None:
        """The ``send`` handlers get: tracks the status, adds CORS headers, cuts HEAD bodies."""
        if message["type"] == "http.response.start":
            if self.status:
                raise StateError(f"{self.method} {self.path}: the response was already started")
            self.status = message["status"]
            extra = self._extra_headers
            if extra:
                message["headers"] = [*message.get("headers", ()), *extra]
        elif self._head and message.get("body"):
            message = {
                "type": "http.response.body",
                "body": b"",
                "more_body": message.get("more_body", False),
            }
        await self._send(message)

    # -- headers, query, cookies, state ---------------------------------------------

    @property
    def headers(self) -> dict[str, str]:
        """Lower-case names; repeated headers joined with ``", "`` (cookies with ``"; "``)."""
        h = self._headers
        if h is None:
            h = {}
            for k, v in self.scope["headers"]:
                name = k.decode("latin-1").lower()
                value = v.decode("latin-1")
                if name in h:
                    h[name] = h[name] + ("; " if name == "cookie" else ", ") + value
                else:
                    h[name] = value
            self._headers = h
        return h

    @overload
    def header(self, name: str) -> str | None: ...
    @overload
    def header(self, name: str, default: str) -> str: ...
    def header(self, name: str, default: str | None = None) -> str | None:
        """A header by case-insensitive name."""
        return self.headers.get(name.lower(), default)

    @property
    def query(self) -> dict[str, list[str]]:
        """Every query key with all its values, in order."""
        q = self._query
        if q is None:
            raw = self.scope.get("query_string", b"")
            q = (
                parse_qs(raw.decode("latin-1"), keep_blank_values=True, errors="replace")
                if raw
                else {}
            )
            self._query = q
        return q

    @overload
    def param(self, name: str) -> str | None: ...
    @overload
    def param(self, name: str, default: str) -> str: ...
    def param(self, name: str, default: str | None = None) -> str | None:
        """The first value of query key ``name`` (``?name=a&name=b`` gives ``"a"``)."""
        values = self.query.get(name)
        return values[0] if values else default

    def param_list(self, name: str) -> list[str]:
        """All values of query key ``name`` (``?tag=a&tag=b`` gives ``["a", "b"]``)."""
        return list(self.query.get(name, ()))

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies sent by the client (malformed pairs are skipped)."""
        c = self._cookies
        if c is None:
            c = {}
            raw = self.headers.get("cookie")
            if raw:
                for part in raw.split(";"):
                    name, sep, value = part.partition("=")
                    name = name.strip()
                    if not sep or not name:
                        continue
                    value = value.strip()
                    if len(value) >= 2 and value[0] == value[-1] == '"':
                        value = value[1:-1]
                    c.setdefault(name, unquote(value))
            self._cookies = c
        return c

    @overload
    def cookie(self, name: str) -> str | None: ...
    @overload
    def cookie(self, name: str, default: str) -> str: ...
    def cookie(self, name: str, default: str | None = None) -> str | None:
        return self.cookies.get(name, default)

    @property
    def state(self) -> dict[str, Any]:
        """Per-request storage, e.g. set by a middleware (``req.state["user"] = ...``)."""
        s = self._state
        if s is None:
            s = self._state = {}
        return s

    @property
    def trace_id(self) -> str:
        """The client's ``x-trace-id`` when well-formed, else a fresh id (logs, bus events)."""
        t = self._trace_id
        if t is None:
            given = None
            for k, v in self.scope["headers"]:
                if k == b"x-trace-id":
                    given = v.decode("latin-1")
                    break
            t = given if given and _TRACE.fullmatch(given) else new_trace_id()
            self._trace_id = t
        return t

    # -- body -------------------------------------------------------------------------

    def check_content_length(self) -> None:
        """Raise 413 when the declared Content-Length is over the limit, 400 when malformed."""
        self._length_checked = True
        for k, v in self.scope["headers"]:  # ASGI header names are lower-case
            if k == b"content-length":
                try:
                    n = int(v)
                except ValueError:
                    raise BadRequest("invalid Content-Length header") from None
                if n < 0:
                    raise BadRequest("invalid Content-Length header")
                if n > self.max_body_size:
                    raise PayloadTooLarge(
                        f"request body is {n} bytes; the limit is {self.max_body_size}"
                    )

    async def body(self) -> bytes:
        """The whole body; more than HTTP_MAX_BODY_SIZE bytes gives 413, never buffered."""
        if self._body is not None:
            return self._body
        if not self._length_checked:
            self.check_content_length()
        self._body = await receive_body(
            self._receive, self.max_body_size, f"{self.method} {self.path}"
        )
        return self._body

    @overload
    async def json(self) -> Any: ...
    @overload
    async def json(self, type: type[T]) -> T: ...
    async def json(self, type: Any = None) -> Any:
        """The body decoded as JSON, validated as ``type`` when given.

        The Content-Type must be ``application/json`` or ``application/*+json`` (415
        otherwise, and for a body sent without one): a web page can send ``text/plain`` or
        a form to another site without a CORS preflight, never JSON. Malformed JSON gives
        400; JSON that does not fit ``type`` gives 422 naming the field (``Expected `int`,
        got `str` - at `$.age```).
        """
        content_type = self.header("content-type")
        if content_type is not None and not is_json_type(content_type):
            raise UnsupportedMediaType(
                f"the request body must be JSON (Content-Type: application/json), "
                f"got Content-Type {clip(content_type, 100)!r}"
            )
        raw = await self.body()
        if not raw.strip():
            raise BadRequest("the request body is empty; a JSON document was expected")
        if content_type is None:
            raise UnsupportedMediaType(
                "the request body has no Content-Type; send it as application/json"
            )
        try:
            if type is None:
                return _decode_any(raw)
            return _decoder(type)(raw)
        except msgspec.ValidationError as e:
            raise validation_error(e) from None
        except msgspec.DecodeError as e:
            raise BadRequest(f"malformed JSON: {e}", code="malformed_json") from None
        except RecursionError:
            raise BadRequest(
                "the JSON document is nested too deeply", code="malformed_json"
            ) from None


_decoders: dict[Any, Callable[[bytes], Any]] = {}


def _decoder(tp: Any) -> Callable[[bytes], Any]:
    d = _decoders.get(tp)
    if d is None:
        d = _decoders[tp] = msgspec.json.Decoder(tp).decode
    return d
