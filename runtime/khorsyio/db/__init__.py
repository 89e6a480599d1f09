"""Database layer (placeholder until the database issue lands): the seams App relies on."""

from __future__ import annotations

from typing import Any

from khorsyio.settings import DbSettings

__all__ = ["Database"]


class Database:
    def __init__(self, dsn: str = "", **options: Any) -> None:
        self.dsn = dsn

    @classmethod
    def from_settings(cls, settings: DbSettings, *, configured: bool) -> Database:
        return cls(settings.dsn)

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None
