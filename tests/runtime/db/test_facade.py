"""The asyncpg-style facade, sessions and transactions, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextvars
from datetime import datetime
from typing import Any

import msgspec
import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from khorsyio import App, Context, Handler, Settings
from khorsyio.db import Database

from .conftest import POOL_MAX, User


async def _count(db: Database) -> int:
    # from an empty context: never inside the caller's transaction
    task = asyncio.create_task(
        db.fetchval("select count(*) from users"), context=contextvars.Context()
    )
    return int(await task)


# -- the Database section of the seed README, as written ----------------------------------


class _SeedService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def run(self, user_id: int, name: str) -> dict[str, Any]:
        rows = await self._db.fetch("select * from users where active = $1", True)
        row = await self._db.fetchrow("select * from users where id = $1", user_id)
        val = await self._db.fetchval("select count(*) from users")
        res = await self._db.execute("insert into users (name) values ($1)", name)
        return {"rows": rows, "row": row, "val": val, "res": res}


async def test_seed_facade_snippets(db: Database) -> None:
    await db.executemany(
        "insert into users (name, active) values ($1, $2)", [("ann", True), ("bob", False)]
    )
    got = await _SeedService(db).run(1, "cid")
    assert [r["name"] for r in got["rows"]] == ["ann"]
    assert isinstance(got["rows"][0], dict)
    assert got["row"] is not None
    assert got["row"]["name"] == "ann"
    assert got["val"] == 2
    assert got["res"] == "INSERT 0 1"
    result = await db.execute("delete from users where name = $1", "cid")
    assert "DELETE 1" in result


async def test_seed_orm_session_snippet(db: Database) -> None:
    app = App(settings=Settings())
    app.db = db
    await db.execute("insert into users (name, active) values ($1, $2)", "ann", True)
    await db.execute("insert into users (name, active) values ($1, $2)", "bob", False)

    async with app.db.session() as s:
        result = await s.execute(select(User).where(User.active == True))  # noqa: E712 (seed)
        users = result.scalars().all()

    assert [u.name for u in users] == ["ann"]


class UserIn(msgspec.Struct):
    name: str = ""


class UserOut(msgspec.Struct):
    id: int = 0
    name: str = ""


class CreateUser(Handler):  # type: ignore[type-arg]
    subscribes_to = "user.create"
    publishes = "user.created"
    input_type = UserIn
    output_type = UserOut

    def __init__(self, db):  # type: ignore[no-untyped-def]
        self._db = db  # db -> app.db

    async def process(self, data: UserIn, ctx: Context) -> UserOut:
        row = await self._db.fetchrow(
            "insert into users (name) values ($1) returning id, name", data.name)  # fmt: skip
        return UserOut(**row)


async def test_seed_handler_gets_db_by_name(db: Database) -> None:
    app = App(settings=Settings())
    app.db = db
    app.provide("db", db)
    app.provide(Database, db)
    app.register(CreateUser)
    app.declare_terminal("user.created")
    await app.startup()
    try:
        reply = await app.bus.request("user.create", UserIn(name="zoe"), "user.created", timeout=10)
        assert reply.payload == UserOut(id=1, name="zoe")
        assert await db.fetchval("select name from users where id = $1", 1) == "zoe"
    finally:
        await app.shutdown()


# -- results ---------------------------------------------------------------------------------


async def test_rows_are_dicts_and_empty_results(db: Database) -> None:
    assert await db.fetch("select * from users") == []
    assert await db.fetchrow("select * from users where id = $1", 99) is None
    assert await db.fetchval("select name from users where id = $1", 99) is None
    await db.execute("insert into users (id, name, age) values ($1, $2, $3)", 7, "ann", 30)
    row = await db.fetchrow("select id, name, age from users")
    assert type(row) is dict
    assert row == {"id": 7, "name": "ann", "age": 30}
    assert await db.fetchval("select id, name from users", column=1) == "ann"
    assert await db.fetchval("select id, name from users", column="name") == "ann"
    assert await db.fetch("update users set age = 31") == []


async def test_execute_statuses(db: Database) -> None:
    assert await db.execute("insert into users (name) values ($1), ($2)", "a", "b") == "INSERT 0 2"
    assert await db.execute("insert into users (name) values ($1)", "c") == "INSERT 0 1"
    assert await db.execute("update users set age = $1 where name <> $2", 5, "c") == "UPDATE 2"
    assert await db.execute("update users set age = 1 where id = $1", -1) == "UPDATE 0"
    assert await db.execute("select * from users") == "SELECT 3"
    returning = await db.execute("insert into users (name) values ($1) returning id", "d")
    assert returning == "INSERT 0 1"
    assert await db.execute("delete from users") == "DELETE 4"
    assert await db.execute("create table extra (a int)") == "CREATE TABLE"
    assert await db.execute("drop table extra") == "DROP TABLE"


async def test_executemany(db: Database) -> None:
    assert await db.executemany("insert into users (name, age) values ($1, $2)", []) is None
    rows = [(f"user{i}", i) for i in range(50)]
    assert await db.executemany("insert into users (name, age) values ($1, $2)", rows) is None
    assert await db.fetchval("select sum(age) from users") == sum(range(50))


async def test_executemany_is_all_or_nothing(db: Database) -> None:
    with pytest.raises(IntegrityError):
        await db.executemany("insert into users (id, name) values ($1, $2)", [(1, "a"), (1, "b")])
    assert await db.fetchval("select count(*) from users") == 0


async def test_database_errors_are_sqlalchemy_errors(db: Database) -> None:
    await db.execute("insert into users (id, name) values ($1, $2)", 1, "a")
    with pytest.raises(IntegrityError):
        await db.execute("insert into users (id, name) values ($1, $2)", 1, "b")
    assert await db.fetchval("select count(*) from users") == 1  # the pool still works


async def test_facade_values_load_through_the_orm(db: Database) -> None:
    when = datetime(2024, 5, 6, 7, 8, 9, 123456)
    await db.execute("insert into users (name, created_at) values ($1, $2)", "ann", when)
    async with db.session() as s:
        user = (await s.execute(select(User).where(User.created_at == when))).scalar_one()
    assert user.created_at == when


# -- sessions --------------------------------------------------------------------------------


async def test_session_commits_on_success(db: Database) -> None:
    async with db.session() as s:
        s.add(User(name="ann", age=3))
    assert await db.fetchval("select name from users") == "ann"


async def test_session_rolls_back_on_error(db: Database) -> None:
    async def work() -> None:
        async with db.session() as s:
            s.add(User(name="ann"))
            await s.flush()
            assert await s.scalar(select(User.name)) == "ann"
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await work()
    assert await db.fetchval("select count(*) from users") == 0


# -- transactions ----------------------------------------------------------------------------


async def test_transaction_commits_and_is_isolated_until_then(db: Database) -> None:
    async with db.transaction():
        await db.execute("insert into users (name) values ($1)", "ann")
        assert await db.fetchval("select count(*) from users") == 1  # same transaction
        assert await _count(db) == 0  # others do not see it yet
    assert await _count(db) == 1


async def test_transaction_rolls_back_every_facade_call(db: Database) -> None:
    async def work() -> None:
        async with db.transaction():
            await db.execute("insert into users (name) values ($1)", "ann")
            await db.executemany("insert into users (name) values ($1)", [("bob",), ("cid",)])
            await db.execute("update users set age = 9")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await work()
    assert await db.fetchval("select count(*) from users") == 0


async def test_transaction_rolls_back_on_database_error(db: Database) -> None:
    await db.execute("insert into users (id, name) values ($1, $2)", 1, "ann")

    async def work() -> None:
        async with db.transaction():
            await db.execute("update users set age = 50")
            await db.execute("insert into users (id, name) values ($1, $2)", 1, "dup")

    with pytest.raises(IntegrityError):
        await work()
    assert await db.fetchval("select age from users where id = 1") is None


async def test_transaction_uses_one_connection(db: Database) -> None:
    if db.backend == "postgresql":
        async with db.transaction():
            pids = {await db.fetchval("select pg_backend_pid()") for _ in range(5)}
        assert len(pids) == 1
    async with db.transaction() as conn:
        # facade calls from tasks started inside the transaction share it, one at a time
        await asyncio.gather(
            *(db.execute("insert into users (name) values ($1)", f"u{i}") for i in range(10))
        )
        assert await _count(db) == 0
        assert (await conn.exec_driver_sql("select count(*) from users")).scalar() == 10
    assert await _count(db) == 10


async def test_nested_transaction_is_a_savepoint(db: Database) -> None:
    async def inner() -> None:
        async with db.transaction():
            await db.execute("insert into users (name) values ($1)", "inner")
            raise RuntimeError("inner fails")

    async with db.transaction():
        await db.execute("insert into users (name) values ($1)", "outer")
        with pytest.raises(RuntimeError, match="inner fails"):
            await inner()
        async with db.transaction():
            await db.execute("insert into users (name) values ($1)", "kept")
    names = [r["name"] for r in await db.fetch("select name from users order by id")]
    assert names == ["outer", "kept"]


async def test_session_inside_transaction_joins_it(db: Database) -> None:
    async def work() -> None:
        async with db.transaction():
            async with db.session() as s:
                s.add(User(name="ann"))
            assert await db.fetchval("select count(*) from users") == 1
            raise RuntimeError("outer fails")

    with pytest.raises(RuntimeError, match="outer fails"):
        await work()
    assert await db.fetchval("select count(*) from users") == 0


# -- the pool --------------------------------------------------------------------------------


def _slow_query(db: Database, steps: int = 20000) -> str:
    if db.backend == "postgresql":
        return f"select $1::int as n, (select true from pg_sleep({steps / 2_000_000})) as slept"
    # no sleep() in SQLite: a recursive count keeps the connection busy instead
    return (
        f"with recursive c(x) as (select 1 union all select x + 1 from c where x < {steps}) "
        f"select $1 as n, (select count(*) from c) = {steps} as slept"
    )


async def test_100_concurrent_queries_on_a_pool_of_5(db: Database) -> None:
    in_use = 0
    peak = 0

    def checkout(*_: Any) -> None:
        nonlocal in_use, peak
        in_use += 1
        peak = max(peak, in_use)

    def checkin(*_: Any) -> None:
        nonlocal in_use
        in_use -= 1

    pool = db.engine.sync_engine.pool
    event.listen(pool, "checkout", checkout)
    event.listen(pool, "checkin", checkin)
    sql = _slow_query(db)
    rows = await asyncio.gather(*(db.fetchrow(sql, i) for i in range(100)))
    assert [r["n"] for r in rows if r] == list(range(100))
    assert all(r and r["slept"] for r in rows)
    assert 1 < peak <= POOL_MAX
    assert in_use == 0


async def test_concurrent_writes(db: Database) -> None:
    await asyncio.gather(
        *(db.execute("insert into users (name) values ($1)", f"w{i}") for i in range(100))
    )
    assert await db.fetchval("select count(*) from users") == 100


async def test_concurrent_transactions(db: Database) -> None:
    async def move(i: int) -> None:
        async with db.transaction():
            await db.execute("insert into users (name, age) values ($1, $2)", f"t{i}", i)
            await db.execute("update users set age = age + 1 where name = $1", f"t{i}")

    await asyncio.gather(*(move(i) for i in range(30)))
    assert await db.fetchval("select sum(age) from users") == sum(range(1, 31))


async def test_cancelled_calls_leave_the_pool_healthy(db: Database) -> None:
    dropped: list[object] = []
    event.listen(db.engine.sync_engine.pool, "invalidate", lambda *a: dropped.append(a))
    slow = _slow_query(db, steps=2_000_000)  # about a second: always longer than the timeout
    # 0.2 s: the cancellation lands mid-statement (a cancellation during checkout or BEGIN
    # is a separate, known gap: see docs/database.md)
    for i in range(3):
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(db.fetchrow(slow, i), 0.2)

    async def cancelled_transaction() -> None:
        async with db.transaction():
            await db.execute("insert into users (name) values ($1)", "ghost")
            await db.fetchrow(slow, 9)

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(cancelled_transaction(), 0.2)
    counts = await asyncio.gather(*(db.fetchval("select count(*) from users") for _ in range(10)))
    assert counts == [0] * 10  # the transaction was rolled back; every connection works
    assert dropped == []  # no connection was cut mid-statement and thrown away
    await db.close()  # waits for the interrupted statements, then closes their connections
    assert await db.fetchval("select 1") == 1
