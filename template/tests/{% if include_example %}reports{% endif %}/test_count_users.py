"""Test of CountUsers (report.tick -> report.users)."""

from __future__ import annotations

from khorsyio import App, Context

from app._generated import handlers, samples
from app._generated.services import build_services
from app.contracts.reports import UserCount


async def test_count_users_counts_all_and_vip(app: App) -> None:
    await app.db.executemany(
        "insert into users (name, email, vip) values ($1, $2, $3)",
        [("Ada", "ada@x.io", True), ("Alan", "alan@x.io", False)],
    )
    handler = handlers.count_users(app, build_services())
    count = await handler.process(samples.count_users_input(), Context())
    assert count == UserCount(total=2, vip=1)
