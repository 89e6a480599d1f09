"""The seed README's snippets (handlers, context, event bus, metrics, event log), as written."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from khorsyio import App, Context, Domain, Handler, Settings


class UserIn(msgspec.Struct):
    name: str = ""


class UserOut(msgspec.Struct):
    id: int = 0
    name: str = ""


class CreateUser(Handler):
    subscribes_to = "user.create"
    publishes = "user.created"
    input_type = UserIn
    output_type = UserOut

    def __init__(self, db):  # type: ignore[no-untyped-def]
        self._db = db  # db -> app.db

    async def process(self, data: UserIn, ctx: Context) -> UserOut:
        row = await self._db.fetchrow(
            "insert into users (name) values ($1) returning id, name", data.name
        )
        return UserOut(**row)


@pytest.fixture
async def app(tmp_path: Path) -> App:
    settings = Settings.load(
        environ={"DB_DSN": f"sqlite+aiosqlite:///{tmp_path}/seed.db"}, env_file=None
    )
    app = App(settings=settings)
    users = Domain()
    users.namespace = "user"
    users.handlers = [CreateUser]
    app.mount(users)
    await app.db.create_all()  # the dead-letter table (a migration creates it in a project)
    await app.startup()
    await app.db.execute(
        "create table users (id integer primary key autoincrement, name text not null)"
    )
    return app


async def test_the_handler_snippet_with_its_database(app: App) -> None:
    bus = app.bus
    result = await bus.request(
        "user.create",
        UserIn(name="test"),
        response_type="user.created",
        source="http",
        user_id="u1",
        timeout=5.0,
    )
    if result.is_error:
        print(result.error.code, result.error.message)  # type: ignore[union-attr]
    assert not result.is_error
    assert result.decode(UserOut) == UserOut(id=1, name="test")
    assert await app.db.fetchval("select count(*) from users") == 1

    # publish: fire and forget
    await bus.publish("user.create", UserIn(name="test"), source="http", user_id="u1")
    await bus.wait_idle(5)
    assert await app.db.fetchval("select count(*) from users") == 2

    # context travels with the events
    [last] = app.bus.event_log.recent(1, event_type="user.created")
    assert last["source"] == "CreateUser"

    snapshot = app.bus.metrics.snapshot()
    assert snapshot == {
        "CreateUser": {"processed": 2, "errors": 0, "avg_ms": snapshot["CreateUser"]["avg_ms"]}
    }
    assert len(app.bus.event_log.recent(50)) == 4
    assert [e["event_type"] for e in app.bus.event_log.recent(20, event_type="user.create")] == [
        "user.create",
        "user.create",
    ]
    trace = result.trace_id
    assert [e["event_type"] for e in app.bus.event_log.recent(20, trace_id=trace)] == [
        "user.create",
        "user.created",
    ]
    await app.shutdown()


async def test_an_error_result_carries_code_and_message(app: App) -> None:
    await app.db.execute("drop table users")
    result = await app.bus.request(
        "user.create", UserIn(name="x"), response_type="user.created", timeout=5.0
    )
    assert result.is_error
    assert result.error is not None
    assert result.error.code == "handler_error"
    assert "users" in result.error.message
    await app.shutdown()
