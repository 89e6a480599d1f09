"""Durable dead letters: the database store on SQLite and PostgreSQL, through a real App.

Each test gets a fresh database (a SQLite file, or a new PostgreSQL database dropped
afterwards), as an app configured with DB_DSN would use.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest

from khorsyio import App, Context, Envelope, Handler, RetryPolicy, Settings, StateError
from khorsyio.bus import DeadLetterStore, MemoryDeadLetters
from khorsyio.db import Database
from khorsyio.db.dead_letters import DatabaseDeadLetters
from khorsyio.events import Error

from .conftest import _pg_admin, pg_dsn


class Order(msgspec.Struct):
    n: int


class Ship(Handler[Order, None]):
    subscribes_to = "order.ship"
    retry = RetryPolicy(attempts=2, backoff=0.0)
    down = True
    calls: list[tuple[int, str]] = []

    async def process(self, data: Order, ctx: Context) -> None:
        Ship.calls.append((data.n, ctx.trace_id))
        if Ship.down:
            raise ConnectionError("the carrier is down")


@pytest.fixture(params=["sqlite", "postgres"])
async def dsn(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'dl.db'}"
        return
    name = f"khorsyio_dl_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'create database "{name}"')
    try:
        yield pg_dsn().rsplit("/", 1)[0] + "/" + name
    finally:
        await _pg_admin(f'drop database if exists "{name}" with (force)')


def _settings(dsn: str, **env: str) -> Settings:
    return Settings.load(environ={"DB_DSN": dsn, **env}, env_file=None)


async def _migrated(dsn: str) -> None:
    db = Database(dsn)
    try:
        await db.create_all()  # Base.metadata holds khorsyio_dead_letters
    finally:
        await db.close()


def _app(settings: Settings) -> App:
    app = App(settings=settings)
    app.register(Ship)
    return app


async def test_dead_letters_survive_a_restart_and_replay_in_their_trace(dsn: str) -> None:
    await _migrated(dsn)
    Ship.down, Ship.calls = True, []
    app = _app(_settings(dsn))
    await app.startup()
    assert isinstance(app.bus.dead_letters, DatabaseDeadLetters)
    await app.bus.publish("order.ship", Order(7), trace_id="trace-dl-7")
    assert await app.bus.wait_idle(10)
    await app.shutdown()
    assert Ship.calls == [(7, "trace-dl-7")] * 2

    app = _app(_settings(dsn))  # a new process would see the same
    await app.startup()
    [letter] = await app.bus.dead_letters.list()
    assert (letter.handler, letter.attempts, letter.error.code) == ("Ship", 2, "handler_error")
    assert letter.envelope.trace_id == "trace-dl-7"
    assert letter.envelope.payload == {"n": 7}  # JSON in the table; the contract decodes it
    assert (await app.bus.dead_letters.get(letter.id)).error.message == "the carrier is down"

    # still failing: a fresh series of attempts, and the letter comes back (new id)
    await app.bus.dead_letters.replay(letter.id)
    assert await app.bus.wait_idle(10)
    assert Ship.calls[2:] == [(7, "trace-dl-7")] * 2
    [again] = await app.bus.dead_letters.list()
    assert again.id != letter.id
    assert again.attempts == 2

    Ship.down = False
    await app.bus.dead_letters.replay(again.id)
    assert await app.bus.wait_idle(10)
    assert Ship.calls[4:] == [(7, "trace-dl-7")]
    assert await app.bus.dead_letters.count() == 0
    await app.shutdown()


async def test_a_database_store_without_its_table_stops_the_start(dsn: str) -> None:
    app = _app(_settings(dsn, BUS_DEAD_LETTER_STORE="database"))
    with pytest.raises(StateError, match="no table khorsyio_dead_letters") as info:
        await app.startup()
    message = str(info.value)
    assert "alembic upgrade head" in message
    assert "0000_khorsyio_dead_letters.py" in message
    assert "BUS_DEAD_LETTER_STORE=memory" in message
    await app.db.close()

    memory = _app(_settings(dsn, BUS_DEAD_LETTER_STORE="memory"))
    await memory.startup()  # the way out the message names
    assert isinstance(memory.bus.dead_letters, MemoryDeadLetters)
    await memory.shutdown()


async def test_on_auto_a_database_without_the_table_keeps_them_in_memory_and_says_so(
    dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    # an app that uses its database through raw SQL (the 0.2 README) starts as it always did
    app = _app(_settings(dsn))
    with caplog.at_level(logging.WARNING, logger="khorsyio.bus"):
        await app.startup()
    try:
        assert isinstance(app.bus.dead_letters, MemoryDeadLetters)
        [warning] = [r for r in caplog.records if "dead letters are kept in memory" in r.message]
        assert "khorsyio_dead_letters" in warning.message
        assert "alembic upgrade head" in warning.message
    finally:
        await app.shutdown()


async def test_without_a_database_dead_letters_stay_in_memory() -> None:
    app = App(settings=Settings())
    assert isinstance(app.bus.dead_letters, MemoryDeadLetters)


async def _store(kind: str, dsn: str) -> tuple[DeadLetterStore, Database | None]:
    if kind == "memory":
        return MemoryDeadLetters(3), None
    await _migrated(dsn)
    db = Database(dsn)
    store = DatabaseDeadLetters(db, 3)
    await store.open()
    return store, db


@pytest.mark.parametrize("kind", ["memory", "database"])
async def test_both_stores_keep_the_same_contract(
    kind: str, dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    store, db = await _store(kind, dsn)
    try:
        added = [
            await store.add(h, Envelope.create("e", Order(i)), Error(code="x", message="m"), 1)
            for i, h in enumerate(["A", "B", "A", "B"])
        ]
        assert store.evicted == 1  # bounded: the oldest went, with a warning
        assert f"evicted #{added[0].id} e in A" in caplog.text
        assert [d.id for d in await store.list()] == [d.id for d in added[1:]]
        assert [d.id for d in await store.list(handler="B")] == [added[1].id, added[3].id]
        assert [d.id for d in await store.list(limit=1)] == [added[1].id]
        assert (await store.count(), await store.count("A")) == (3, 1)
        assert (await store.snapshot(limit=1))[0]["handler"] == "B"
        assert await store.remove(added[2].id) is True
        assert await store.remove(added[2].id) is False
        with pytest.raises(KeyError, match=f"no dead letter #{added[2].id}"):
            await store.get(added[2].id)
        await store.restore(added[2])
        assert (await store.get(added[2].id)).handler == "A"
        assert await store.purge("B") == 2
        assert await store.purge() == 1
        assert await store.count() == 0
    finally:
        if db is not None:
            await db.close()


async def test_a_replay_the_bus_refuses_puts_the_letter_back(dsn: str) -> None:
    await _migrated(dsn)
    app = _app(_settings(dsn))
    await app.startup()
    letter = await app.bus.dead_letters.add(
        "Gone", Envelope.create("order.ship", Order(1)), Error(code="x"), 1
    )
    with pytest.raises(KeyError, match="no handler named 'Gone'"):
        await app.bus.dead_letters.replay(letter.id)
    assert [d.id for d in await app.bus.dead_letters.list()] == [letter.id]
    await app.shutdown()


class Stuck(Handler[Order, None]):
    subscribes_to = "order.stuck"

    async def process(self, data: Order, ctx: Context) -> None:
        await asyncio.Event().wait()


async def test_events_cut_short_at_shutdown_are_kept_in_the_database(dsn: str) -> None:
    await _migrated(dsn)
    app = App(settings=_settings(dsn, BUS_DRAIN_TIMEOUT="0"))
    app.register(Stuck)
    await app.startup()
    await app.bus.publish("order.stuck", Order(3))
    await app.shutdown()

    again = App(settings=_settings(dsn))
    await again.startup()
    [letter] = await again.bus.dead_letters.list()
    assert (letter.handler, letter.error.code, letter.envelope.payload) == (
        "Stuck",
        "shutdown",
        {"n": 3},
    )
    await again.shutdown()


async def test_a_letter_the_database_cannot_keep_is_logged_with_its_event(
    dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    await _migrated(dsn)
    Ship.down = True
    app = _app(_settings(dsn))
    await app.startup()
    await app.db.execute("drop table khorsyio_dead_letters")  # the database lost it
    answer = await app.bus.request("order.ship", Order(5), "order.shipped", trace_id="t-lost")
    assert answer.error is not None  # the caller still hears of the failure
    assert answer.error.code == "handler_error"
    assert "could not keep the dead letter of order.ship in Ship trace=t-lost" in caplog.text
    await app.shutdown()
