"""Response helpers: static coroutines that write an ASGI response through ``send``."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from email.utils import format_datetime
from typing import Any

import msgspec

from khorsyio.errors import UsageError
from khorsyio.types import Send  # defined in khorsyio.types; importable from here too

__all__ = [
    "SHUTDOWN_CODE",
    "SHUTDOWN_MESSAGE",
    "Response",
    "Send",
    "build_cookie",
    "build_headers",
    "error_body",
    "send_response",
]

SHUTDOWN_CODE = "shutdown"
"""The code of work refused because the app is stopping: HTTP 503 and websocket alike."""
SHUTDOWN_MESSAGE = "the service is shutting down"

Header = tuple[bytes, bytes]
HeadersArg = Mapping[str, str] | None
CookiesArg = Mapping[str, "str | Mapping[str, Any]"] | None

_encode = msgspec.json.Encoder().encode

_JSON = (b"content-type", b"application/json")
_TEXT = (b"content-type", b"text/plain; charset=utf-8")
_HTML = (b"content-type", b"text/html; charset=utf-8")

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # CTLs except horizontal tab
# RFC 6265 cookie-octet: no CTLs, whitespace, DQUOTE, comma, semicolon or backslash.
_COOKIE_VALUE = re.compile(
    r'^(?:"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*"|[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*)$'
)
_COOKIE_ATTR = re.compile(r"^[^\x00-\x1f\x7f;]*$")
_SAMESITE = {"lax": "Lax", "strict": "Strict", "none": "None"}


def _check_header(name: str, value: str) -> Header:
    if not isinstance(name, str) or not _TOKEN.fullmatch(name):
        raise UsageError(f"invalid HTTP header name {name!r}")
    value = str(value)
    if _BAD_VALUE.search(value):
        raise UsageError(
            f"HTTP header {name!r}: the value contains CR, LF or another control character"
        )
    return (name.lower().encode("latin-1"), value.encode("latin-1"))


def build_cookie(name: str, spec: str | Mapping[str, Any]) -> Header:
    """A ``set-cookie`` header. ``spec`` is the value, or a dict with ``value`` and attributes.

    Attributes: ``path``, ``domain``, ``max_age`` (seconds), ``expires`` (a datetime, or
    seconds since the epoch, or a ready HTTP date), ``httponly``, ``secure``, ``samesite``
    (``"lax"`` by default, ``"strict"`` or ``"none"``, which needs ``secure``). Names and
    values are checked: CR, LF, ``;`` and other characters a cookie cannot hold are refused
    with a ``ValueError`` (URL-encode such a value first).
    """
    opts: Mapping[str, Any] = {"value": spec} if isinstance(spec, str) else spec
    if not isinstance(name, str) or not _TOKEN.fullmatch(name):
        raise UsageError(f"invalid cookie name {name!r}")
    unknown = set(opts) - {
        "value",
        "path",
        "domain",
        "max_age",
        "expires",
        "httponly",
        "secure",
        "samesite",
    }
    if unknown:
        raise UsageError(f"cookie {name!r}: unknown attribute(s) {', '.join(sorted(unknown))}")
    value = str(opts.get("value", ""))
    if not _COOKIE_VALUE.fullmatch(value):
        raise UsageError(
            f"cookie {name!r}: the value contains characters a cookie cannot hold "
            "(CR, LF, space, ';', ',', '\"' or '\\'); URL-encode it first"
        )
    parts = [f"{name}={value}"]
    for key, label in (("path", "Path"), ("domain", "Domain")):
        if opts.get(key) is not None:
            v = str(opts[key])
            if not _COOKIE_ATTR.fullmatch(v):
                raise UsageError(f"cookie {name!r}: invalid {key} {v!r}")
            parts.append(f"{label}={v}")
    if opts.get("max_age") is not None:
        ma = opts["max_age"]
        if isinstance(ma, bool) or not isinstance(ma, int):
            raise UsageError(f"cookie {name!r}: max_age must be an integer number of seconds")
        parts.append(f"Max-Age={ma}")
    if opts.get("expires") is not None:
        parts.append(f"Expires={_http_date(name, opts['expires'])}")
    if opts.get("httponly"):
        parts.append("HttpOnly")
    if opts.get("secure"):
        parts.append("Secure")
    samesite = str(opts.get("samesite") or "lax").lower()
    if samesite not in _SAMESITE:
        raise UsageError(f"cookie {name!r}: samesite must be 'lax', 'strict' or 'none'")
    if samesite == "none" and not opts.get("secure"):
        raise UsageError(
            f"cookie {name!r}: samesite='none' needs secure=True (browsers require it)"
        )
    parts.append(f"SameSite={_SAMESITE[samesite]}")
    return (b"set-cookie", "; ".join(parts).encode("latin-1"))


def _http_date(name: str, when: Any) -> str:
    if isinstance(when, _dt.datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=_dt.UTC)
        return format_datetime(when.astimezone(_dt.UTC), usegmt=True)
    if isinstance(when, int | float) and not isinstance(when, bool):
        return format_datetime(_dt.datetime.fromtimestamp(when, _dt.UTC), usegmt=True)
    if isinstance(when, str) and _COOKIE_ATTR.fullmatch(when):
        return when
    raise UsageError(f"cookie {name!r}: invalid expires {when!r}")


def build_headers(
    content_type: Header | None, body_len: int, headers: HeadersArg, cookies: CookiesArg
) -> list[Header]:
    """The header list of a response: content type and length, then extra headers and cookies."""
    out: list[Header] = [content_type] if content_type is not None else []
    out.append((b"content-length", str(body_len).encode()))
    if headers:
        out.extend(_check_header(k, v) for k, v in headers.items())
    if cookies:
        out.extend(build_cookie(k, v) for k, v in cookies.items())
    return out


def error_body(message: str, code: str, **extra: Any) -> bytes:
    """The JSON of every error khorsyio answers: ``{"error": message, "code": code, ...}``.

    HTTP errors, the 503 of a stopping app and :meth:`Response.error` all write it here;
    ``extra`` adds fields (``field`` of a validation error, ``detail`` in debug mode).
    """
    return _encode({"error": message, "code": code, **extra})


async def send_response(send: Send, status: int, headers: list[Header], body: bytes) -> None:
    """Write one whole response: its start (status, headers) and its body."""
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _json_headers(body: bytes, headers: HeadersArg, cookies: CookiesArg) -> list[Header]:
    if headers is None and cookies is None:  # the common case: no checks to run
        return [_JSON, (b"content-length", str(len(body)).encode())]
    return build_headers(_JSON, len(body), headers, cookies)


async def _send_body(
    send: Send, status: int, ctype: Header, body: bytes, headers: HeadersArg, cookies: CookiesArg
) -> None:
    await send_response(send, status, build_headers(ctype, len(body), headers, cookies), body)


class Response:
    """Static helpers; each writes one whole response::

    await Response.ok(send, status="ok")                       # 200 {"status": "ok"}
    await Response.json(send, user, status=201, headers={"x-request-id": "1"})
    await Response.error(send, "not found", 404, code="not_found")
    await Response.ok(send, cookies={"session": {"value": "abc", "httponly": True}})
    """

    @staticmethod
    async def json(
        send: Send,
        data: Any,
        status: int = 200,
        headers: HeadersArg = None,
        cookies: CookiesArg = None,
    ) -> None:
        """``data`` (a Struct, dict, list, ... or ready JSON bytes) as ``application/json``."""
        body = data if isinstance(data, bytes) else _encode(data)
        h = _json_headers(body, headers, cookies)
        # the two sends written out, not send_response(): this is the hot path
        await send({"type": "http.response.start", "status": status, "headers": h})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    async def ok(
        send: Send, headers: HeadersArg = None, cookies: CookiesArg = None, **fields: Any
    ) -> None:
        """``200`` with the keyword arguments as a JSON object."""
        body = _encode(fields)
        h = _json_headers(body, headers, cookies)
        await send({"type": "http.response.start", "status": 200, "headers": h})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    async def error(
        send: Send,
        message: str,
        status: int = 400,
        code: str = "error",
        headers: HeadersArg = None,
        cookies: CookiesArg = None,
    ) -> None:
        """``{"error": message, "code": code}`` (:func:`error_body`) with ``status``."""
        await Response.json(send, error_body(message, code), status, headers, cookies)

    @staticmethod
    async def text(
        send: Send,
        text: str,
        status: int = 200,
        headers: HeadersArg = None,
        cookies: CookiesArg = None,
    ) -> None:
        """``text/plain; charset=utf-8``."""
        await _send_body(send, status, _TEXT, text.encode(), headers, cookies)

    @staticmethod
    async def html(
        send: Send,
        html: str,
        status: int = 200,
        headers: HeadersArg = None,
        cookies: CookiesArg = None,
    ) -> None:
        """``text/html; charset=utf-8``."""
        await _send_body(send, status, _HTML, html.encode(), headers, cookies)

    @staticmethod
    async def raw(
        send: Send,
        body: bytes,
        status: int = 200,
        content_type: str = "application/octet-stream",
        headers: HeadersArg = None,
        cookies: CookiesArg = None,
    ) -> None:
        """Any bytes with any content type."""
        ct = _check_header("content-type", content_type)
        await _send_body(send, status, ct, body, headers, cookies)

    @staticmethod
    async def empty(
        send: Send, status: int = 204, headers: HeadersArg = None, cookies: CookiesArg = None
    ) -> None:
        """No body (``204`` by default)."""
        h = build_headers(None, 0, headers, cookies)
        if status == 204 or status == 304:
            h = [x for x in h if x[0] != b"content-length"]
        await send_response(send, status, h, b"")

    @staticmethod
    async def redirect(
        send: Send,
        url: str,
        status: int = 307,
        headers: HeadersArg = None,
        cookies: CookiesArg = None,
    ) -> None:
        """A redirect to ``url`` (``307`` keeps the method; use ``303`` after a POST)."""
        h = build_headers(None, 0, headers, cookies)
        h.append(_check_header("location", url))
        await send_response(send, status, h, b"")
