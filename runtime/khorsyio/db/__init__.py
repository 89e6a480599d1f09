"""Database layer: an asyncpg-style facade over SQLAlchemy 2.0 async, ``Base`` and query helpers.

SQLite (aiosqlite) is the embedded default; PostgreSQL goes through asyncpg. See
``docs/database.md``.
"""

from __future__ import annotations

from khorsyio.db.base import Base
from khorsyio.db.database import Database
from khorsyio.db.dead_letter_table import dead_letter_table as _dead_letter_table
from khorsyio.db.dsn import DEFAULT_DSN
from khorsyio.db.errors import (
    DatabaseConfigError,
    DatabaseUnavailable,
    DatabaseUsageError,
    InvalidValue,
    PlaceholderError,
    QueryError,
)
from khorsyio.db.page import Page
from khorsyio.db.query import OPS, apply_cursor, apply_filters, apply_order, paginate

del _dead_letter_table  # imported for its table on Base.metadata (khorsyio_dead_letters)

__all__ = [
    "DEFAULT_DSN",
    "OPS",
    "Base",
    "Database",
    "DatabaseConfigError",
    "DatabaseUnavailable",
    "DatabaseUsageError",
    "InvalidValue",
    "Page",
    "PlaceholderError",
    "QueryError",
    "apply_cursor",
    "apply_filters",
    "apply_order",
    "paginate",
]
