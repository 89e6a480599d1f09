"""Errors of the database layer.

:class:`QueryError` is a client mistake (an unknown filter field, a bad value): the HTTP
layer answers it with 400 and ``code = "bad_query"``. The others are programming or
configuration mistakes.
"""

from __future__ import annotations

from khorsyio.errors import ClientError, ConfigError, KhorsyioError

__all__ = [
    "DatabaseConfigError",
    "DatabaseUnavailable",
    "DatabaseUsageError",
    "PlaceholderError",
    "QueryError",
]


class DatabaseConfigError(ConfigError):
    """Database settings that cannot work: unsupported DSN scheme, bad pool sizes, no driver."""


class DatabaseUnavailable(KhorsyioError, ConnectionError):
    """A configured database could not be reached (raised by ``Database.connect()`` at startup)."""


class DatabaseUsageError(KhorsyioError, RuntimeError):
    """A call that cannot work where it is made (it would wait forever for a connection)."""


class PlaceholderError(KhorsyioError, ValueError):
    """The ``$1..$n`` placeholders of a query do not match the arguments given."""


class QueryError(ClientError, ValueError):
    """A filter, order or page request that the query helpers refuse (HTTP 400, ``bad_query``).

    Field names and values in these requests may come from clients, so the message names
    the offending field or value and what is accepted.
    """

    status: int = 400
    http_status: int = 400
    code: str = "bad_query"
