"""Query helpers on SQLite and PostgreSQL: every operator, ordering, pages, cursors, injection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
import pytest
from sqlalchemy import literal_column, select, text

from khorsyio import App, ClientError, Request, Response, Settings
from khorsyio.db import (
    OPS,
    Database,
    QueryError,
    apply_cursor,
    apply_filters,
    apply_order,
    paginate,
)
from khorsyio.errors import ConfigError
from khorsyio.testing import TestClient

from .conftest import User

PEOPLE = [
    # id, name, age, email, created_at
    (1, "Alex", 17, "alex@example.com", datetime(2024, 1, 1)),
    (2, "alexandra", 25, None, datetime(2024, 1, 3)),
    (3, "Bob", 40, "bob@example.com", datetime(2024, 1, 2)),
    (4, "Sasha Alexeev", 33, "s%a@example.com", datetime(2024, 1, 5)),
    (5, "carol_x", None, "c_x@example.com", datetime(2024, 1, 4)),
    (6, "' or 1=1 --", 50, None, datetime(2024, 1, 6)),
]


@pytest.fixture
async def people(db: Database) -> Database:
    await db.executemany(
        "insert into users (id, name, age, email, created_at) values ($1, $2, $3, $4, $5)", PEOPLE
    )
    return db


async def ids(db: Database, stmt: Any) -> list[int]:
    async with db.session() as s:
        return list((await s.execute(stmt)).scalars().all())


async def filtered(db: Database, filters: dict[str, Any], **kw: Any) -> list[int]:
    stmt = apply_filters(select(User.id), User, filters, **kw).order_by(User.id)
    return await ids(db, stmt)


# -- the seed snippet, as written --------------------------------------------------------------


async def test_seed_filters_sorting_pagination_snippet(people: Database) -> None:
    app = App(settings=Settings())
    app.db = people
    last_id = 1

    stmt = select(User)
    stmt = apply_filters(stmt, User, {"age__gte": 18, "name__icontains": "alex"})
    stmt = apply_order(stmt, User, ["-created_at", "id"])

    async with app.db.session() as s:
        page = await paginate(s, stmt, page=1, per_page=20)
        # {"items": [...], "total": int, "page": int, "per_page": int, "pages": int}

    # cursor pagination
    stmt = apply_cursor(stmt, User, cursor_value=last_id, cursor_field="id", order="asc")

    assert [u.name for u in page["items"]] == ["Sasha Alexeev", "alexandra"]
    assert {k: v for k, v in page.items() if k != "items"} == {
        "total": 2,
        "page": 1,
        "per_page": 20,
        "pages": 1,
    }
    assert [u.id for u in await _entities(people, stmt)] == [2, 4]


async def _entities(db: Database, stmt: Any) -> list[User]:
    async with db.session() as s:
        return list((await s.execute(stmt)).scalars().all())


# -- operators -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"name": "Bob"}, [3]),
        ({"name__eq": "Bob"}, [3]),
        ({"age__ne": 40}, [1, 2, 4, 6]),
        ({"age__lt": 25}, [1]),
        ({"age__lte": 25}, [1, 2]),
        ({"age__gt": 33}, [3, 6]),
        ({"age__gte": 33}, [3, 4, 6]),
        ({"id__in": [2, 4, 99]}, [2, 4]),
        ({"id__in": []}, []),
        ({"name__contains": "lex"}, [1, 2, 4]),
        ({"name__contains": "Alex"}, [1, 4]),  # case-sensitive on SQLite too
        ({"name__endswith": "X"}, []),
        ({"name__startswith": ""}, [1, 2, 3, 4, 5, 6]),
        ({"name__icontains": "ALEX"}, [1, 2, 4]),
        ({"name__startswith": "ale"}, [2]),
        ({"name__istartswith": "ALE"}, [1, 2]),
        ({"name__endswith": "_x"}, [5]),
        ({"name__iendswith": "EEV"}, [4]),
        ({"email__isnull": True}, [2, 6]),
        ({"email__isnull": "false"}, [1, 3, 4, 5]),
        ({"age__isnull": 1}, [5]),
        ({"age__between": [25, 40]}, [2, 3, 4]),
        ({"created_at__gte": "2024-01-04T00:00:00"}, [4, 5, 6]),
        ({"created_at__between": (datetime(2024, 1, 2), datetime(2024, 1, 3))}, [2, 3]),
        ({"age__gte": "18", "name__icontains": "alex"}, [2, 4]),  # strings from a query string
        ({"id": "3"}, [3]),
        ({"email": None}, [2, 6]),
        ({}, [1, 2, 3, 4, 5, 6]),
    ],
)
async def test_operators(people: Database, filters: dict[str, Any], expected: list[int]) -> None:
    assert await filtered(people, filters) == expected


def test_all_documented_operators_exist() -> None:
    assert set(OPS) == {
        "eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "icontains", "startswith",
        "istartswith", "endswith", "iendswith", "isnull", "between",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"id__in": 3}, "expected a list"),
        ({"id__in": "1,2"}, "expected a list"),
        ({"id__in": ["x"]}, "expected an integer"),
        ({"age__between": [1]}, "two values"),
        ({"age__between": [1, 2, 3]}, "two values"),
        ({"age__between": [1, None]}, "two values"),
        ({"age__between": 5}, "expected a list"),
        ({"email__isnull": "maybe"}, "true or false"),
        ({"email__isnull": 2}, "true or false"),
        ({"age__gte": "eighteen"}, "expected an integer"),
        ({"age__gte": None}, "needs a value"),
        ({"age__eq": [1, 2]}, "single value"),
        ({"age__contains": "1"}, "text fields only"),
        ({"name__contains": 5}, "expected a string"),
        ({"created_at__gt": "yesterday"}, "datetime"),
        ({"name__like": "x"}, "unknown operator 'like'"),
        ({"name__": "x"}, "unknown operator ''"),
        ({"name__eq__eq": "x"}, "unknown operator"),
        ({"id": 10**20}, "out of range for a database integer"),
        ({"age__gte": str(10**20)}, "out of range for a database integer"),
        ({"id__in": [1, -(10**20)]}, "out of range for a database integer"),
    ],
)
def test_bad_values_and_operators_are_query_errors(filters: dict[str, Any], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        apply_filters(select(User), User, filters)


def test_huge_cursors_and_pages_are_query_errors() -> None:
    from khorsyio.db import apply_cursor

    with pytest.raises(QueryError, match="out of range"):
        apply_cursor(select(User), User, cursor_value=str(10**20))


async def test_a_huge_page_is_a_query_error(people: Database) -> None:
    from khorsyio.db import paginate

    async with people.session() as s:
        with pytest.raises(QueryError, match="too large"):
            await paginate(s, select(User), page=10**20)


def test_query_error_is_a_400_value_error() -> None:
    with pytest.raises(QueryError) as info:
        apply_filters(select(User), User, {"nope": 1})
    err = info.value
    assert isinstance(err, ValueError)
    assert isinstance(err, ClientError)
    assert (err.status, err.code) == (400, "bad_query")
    assert "unknown field 'nope'" in str(err)


LISTS = ("__in", "__between")


async def test_documented_http_listing(people: Database) -> None:
    """The list_users example of docs/database.md, through the HTTP layer."""
    app = App(settings=Settings())
    app.db = people

    async def list_users(req: Request, send: Any) -> None:
        filters = {
            key: values if key.endswith(LISTS) else values[0]
            for key, values in req.query.items()
            if key not in ("page", "sort")
        }
        stmt = apply_filters(select(User), User, filters, allowed=["name", "age", "active"])
        stmt = apply_order(stmt, User, req.param("sort", "id"), allowed=["name", "age", "id"])
        async with app.db.session() as s:
            page = await paginate(s, stmt, page=req.param("page", "1"), per_page=20)
        page["items"] = [{"id": u.id, "name": u.name} for u in page["items"]]
        await Response.json(send, page)

    app.router.get("/users", list_users)
    async with TestClient(app) as client:
        ok = await client.get("/users?age__gte=18&name__icontains=alex&sort=-age")
        assert ok.status_code == 200
        assert ok.json() == {
            "items": [{"id": 4, "name": "Sasha Alexeev"}, {"id": 2, "name": "alexandra"}],
            "total": 2,
            "page": 1,
            "per_page": 20,
            "pages": 1,
        }
        listed = await client.get("/users?age__between=20&age__between=40&page=1")
        assert [i["id"] for i in listed.json()["items"]] == [2, 3, 4]
        for bad in ("password__eq=x", "__class__=1", "age__gte=old", "sort=secret", "page=0"):
            refused = await client.get(f"/users?{bad}")
            assert refused.status_code == 400, bad
            assert refused.json()["code"] == "bad_query"


# -- field names from users ------------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    [
        "name; drop table users",
        "name = name or 1=1 --",
        "__class__",
        "__class____eq",
        "_sa_instance_state",
        "_secret",
        "_secret__isnull",
        "__table__",
        "metadata",
        "registry",
        "secret",  # the column's name, not the mapped attribute's
        "id desc",
        "",
    ],
)
async def test_injection_through_filter_names_is_refused(people: Database, field: str) -> None:
    with pytest.raises(QueryError):
        apply_filters(select(User), User, {field: 1})
    with pytest.raises(QueryError):
        apply_order(select(User), User, [field or "-"])
    with pytest.raises(QueryError):
        apply_cursor(select(User), User, 1, cursor_field=field)
    assert await people.fetchval("select count(*) from users") == len(PEOPLE)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"name": "' or 1=1 --"}, [6]),  # the row whose name is that text, nothing else
        ({"email": "' or 1=1 --"}, []),
        ({"name": "Bob' or '1'='1"}, []),
        ({"name__contains": "%"}, []),  # % and _ are literal characters
        ({"email__contains": "%"}, [4]),
        ({"name__contains": "_"}, [5]),
        ({"name__startswith": "%"}, []),
        ({"name__in": ["x') or ('1'='1", "Bob"]}, [3]),
        ({"id": "1 or 1=1"}, None),  # not an integer: refused
    ],
)
async def test_injection_through_values_matches_nothing(
    people: Database, filters: dict[str, Any], expected: list[int] | None
) -> None:
    if expected is None:
        with pytest.raises(QueryError):
            await filtered(people, filters)
        return
    assert await filtered(people, filters) == expected
    assert await people.fetchval("select count(*) from users") == len(PEOPLE)


def test_values_are_bound_never_inlined() -> None:
    stmt = apply_filters(select(User), User, {"name": "' or 1=1 --", "email__icontains": "x%"})
    sql = str(stmt)
    assert "1=1" not in sql
    assert "x%" not in sql
    assert set(stmt.compile().params.values()) >= {"' or 1=1 --"}


def test_sql_expressions_are_refused_as_values() -> None:
    for value in (text("1=1"), literal_column("1"), User.id):
        with pytest.raises(QueryError, match="plain value"):
            apply_filters(select(User), User, {"id": value})


def test_allow_list() -> None:
    allowed = ["name", "age"]
    apply_filters(select(User), User, {"name": "x", "age__gt": 1}, allowed=allowed)
    with pytest.raises(QueryError, match="unknown field 'email'; accepted: age, name"):
        apply_filters(select(User), User, {"email": "x"}, allowed=allowed)
    with pytest.raises(QueryError, match="accepted: age, name"):
        apply_order(select(User), User, ["-id"], allowed=allowed)
    with pytest.raises(QueryError):
        apply_cursor(select(User), User, 1, cursor_field="id", allowed=allowed)
    with pytest.raises(ConfigError, match="nope"):
        apply_filters(select(User), User, {"name": "x"}, allowed=["name", "nope"])
    with pytest.raises(ConfigError, match="_secret"):
        apply_filters(select(User), User, {"name": "x"}, allowed=["_secret"])


def test_non_model_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="mapped ORM class"):
        apply_filters(select(User), object, {"id": 1})


# -- ordering --------------------------------------------------------------------------------


async def test_order(people: Database) -> None:
    assert await ids(people, apply_order(select(User.id), User, ["-created_at"])) == [
        6,
        4,
        5,
        2,
        3,
        1,
    ]
    assert await ids(people, apply_order(select(User.id), User, ["+created_at"])) == [
        1,
        3,
        2,
        5,
        4,
        6,
    ]
    by_age = apply_order(select(User.id).where(User.age.is_not(None)), User, ["age", "-id"])
    assert await ids(people, by_age) == [1, 2, 4, 3, 6]
    assert await ids(people, apply_order(select(User.id), User, "-id, name")) == [6, 5, 4, 3, 2, 1]
    assert await ids(people, apply_order(select(User.id).order_by(User.id), User, None)) == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]
    with pytest.raises(QueryError, match="unknown field 'nope'"):
        apply_order(select(User), User, ["-nope"])
    with pytest.raises(QueryError, match="expected a field name"):
        apply_order(select(User), User, ["+"])


# -- pages -----------------------------------------------------------------------------------


async def test_paginate_entities_and_mappings(people: Database) -> None:
    async with people.session() as s:
        page = await paginate(s, select(User).order_by(User.id), page=2, per_page=4)
        assert [type(u) for u in page["items"]] == [User, User]
        assert [u.id for u in page["items"]] == [5, 6]
        assert (page["total"], page["page"], page["per_page"], page["pages"]) == (6, 2, 4, 2)

        rows = await paginate(s, select(User.id, User.name).order_by(User.id), per_page=2)
        assert rows["items"] == [{"id": 1, "name": "Alex"}, {"id": 2, "name": "alexandra"}]
        assert rows["pages"] == 3

        one_column = await paginate(s, select(User.name).order_by(User.id), per_page=1)
        assert one_column["items"] == [{"name": "Alex"}]

        beyond = await paginate(s, select(User), page=9, per_page=4)
        assert beyond["items"] == []
        assert beyond["total"] == 6

        capped = await paginate(s, select(User), per_page=1000, max_per_page=5)
        assert capped["per_page"] == 5
        assert len(capped["items"]) == 5

        from_query_string = await paginate(s, select(User), page="2", per_page="5")
        assert (from_query_string["page"], len(from_query_string["items"])) == (2, 1)

        empty = await paginate(s, select(User).where(User.id < 0))
        assert (empty["items"], empty["total"], empty["pages"]) == ([], 0, 0)


@pytest.mark.parametrize(
    ("page", "per_page"), [(0, 10), (-1, 10), ("abc", 10), (1, 0), (1, "x"), (True, 5), (1.5, 5)]
)
async def test_paginate_refuses_bad_numbers(people: Database, page: Any, per_page: Any) -> None:
    async with people.session() as s:
        with pytest.raises(QueryError, match="positive integer"):
            await paginate(s, select(User), page=page, per_page=per_page)


# -- cursors ---------------------------------------------------------------------------------


async def test_cursor_ascending_and_descending(people: Database) -> None:
    asc = apply_cursor(select(User.id), User, 2, cursor_field="id", order="asc")
    assert await ids(people, asc) == [3, 4, 5, 6]
    desc = apply_cursor(select(User.id), User, 4, cursor_field="id", order="desc")
    assert await ids(people, desc) == [3, 2, 1]
    start = apply_cursor(select(User.id), User, None, order="desc")
    assert await ids(people, start) == [6, 5, 4, 3, 2, 1]
    by_date = apply_cursor(select(User.id), User, "2024-01-03T00:00:00", cursor_field="created_at")
    assert await ids(people, by_date) == [5, 4, 6]
    with pytest.raises(QueryError, match="'asc' or 'desc'"):
        apply_cursor(select(User), User, 1, order="sideways")
    with pytest.raises(QueryError, match="expected an integer"):
        apply_cursor(select(User), User, "1; drop table users")


async def test_walking_all_pages_with_a_cursor(people: Database) -> None:
    for order, expected in (("asc", [1, 2, 3, 4, 5, 6]), ("desc", [6, 5, 4, 3, 2, 1])):
        seen: list[int] = []
        cursor = None
        while True:
            stmt = apply_cursor(select(User.id), User, cursor, order=order).limit(4)
            batch = await ids(people, stmt)
            if not batch:
                break
            seen += batch
            cursor = batch[-1]
        assert seen == expected


async def test_paginate_returns_a_typed_page_that_reads_like_the_old_dict(people: Database) -> None:
    from khorsyio.db import Page

    async with people.session() as s:
        page = await paginate(s, select(User.id).order_by(User.id), page=2, per_page=4)
    assert isinstance(page, Page)
    assert (page.items, page.total, page.page, page.per_page, page.pages) == (
        [{"id": 5}, {"id": 6}],
        6,
        2,
        4,
        2,
    )
    as_dict = {"items": [{"id": 5}, {"id": 6}], "total": 6, "page": 2, "per_page": 4, "pages": 2}
    assert page == as_dict
    assert list(page) == list(as_dict)
    assert list(page.items()) == list(as_dict.items())
    assert msgspec.json.decode(msgspec.json.encode(page)) == as_dict
    page["items"] = [1]
    assert page.items == [1]
    page.items.append(2)
    assert page["items"] == [1, 2]
    assert dict(page.items())["items"] == [1, 2]
