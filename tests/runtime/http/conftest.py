from __future__ import annotations

from typing import Any

import msgspec

from khorsyio import App, CorsConfig
from khorsyio.settings import HttpSettings, ServerSettings, Settings


def make_app(cors: CorsConfig | None = None, *, debug: bool = False, **http: Any) -> App:
    """An App on default settings (the environment and .env are not read)."""
    settings = Settings(http=HttpSettings(**http), server=ServerSettings(debug=debug))
    return App(cors=cors, settings=settings)


class UserIn(msgspec.Struct):
    name: str
    age: int = 0


class UserOut(msgspec.Struct):
    id: int
    name: str
    age: int = 0
