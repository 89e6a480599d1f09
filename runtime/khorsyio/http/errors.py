"""How an exception maps to an HTTP answer (the classes live in :mod:`khorsyio.errors`).

The mapping is declared, never guessed from attributes:

- a :class:`~khorsyio.errors.ClientError` (or subclass) carries its own ``status`` and
  ``code``;
- other exception types are declared once, with :func:`map_exception`, as the client error
  they stand for (``msgspec.ValidationError`` is declared here: 422 ``validation``);
- anything else is a server error (500 ``internal``, logged, its text never sent).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

import msgspec

from khorsyio.errors import (
    BadRequest,
    ClientError,
    PayloadTooLarge,
    RequestValidationError,
    UsageError,
    UsageTypeError,
)

__all__ = [
    "BadRequest",
    "PayloadTooLarge",
    "RequestValidationError",
    "client_error_of",
    "map_exception",
    "mapped_exceptions",
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


class _Declared(NamedTuple):
    status: int
    code: str
    convert: Callable[[BaseException], ClientError]


_DECLARED: dict[type[BaseException], _Declared] = {}
"""Foreign exception types: their status, code, and how each becomes a :class:`ClientError`."""


def _as_validation_error(exc: BaseException) -> ClientError:
    assert isinstance(exc, msgspec.ValidationError)
    return validation_error(exc)


def map_exception(
    exc_type: type[BaseException],
    *,
    status: int,
    code: str,
    message: str | None = None,
) -> None:
    """Declare that ``exc_type`` (and its subclasses) is a client error: ``status``, ``code``.

    For exception types you do not own (a library's ``NotFound``, ``PermissionError``); your
    own exceptions should subclass :class:`~khorsyio.errors.ClientError` instead. The body is
    ``{"error": message, "code": code}``: ``message`` when given, else ``str(exc)`` (give a
    fixed ``message`` when the exception's text is not meant for clients)::

        map_exception(PermissionError, status=403, code="forbidden", message="forbidden")

    ``status`` is a 4xx: a server error is never answered with an exception's text. The
    declaration is process-wide (make it at import time) and a later one for the same type
    replaces the earlier; the most specific declared class of an exception wins.
    """
    if not isinstance(exc_type, type) or not issubclass(exc_type, BaseException):
        raise UsageTypeError(f"map_exception() takes an exception class, got {exc_type!r}")
    if issubclass(exc_type, ClientError):
        raise UsageError(
            f"map_exception({exc_type.__qualname__}): a ClientError carries its own status "
            "and code (set them as class attributes)"
        )
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status < 500:
        raise UsageError(
            f"map_exception({exc_type.__qualname__}): status must be a 4xx integer, "
            f"got {status!r} (anything else is answered 500 'internal')"
        )
    if not isinstance(code, str) or not code:
        raise UsageError(f"map_exception({exc_type.__qualname__}): code must be a non-empty str")
    if message is not None and not isinstance(message, str):
        raise UsageTypeError(f"map_exception({exc_type.__qualname__}): message must be a str")

    def convert(exc: BaseException) -> ClientError:
        return ClientError(message if message is not None else str(exc), status=status, code=code)

    _DECLARED[exc_type] = _Declared(status, code, convert)


def mapped_exceptions() -> dict[type[BaseException], tuple[int, str]]:
    """The declared foreign exception types, with the ``(status, code)`` each answers."""
    return {tp: (d.status, d.code) for tp, d in _DECLARED.items()}


_DECLARED[msgspec.ValidationError] = _Declared(422, "validation", _as_validation_error)


def _declared(exc: BaseException) -> ClientError | None:
    if isinstance(exc, ClientError):
        return exc
    for tp in type(exc).__mro__:  # the most specific declared class first
        declared = _DECLARED.get(tp)
        if declared is not None:
            return declared.convert(exc)
    return None


def client_error_of(exc: BaseException) -> tuple[int, str, str, str | None] | None:
    """``(status, code, message, field)`` when ``exc`` is the client's fault, else ``None``.

    Client faults: :class:`~khorsyio.errors.ClientError` (and subclasses, e.g. the db query
    helpers' ``QueryError``), and the exception types declared with :func:`map_exception`
    (``msgspec.ValidationError``: 422 ``validation``, as in khorsyio 0.2).
    """
    err = _declared(exc)
    if err is None:
        return None
    return err.status, err.code, err.message, err.field
