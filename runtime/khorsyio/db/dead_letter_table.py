"""The table of the durable dead letters, ``khorsyio_dead_letters``, on ``Base.metadata``.

Declared on the models' metadata so that ``db.create_all()`` creates it and Alembic's
autogenerate neither misses it nor proposes to drop it. The project template ships the
migration that creates it (``migrations/versions/0000_khorsyio_dead_letters.py``); the two
are kept identical by the template's ``alembic check`` test.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, String, Table, Text

from khorsyio.db.base import Base

__all__ = ["DEAD_LETTER_MIGRATION", "DEAD_LETTER_TABLE", "dead_letter_table"]

DEAD_LETTER_TABLE = "khorsyio_dead_letters"
DEAD_LETTER_MIGRATION = "migrations/versions/0000_khorsyio_dead_letters.py"
"""The template's migration that creates the table (named in the startup error)."""

dead_letter_table = Table(
    DEAD_LETTER_TABLE,
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("handler", String(200), nullable=False, index=True),
    Column("event_type", String(200), nullable=False),
    Column("trace_id", String(64), nullable=False, index=True),
    Column("envelope", Text, nullable=False),  # the event as msgspec JSON
    Column("error", Text, nullable=False),  # the last khorsyio.events.Error as JSON
    Column("attempts", Integer, nullable=False),
    Column("failed_at", Float, nullable=False),  # seconds since the epoch (time.time())
    sqlite_autoincrement=True,  # ids are never reused: a replayed letter's is not a new one's
)
