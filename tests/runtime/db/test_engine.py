"""DSNs, settings, startup (configured DB must answer, default opens lazily), memory SQLite."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from khorsyio import App, Base, Settings
from khorsyio.db import (
    DEFAULT_DSN,
    Database,
    DatabaseConfigError,
    DatabaseUnavailable,
    DatabaseUsageError,
)
from khorsyio.errors import KhorsyioError
from khorsyio.settings import DbSettings
from khorsyio.testing import TestClient

from .conftest import pg_dsn


@pytest.mark.parametrize(
    ("dsn", "async_dsn", "sync_dsn", "backend"),
    [
        ("", DEFAULT_DSN, "sqlite:///./app.db", "sqlite"),
        (
            "postgresql://u:pw@h:5432/db",
            "postgresql+asyncpg://u:pw@h:5432/db",
            "postgresql://u:pw@h:5432/db",
            "postgresql",
        ),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db", "postgresql://u@h/db", "postgresql"),
        (
            "postgresql+asyncpg://h/db?ssl=require",
            "postgresql+asyncpg://h/db?ssl=require",
            "postgresql://h/db?ssl=require",
            "postgresql",
        ),
        ("POSTGRES://h/db", "postgresql+asyncpg://h/db", "postgresql://h/db", "postgresql"),
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db", "sqlite:///data/x.db", "sqlite"),
        (
            "sqlite+aiosqlite:////abs/x.db",
            "sqlite+aiosqlite:////abs/x.db",
            "sqlite:////abs/x.db",
            "sqlite",
        ),
        ("sqlite://", "sqlite+aiosqlite://", "sqlite://", "sqlite"),
    ],
)
def test_dsn_forms(dsn: str, async_dsn: str, sync_dsn: str, backend: str) -> None:
    db = Database(dsn)
    assert (db.async_dsn, db.sync_dsn, db.backend) == (async_dsn, sync_dsn, backend)


def test_password_is_masked_in_messages() -> None:
    db = Database("postgresql://user:hunter2@db.example:5432/app")
    assert "hunter2" not in db.safe_dsn
    assert "hunter2" not in repr(db)
    assert db.safe_dsn == "postgresql+asyncpg://user:***@db.example:5432/app"
    assert "hunter2" in db.async_dsn  # Alembic and friends need the real one


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("mysql://root:hunter2@h/db", "'mysql'"),
        ("postgresql+psycopg2://u:hunter2@h/db", "'postgresql+psycopg2'"),
        ("app.db", "none"),
        ("redis://h:6379/0", "'redis'"),
    ],
)
def test_unsupported_scheme_is_a_clear_error(dsn: str, shown: str) -> None:
    with pytest.raises(DatabaseConfigError) as info:
        Database(dsn)
    message = str(info.value)
    assert f"unsupported scheme {shown}" in message
    assert "postgresql://" in message
    assert "sqlite://" in message
    assert "hunter2" not in message
    assert isinstance(info.value, KhorsyioError)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(("pool_min", "pool_max"), [(5, 2), (-1, 2), (0, 0)])
def test_bad_pool_sizes(pool_min: int, pool_max: int) -> None:
    with pytest.raises(DatabaseConfigError, match="DB_POOL_MIN"):
        Database("", pool_min=pool_min, pool_max=pool_max)


def test_from_settings() -> None:
    settings = Settings.load(
        environ={
            "DB_DSN": "postgres://u@h/db",
            "DB_POOL_MIN": "1",
            "DB_POOL_MAX": "3",
            "DB_ECHO": "yes",
        },
        env_file=None,
    )
    app = App(settings=settings)
    db = app.db
    assert (db.backend, db.pool_min, db.pool_max, db.echo, db.configured) == (
        "postgresql",
        1,
        3,
        True,
        True,
    )
    assert app.container.resolve_kwargs is not None  # App built without touching the network
    default = Database.from_settings(DbSettings(), configured=False)
    assert (default.async_dsn, default.configured) == (DEFAULT_DSN, False)


async def test_pool_is_sized_by_settings(tmp_path: Path) -> None:
    db = Database(pg_dsn(), pool_min=3, pool_max=4)
    try:
        await db.connect()  # opens DB_POOL_MIN connections
        pool = db.engine.sync_engine.pool
        assert pool.size() == 4  # type: ignore[attr-defined]
        assert pool.checkedin() == 3  # type: ignore[attr-defined]
    finally:
        await db.close()


# -- startup ---------------------------------------------------------------------------------


async def test_unreachable_configured_database_fails_startup() -> None:
    settings = Settings.load(
        environ={"DB_DSN": "postgresql://postgres:hunter2@127.0.0.1:1/x"}, env_file=None
    )
    app = App(settings=settings)
    with pytest.raises(DatabaseUnavailable) as info:
        await app.startup()
    message = str(info.value)
    assert message.startswith(
        "cannot connect to the database postgresql+asyncpg://postgres:***@127.0.0.1:1/x: "
    )
    assert "hunter2" not in message
    assert "Connect call failed" in message or "refused" in message.lower()
    assert not app.started


def test_unreachable_database_fails_the_asgi_lifespan() -> None:
    settings = Settings.load(
        environ={"DB_DSN": "postgresql://postgres@127.0.0.1:1/x"}, env_file=None
    )
    app = App(settings=settings)
    with (
        pytest.raises(RuntimeError, match="startup failed: cannot connect to the database"),
        TestClient(app),
    ):
        pass


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """A TCP port that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        held.append(w)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for w in held:
        w.close()
    server.close()
    await server.wait_closed()


async def test_silent_database_times_out_at_startup(silent_server: int) -> None:
    db = Database(f"postgresql://postgres@127.0.0.1:{silent_server}/x", connect_timeout=0.5)
    with pytest.raises(DatabaseUnavailable, match=r"no answer within 0.5s|TimeoutError"):
        await db.connect()


async def test_configured_sqlite_in_a_missing_directory_fails_startup(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/missing/dir/app.db")
    with pytest.raises(DatabaseUnavailable, match="unable to open database file"):
        await db.connect()


async def test_reachable_configured_database_starts(tmp_path: Path) -> None:
    db = Database(pg_dsn())
    try:
        await db.connect()
        assert await db.fetchval("select 1") == 1
    finally:
        await db.close()
    file_db = Database(f"sqlite:///{tmp_path}/configured.db")
    await file_db.connect()
    assert (tmp_path / "configured.db").exists()  # configured: opened at startup
    await file_db.close()


async def test_default_database_is_created_lazily(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DB_DSN", raising=False)
    app = App()
    assert app.db.async_dsn == DEFAULT_DSN
    assert not app.db.configured
    await app.startup()
    await app.shutdown()
    assert os.listdir(tmp_path) == []  # never touched: no file at all

    assert await app.db.fetchval("select 1 + $1", 1) == 2  # first use opens it
    assert (tmp_path / "app.db").exists()
    await app.db.close()


def test_app_without_database_serves_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DB_DSN", raising=False)
    app = App()

    async def health(req: object, send: object) -> dict[str, str]:
        return {"status": "ok"}

    app.router.get("/health", health)
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
    assert not (tmp_path / "app.db").exists()


# -- in-memory SQLite and Base ---------------------------------------------------------------


class Note(Base):
    __tablename__ = "khorsyio_test_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(100))


async def test_base_metadata_and_in_memory_sqlite() -> None:
    db = Database("sqlite://")
    try:
        assert db.metadata is Base.metadata
        await db.create_all()
        await asyncio.gather(
            *(
                db.execute("insert into khorsyio_test_notes (text) values ($1)", f"n{i}")
                for i in range(20)
            )
        )

        async def undone() -> None:
            async with db.transaction():
                await db.execute("delete from khorsyio_test_notes")
                raise RuntimeError("undo")

        with pytest.raises(RuntimeError, match="undo"):
            await undone()
        async with db.session() as s:
            s.add(Note(text="orm"))
        async with db.session() as s:
            texts = (await s.execute(select(Note.text))).scalars().all()
        assert len(texts) == 21
        assert "orm" in texts
        async with db.transaction(), db.session() as s:  # a session joins the transaction
            s.add(Note(text="joined"))
            await s.flush()
            assert await db.fetchval("select count(*) from khorsyio_test_notes") == 22
    finally:
        await db.close()


async def test_in_memory_sqlite_refuses_to_wait_for_itself() -> None:
    db = Database("sqlite://")
    try:
        await db.create_all()
        async with db.session():
            with pytest.raises(DatabaseUsageError, match="one connection"):
                await db.fetchval("select count(*) from khorsyio_test_notes")
        assert await db.fetchval("select count(*) from khorsyio_test_notes") == 0
    finally:
        await db.close()


def test_bad_settings_stop_the_app_when_built() -> None:
    with pytest.raises(DatabaseConfigError, match="unsupported scheme 'mysql'"):
        App(settings=Settings.load(environ={"DB_DSN": "mysql://h/db"}, env_file=None))
    bad_pool = {"DB_POOL_MIN": "9", "DB_POOL_MAX": "3"}
    with pytest.raises(DatabaseConfigError, match="DB_POOL_MIN=9, DB_POOL_MAX=3"):
        App(settings=Settings.load(environ=bad_pool, env_file=None))
