"""Test of CreateUser (user.create -> user.created)."""

from __future__ import annotations

import pytest
from khorsyio import App, Context, HandlerError

from app._generated import handlers, samples
from app._generated.services import build_services
from app.contracts.users import User


async def test_create_user_stores_and_returns_the_user(app: App) -> None:
    handler = handlers.create_user(app, build_services())
    new = samples.create_user_input(name="Ada", email="ada@example.com", vip=True)
    user = await handler.process(new, Context())
    assert user == User(id=user.id, name="Ada", email="ada@example.com", vip=True)
    assert await app.db.fetchval("select name from users where id = $1", user.id) == "Ada"


async def test_create_user_refuses_a_taken_email(app: App) -> None:
    handler = handlers.create_user(app, build_services())
    await handler.process(samples.create_user_input(email="ada@example.com"), Context())
    with pytest.raises(HandlerError) as info:
        await handler.process(samples.create_user_input(email="ada@example.com"), Context())
    assert info.value.code == "conflict"
