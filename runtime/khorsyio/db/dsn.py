"""DSN handling: the accepted spellings, the async and sync forms, a printable masked form."""

from __future__ import annotations

import importlib.util
from typing import Literal

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from khorsyio.db.errors import DatabaseConfigError

__all__ = ["DEFAULT_DSN", "Backend", "backend_of", "mask", "normalize", "sync_url"]

DEFAULT_DSN = "sqlite+aiosqlite:///./app.db"
"""The embedded default: a SQLite file ``app.db`` in the working directory, opened on first use."""

Backend = Literal["postgresql", "sqlite"]

_ASYNC_DRIVERS: dict[str, tuple[Backend, str]] = {
    "postgresql": ("postgresql", "postgresql+asyncpg"),
    "postgres": ("postgresql", "postgresql+asyncpg"),
    "postgresql+asyncpg": ("postgresql", "postgresql+asyncpg"),
    "sqlite": ("sqlite", "sqlite+aiosqlite"),
    "sqlite+aiosqlite": ("sqlite", "sqlite+aiosqlite"),
}


def _scheme(dsn: str) -> str:
    return dsn.split(":", 1)[0].strip().lower() if ":" in dsn else ""


def normalize(dsn: str) -> URL:
    """The SQLAlchemy async URL for ``dsn`` (empty: :data:`DEFAULT_DSN`).

    ``postgresql://``, ``postgres://`` and ``postgresql+asyncpg://`` become
    ``postgresql+asyncpg://``; ``sqlite://`` becomes ``sqlite+aiosqlite://``. Anything else
    raises :class:`DatabaseConfigError`.
    """
    dsn = dsn.strip() or DEFAULT_DSN
    scheme = _scheme(dsn)
    if scheme not in _ASYNC_DRIVERS:
        accepted = ", ".join(f"{s}://" for s in _ASYNC_DRIVERS)
        shown = f"{scheme!r}" if scheme else "none"
        raise DatabaseConfigError(
            f"DB_DSN: unsupported scheme {shown} in {_mask_raw(dsn)!r}; accepted: {accepted}"
        )
    backend, driver = _ASYNC_DRIVERS[scheme]
    rest = dsn.split(":", 1)[1]
    try:
        url = make_url(f"{driver}:{rest}")
    except (ArgumentError, ValueError) as e:
        raise DatabaseConfigError(f"DB_DSN: cannot parse {_mask_raw(dsn)!r}: {e}") from None
    if backend == "postgresql" and importlib.util.find_spec("asyncpg") is None:
        raise DatabaseConfigError(
            "DB_DSN points to PostgreSQL but the asyncpg driver is not installed: "
            "pip install 'khorsyio[postgres]'"
        )
    return url


def backend_of(url: URL) -> Backend:
    return "postgresql" if url.get_backend_name() == "postgresql" else "sqlite"


def sync_url(url: URL) -> URL:
    """The same database without the async driver (``postgresql://``, ``sqlite://``)."""
    return url.set(drivername=url.get_backend_name())


def mask(url: URL) -> str:
    """``url`` as text with the password replaced by ``***``."""
    return url.render_as_string(hide_password=True)


def _mask_raw(dsn: str) -> str:
    """Mask the password of a DSN that may not even parse (``scheme://user:pw@host``)."""
    head, sep, tail = dsn.partition("://")
    if not sep or "@" not in tail:
        return dsn
    creds, at, host = tail.rpartition("@")
    if ":" in creds:
        creds = creds.split(":", 1)[0] + ":***"
    return f"{head}{sep}{creds}{at}{host}"
