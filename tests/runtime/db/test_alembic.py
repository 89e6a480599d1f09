"""The Alembic recipe of docs/database.md, run as a user would: the alembic CLI on a project.

The env.py block is taken from the docs, so the documented recipe is the tested one.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from khorsyio.db import Database

from .conftest import pg_dsn

pytestmark = pytest.mark.slow

DOC = Path(__file__).resolve().parents[3] / "docs" / "database.md"
MARKER = "<!-- alembic-env.py"

MODELS = """\
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from khorsyio import Base


class MigratedItem(Base):
    __tablename__ = "migrated_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
"""


def documented_env_py() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("```python\n", text.index(MARKER)) + len("```python\n")
    return text[start : text.index("```", start)]


def alembic(project: Path, dsn: str, *args: str) -> str:
    env = {**os.environ, "DB_DSN": dsn}
    done = subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"alembic {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def make_project(tmp_path: Path, dsn: str) -> Path:
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "__init__.py").write_text("")
    (project / "app" / "models.py").write_text(MODELS)
    alembic(project, dsn, "init", "-t", "async", "migrations")
    (project / "migrations" / "env.py").write_text(documented_env_py())
    return project


async def _tables(dsn: str) -> list[dict[str, object]]:
    db = Database(dsn)
    try:
        if db.backend == "postgresql":
            sql = "select tablename as name from pg_tables where schemaname = 'public' order by 1"
        else:
            sql = "select name from sqlite_master where type = 'table' order by 1"
        return await db.fetch(sql)
    finally:
        await db.close()


async def _use_items(dsn: str) -> object:
    db = Database(dsn)
    try:
        await db.execute("insert into migrated_items (title) values ($1)", "first")
        return await db.fetchval("select title from migrated_items")
    finally:
        await db.close()


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(pg_dsn(), timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def dsn(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    name = f"khorsyio_alembic_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'create database "{name}"'))
    try:
        yield pg_dsn().rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(_pg_admin(f'drop database "{name}"'))


def test_documented_alembic_recipe(tmp_path: Path, dsn: str) -> None:
    project = make_project(tmp_path, dsn)

    generated = alembic(project, dsn, "revision", "--autogenerate", "-m", "items")
    assert "Detected added table 'migrated_items'" in generated
    (version,) = (project / "migrations" / "versions").glob("*_items.py")
    assert "op.create_table('migrated_items'" in version.read_text().replace('"', "'")

    alembic(project, dsn, "upgrade", "head")
    names = [t["name"] for t in asyncio.run(_tables(dsn))]
    assert "migrated_items" in names
    assert "alembic_version" in names
    assert asyncio.run(_use_items(dsn)) == "first"

    sql = alembic(project, dsn, "downgrade", "head:base", "--sql")
    assert "DROP TABLE migrated_items" in sql

    alembic(project, dsn, "downgrade", "base")
    assert "migrated_items" not in [t["name"] for t in asyncio.run(_tables(dsn))]
