"""The database layer's errors (defined, with the whole tree, in :mod:`khorsyio.errors`).

:class:`QueryError` is a client mistake (an unknown filter field, a bad value): the HTTP
layer answers it with 400 and ``code = "bad_query"``. The others are programming or
configuration mistakes.
"""

from __future__ import annotations

from khorsyio.errors import (
    DatabaseConfigError,
    DatabaseUnavailable,
    DatabaseUsageError,
    PlaceholderError,
    QueryError,
)

__all__ = [
    "DatabaseConfigError",
    "DatabaseUnavailable",
    "DatabaseUsageError",
    "PlaceholderError",
    "QueryError",
]
