"""Driver errors caused by a value, raised as the client's mistake (:class:`InvalidValue`).

A value straight from a request can be one the database cannot take: an integer over 64
bits (sqlite3's ``OverflowError``), over a PostgreSQL ``integer``, a text too long for its
``varchar``, a ``LIKE`` pattern SQLite finds too complex. Those are 422 ``invalid_value``
answers, not 500s. Recognised: ``OverflowError``; SQLAlchemy's ``DataError``; any error
with a PostgreSQL SQLSTATE of class 22, "data exception" (22003 numeric value out of range,
22001 string data right truncation, 22P02 invalid text representation...), which
SQLAlchemy's asyncpg adapter reports as a plain ``DBAPIError``; SQLite's "LIKE or GLOB
pattern too complex". One listener on the engine's ``handle_error`` event does it for every
statement (facade calls, ORM sessions, Core): the driver's error stays the ``__cause__``;
the message names the problem, never the whole value. Any other error passes through.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.exc import DataError, OperationalError

from khorsyio.errors import InvalidValue
from khorsyio.logtext import clip

__all__ = ["install", "invalid_value"]

_OUT_OF_RANGE = "a number is out of range for the database (integers are at most 64-bit)"
_TOO_COMPLEX = "a search text is too long or too complex for the database"
_SQLITE_COMPLEX = ("LIKE or GLOB pattern too complex", "pattern too complex")
_CLASS_PREFIX = re.compile(r"^<class '[^']*'>:\s*")
# asyncpg: "invalid input for query argument $1: 123... (value out of int32 range)"
_ARGUMENT = re.compile(r"^invalid input for query argument \$(\d+):.*\(([^()]*)\)\s*$", re.S)


def _reason(orig: BaseException) -> str:
    """The driver's text, first line, without a value it may repeat at length."""
    text = _CLASS_PREFIX.sub("", str(orig)).strip()
    m = _ARGUMENT.match(text)
    if m:
        return f"{m.group(2)} (query argument ${m.group(1)})"
    return clip(text.splitlines()[0] if text else type(orig).__name__, 200)


def _sqlstate(orig: BaseException) -> str:
    """PostgreSQL's SQLSTATE of the error (asyncpg's ``sqlstate``, psycopg's ``pgcode``)."""
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code if isinstance(code, str) else ""


def invalid_value(
    error: BaseException, original: BaseException | None = None
) -> InvalidValue | None:
    """The client error ``error`` (a driver or SQLAlchemy exception) stands for, if any."""
    orig = original if original is not None else getattr(error, "orig", None) or error
    if isinstance(orig, OverflowError) or isinstance(error, OverflowError):
        return InvalidValue(_OUT_OF_RANGE)
    if isinstance(error, DataError) or _sqlstate(orig).startswith("22"):
        return InvalidValue(f"a value was refused by the database: {_reason(orig)}")
    if isinstance(error, OperationalError) and any(s in str(orig) for s in _SQLITE_COMPLEX):
        return InvalidValue(_TOO_COMPLEX)
    return None


def _on_error(ctx: ExceptionContext) -> Any:
    error = ctx.sqlalchemy_exception or ctx.original_exception
    refused = invalid_value(error, ctx.original_exception)
    if refused is not None:
        raise refused from ctx.original_exception
    return None


def install(engine: Engine) -> None:
    """Raise :class:`InvalidValue` for the value errors of every statement on ``engine``."""
    if not event.contains(engine, "handle_error", _on_error):
        event.listen(engine, "handle_error", _on_error)
