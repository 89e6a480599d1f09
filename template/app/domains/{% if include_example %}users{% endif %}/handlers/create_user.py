from __future__ import annotations

import msgspec
from khorsyio import Context, Database, Handler, HandlerError

from app.contracts.users import NewUser, User


class CreateUser(Handler[NewUser, User]):
    """Answer ``user.create`` with ``User``, published as ``user.created``.

    Store a new user (SQL through the database facade).

    Input ``NewUser`` (app.contracts.users):
        name: str
        email: str
        vip: bool = False
    Output ``User`` (app.contracts.users):
        id: int
        name: str
        email: str
        vip: bool = False
    Dependencies:
        self._db: Database (from khorsyio; signatures in the task card)
            call: session(), transaction(), fetch(), fetchrow(), fetchval(), execute(),
                executemany()
            how: async with self._db.session() as session (the ORM) or self._db.transaction() as
                conn; the fetch*/execute* helpers run one SQL statement ($1, $2... parameters)
            never call (the app's lifecycle and set-up): connect(), close(), create_all(),
                drop_all(), from_settings()
    Comes from:
        route POST /users publishes user.create
    Goes to:
        user.created → SendWelcome (users)
        user.created → ClassifyUser (users)
        user.created → answers route POST /users
    Test: python -m pytest tests/users/test_create_user.py
    Task card: khorsyio task CreateUser
    """

    # wiring: owned by khorsyio gen (regenerated from the spec); edit the spec, not these lines
    subscribes_to = "user.create"
    publishes = "user.created"
    timeout = 5.0

    def __init__(self, db: Database) -> None:
        self._db = db

    async def process(self, data: NewUser, ctx: Context) -> User:
        taken = await self._db.fetchval("select count(*) from users where email = $1", data.email)
        if taken:
            raise HandlerError("conflict", f"{data.email} is already registered")
        row = await self._db.fetchrow(
            "insert into users (name, email, vip) values ($1, $2, $3)"
            " returning id, name, email, vip",
            data.name,
            data.email,
            data.vip,
        )
        return msgspec.convert(row, User, strict=False)  # SQLite returns vip as 0/1
