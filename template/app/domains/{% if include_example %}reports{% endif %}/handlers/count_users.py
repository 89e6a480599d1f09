from __future__ import annotations

import logging

from khorsyio import Context, Database, Handler

from app.contracts.reports import Tick, UserCount

log = logging.getLogger(__name__)


class CountUsers(Handler[Tick, UserCount]):
    """Answer ``report.tick`` with ``UserCount``, published as ``report.users``.

    Input ``Tick`` (app.contracts.reports):
        (no fields)
    Output ``UserCount`` (app.contracts.reports):
        total: int
        vip: int
    Dependencies:
        self._db: Database (from khorsyio; signatures in the task card)
            call: session(), transaction(), fetch(), fetchrow(), fetchval(), execute(),
                executemany()
            how: async with self._db.session() as session (the ORM) or self._db.transaction() as
                conn; the fetch*/execute* helpers run one SQL statement ($1, $2... parameters)
            never call (the app's lifecycle and set-up): connect(), close(), create_all(),
                drop_all(), from_settings()
    Comes from:
        a schedule publishes report.tick every 60 s
    Goes to:
        report.users → nobody in this app (declared terminal)
    Test: python -m pytest tests/reports/test_count_users.py
    Task card: khorsyio task CountUsers
    """

    # wiring: owned by khorsyio gen (regenerated from the spec); edit the spec, not these lines
    subscribes_to = "report.tick"
    publishes = "report.users"

    def __init__(self, db: Database) -> None:
        self._db = db

    async def process(self, data: Tick, ctx: Context) -> UserCount:
        total = await self._db.fetchval("select count(*) from users")
        vip = await self._db.fetchval("select count(*) from users where vip")
        log.info("users: %d, of which VIP: %d", total, vip)
        return UserCount(total=total, vip=vip)
