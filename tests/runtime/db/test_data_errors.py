"""Issue 15: a value the driver refuses is the client's mistake (InvalidValue, 422), never a
500 — through the facade, ORM sessions and the query helpers, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from khorsyio import App, BusRoute, ClientError, Context, Handler, InvalidValue
from khorsyio.db import Database, apply_filters
from khorsyio.http.errors import client_error_of
from khorsyio.settings import Settings
from khorsyio.testing import TestClient

from .conftest import Model, User, _pg_admin, make_db

HUGE = 2**63  # one over a signed 64-bit integer


def refused(exc: pytest.ExceptionInfo[InvalidValue], value: Any) -> str:
    """The message, checked: a 422 ``invalid_value`` that does not repeat the value."""
    e = exc.value
    assert isinstance(e, ClientError)
    assert isinstance(e, ValueError)
    assert client_error_of(e) == (422, "invalid_value", e.message, None)
    assert str(value)[:50] not in e.message
    assert e.__cause__ is not None  # the driver's error stays inspectable
    return e.message


async def test_an_integer_over_64_bits_is_invalid_value(db: Database) -> None:
    with pytest.raises(InvalidValue) as exc:
        await db.fetch("select id from users where id = $1", HUGE)
    assert re.search(r"out of (int\d+ )?range", refused(exc, HUGE))
    with pytest.raises(InvalidValue):
        async with db.session() as session:
            await session.get(User, HUGE)
    # the connection is fine afterwards
    assert await db.fetchval("select count(*) from users") == 0


async def test_a_value_a_postgresql_column_cannot_hold_is_invalid_value(db: Database) -> None:
    if db.backend != "postgresql":
        pytest.skip("SQLite columns take any size")
    with pytest.raises(InvalidValue) as exc:  # users.age is an int4
        await db.execute("insert into users (name, age) values ($1, $2)", "ada", 2**31)
    assert "int32" in refused(exc, 2**31)
    long_name = "x" * 5000  # name is varchar(100)
    with pytest.raises(InvalidValue) as exc:
        async with db.session() as session:
            session.add(User(name=long_name))
    assert "too long" in refused(exc, long_name)
    with pytest.raises(InvalidValue):
        await db.fetch("select $1::int", "not a number")
    assert await db.fetchval("select count(*) from users") == 0


async def test_a_search_too_complex_for_sqlite_is_invalid_value(db: Database) -> None:
    needle = "a%" * 30_000  # escaped to a 90 KB LIKE pattern: over SQLite's 50 KB
    stmt = apply_filters(select(User.id), User, {"name__icontains": needle})
    await db.execute("insert into users (name) values ($1)", "ada")  # LIKE runs on a row
    if db.backend == "sqlite":
        with pytest.raises(InvalidValue) as exc:
            await db.fetch("select id from users where name like $1", needle)
        assert "too long or too complex" in refused(exc, needle)
    async with db.session() as session:
        if db.backend == "sqlite":
            with pytest.raises(InvalidValue):
                await session.execute(stmt)
        else:  # PostgreSQL takes it
            assert (await session.execute(stmt)).all() == []


async def test_other_database_errors_pass_through(db: Database) -> None:
    await db.execute("insert into users (id, name) values ($1, $2)", 1, "ada")
    with pytest.raises(DBAPIError) as exc:  # a duplicate key: the app's to map
        await db.execute("insert into users (id, name) values ($1, $2)", 1, "alan")
    assert not isinstance(exc.value, ClientError)
    with pytest.raises(DBAPIError) as exc:
        await db.fetch("select nope from users")
    assert not isinstance(exc.value, ClientError)


class Key(msgspec.Struct):
    id: str  # text: the contract does not bound it, the database does


class Found(msgspec.Struct):
    ids: list[int]


class Search(Handler[Key, Found]):
    subscribes_to = "user.search"
    publishes = "user.found"

    def __init__(self, db: Database) -> None:
        self._db = db

    async def process(self, data: Key, ctx: Context) -> Found:
        rows = await self._db.fetch("select id from users where id = $1", int(data.id))
        return Found(ids=[r["id"] for r in rows])


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_a_bus_route_answers_a_refused_value_422_and_logs_nothing(
    backend: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db, schema = await make_db(backend, tmp_path)
    try:
        await db.create_all(Model.metadata)
        app = App(settings=Settings())
        app.register(Search(db))
        app.router.add(
            BusRoute(
                "GET",
                "/users/{id}",
                event="user.search",
                reply="user.found",
                body=Key,
                response=Found,
            )
        )
        async with TestClient(app) as client:
            assert (await client.get("/users/7")).json() == {"ids": []}
            caplog.clear()
            res = await client.get(f"/users/{HUGE}")
        assert res.status_code == 422, res.text
        assert res.json()["code"] == "invalid_value"
        assert str(HUGE) not in res.text
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    finally:
        await db.close()
        if schema is not None:
            await _pg_admin(f'drop schema "{schema}" cascade')
