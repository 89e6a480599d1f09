"""How an exception maps to an HTTP answer (the classes live in :mod:`khorsyio.errors`)."""

from __future__ import annotations

import re

import msgspec

from khorsyio.errors import BadRequest, ClientError, PayloadTooLarge, RequestValidationError

__all__ = [
    "BadRequest",
    "PayloadTooLarge",
    "RequestValidationError",
    "client_error_of",
    "validation_error",
]


_AT = re.compile(r" - at `(?P<path>[^`]*)`$")


def validation_error(e: msgspec.ValidationError, where: str = "$") -> RequestValidationError:
    """A 422 from msgspec's message (``Expected `int`, got `str` - at `$.age```)."""
    text = str(e)
    m = _AT.search(text)
    path = m.group("path") if m else where
    if where != "$" and path.startswith("$"):
        path = where + path[1:]
    message = _AT.sub("", text)
    return RequestValidationError(f"{message} - at `{path}`", field=path)


def client_error_of(exc: BaseException) -> tuple[int, str, str, str | None] | None:
    """``(status, code, message, field)`` when ``exc`` is the client's fault, else ``None``.

    Client faults: :class:`~khorsyio.errors.ClientError` (and subclasses), any exception
    with an integer ``http_status`` attribute in 400..499 (e.g. the db query helpers'
    ``QueryError``), and ``msgspec.ValidationError`` (422, as in khorsyio 0.2).
    """
    if isinstance(exc, ClientError):
        return exc.status, exc.code, exc.message, exc.field
    status = getattr(exc, "http_status", None)
    if isinstance(status, int) and not isinstance(status, bool) and 400 <= status < 500:
        code = getattr(exc, "code", None)
        return status, code if isinstance(code, str) and code else "bad_request", str(exc), None
    if isinstance(exc, msgspec.ValidationError):
        err = validation_error(exc)
        return err.status, err.code, err.message, err.field
    return None
