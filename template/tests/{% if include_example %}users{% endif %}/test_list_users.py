"""Test of ListUsers (user.list -> user.page)."""

from __future__ import annotations

import pytest
from khorsyio import App, Context, QueryError

from app._generated import handlers, samples
from app._generated.services import build_services
from app.contracts.users import UserQuery


@pytest.fixture
async def three_users(app: App) -> None:
    await app.db.executemany(
        "insert into users (name, email, vip) values ($1, $2, $3)",
        [("Ada", "ada@x.io", True), ("Alan", "alan@x.io", False), ("Grace", "grace@x.io", True)],
    )


@pytest.mark.usefixtures("three_users")
async def test_list_users_filters_orders_and_pages(app: App) -> None:
    handler = handlers.list_users(app, build_services())
    query = samples.list_users_input(name__icontains="a", order="-name", page=1, per_page=2)
    page = await handler.process(query, Context())
    assert [u.name for u in page.items] == ["Grace", "Alan"]
    assert (page.total, page.page, page.per_page, page.pages) == (3, 1, 2, 2)

    vips = await handler.process(samples.list_users_input(vip=True), Context())
    assert sorted(u.name for u in vips.items) == ["Ada", "Grace"]


@pytest.mark.usefixtures("three_users")
async def test_list_users_refuses_fields_outside_the_allow_list(app: App) -> None:
    handler = handlers.list_users(app, build_services())
    # UserQuery's pattern refuses it over HTTP (422); the allow-list guards the handler itself
    with pytest.raises(QueryError):
        await handler.process(UserQuery(order="-password"), Context())
