"""The database layer's errors (defined, with the whole tree, in :mod:`khorsyio.errors`).

:class:`QueryError` is a client mistake (an unknown filter field, a bad value): the HTTP
layer answers it with 400 and ``code = "bad_query"``. :class:`InvalidValue` is a value the
driver refused (an integer out of range, a text too long): 422 ``invalid_value``. The
others are programming or configuration mistakes.
"""

from __future__ import annotations

from khorsyio.errors import (
    DatabaseConfigError,
    DatabaseUnavailable,
    DatabaseUsageError,
    InvalidValue,
    PlaceholderError,
    QueryError,
)

__all__ = [
    "DatabaseConfigError",
    "DatabaseUnavailable",
    "DatabaseUsageError",
    "InvalidValue",
    "PlaceholderError",
    "QueryError",
]
