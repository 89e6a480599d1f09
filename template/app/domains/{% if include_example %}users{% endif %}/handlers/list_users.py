from __future__ import annotations

from khorsyio import Context, Database, Handler
from khorsyio.db import apply_filters, apply_order, paginate
from sqlalchemy import select

from app.contracts.users import User, UserPage, UserQuery
from app.models import UserRow

# the fields a client may filter and sort on
FILTERABLE = ["id", "name", "email", "vip"]


class ListUsers(Handler[UserQuery, UserPage]):
    """Answer ``user.list`` with ``UserPage``, published as ``user.page``.

    Filter, sort and page users (the ORM and khorsyio.db helpers).

    Input ``UserQuery`` (app.contracts.users):
        name__icontains: str | None = None
        email__icontains: str | None = None
        vip: bool | None = None
        order: str = 'id'
        page: int = 1
        per_page: int = 20
    Output ``UserPage`` (app.contracts.users):
        items: list[User]
        total: int
        page: int
        per_page: int
        pages: int
    Dependencies:
        self._db: Database (from khorsyio; signatures in the task card)
            call: session(), transaction(), fetch(), fetchrow(), fetchval(), execute(),
                executemany()
            how: async with self._db.session() as session (the ORM) or self._db.transaction() as
                conn; the fetch*/execute* helpers run one SQL statement ($1, $2... parameters)
            never call (the app's lifecycle and set-up): connect(), close(), create_all(),
                drop_all(), from_settings()
    Comes from:
        route GET /users publishes user.list
    Goes to:
        user.page → answers route GET /users
    Test: python -m pytest tests/users/test_list_users.py
    Task card: khorsyio task ListUsers
    """

    # wiring: owned by khorsyio gen (regenerated from the spec); edit the spec, not these lines
    subscribes_to = "user.list"
    publishes = "user.page"

    def __init__(self, db: Database) -> None:
        self._db = db

    async def process(self, data: UserQuery, ctx: Context) -> UserPage:
        stmt = apply_filters(select(UserRow), UserRow, _filters(data), allowed=FILTERABLE)
        stmt = apply_order(stmt, UserRow, data.order, allowed=FILTERABLE)
        async with self._db.session() as session:
            page = await paginate(session, stmt, page=data.page, per_page=data.per_page)
        items = [User(id=u.id, name=u.name, email=u.email, vip=u.vip) for u in page["items"]]
        return UserPage(
            items=items,
            total=page["total"],
            page=page["page"],
            per_page=page["per_page"],
            pages=page["pages"],
        )


def _filters(query: UserQuery) -> dict[str, object]:
    """The filters a query asks for (unset fields filter nothing)."""
    wanted = {
        "name__icontains": query.name__icontains,
        "email__icontains": query.email__icontains,
        "vip": query.vip,
    }
    return {field: value for field, value in wanted.items() if value is not None}
