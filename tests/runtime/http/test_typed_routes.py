from __future__ import annotations

from typing import Any

import msgspec

from khorsyio import ClientError, Request, Route
from khorsyio.testing import TestClient

from .conftest import UserIn, UserOut, make_app


class Search(msgspec.Struct):
    q: str
    limit: int = 10
    tags: list[str] = []
    exact: bool = False


class Page(msgspec.Struct):
    q: str
    limit: int
    tags: list[str]
    exact: bool


class ItemQuery(msgspec.Struct):
    id: int
    fields: list[str] = []


def typed_app() -> Any:
    app = make_app()
    users: dict[int, UserOut] = {}

    async def create_user(req: Request, body: UserIn) -> UserOut:
        if body.name == "taken":
            raise ClientError("name already taken", status=409, code="exists")
        user = UserOut(id=len(users) + 1, name=body.name, age=body.age)
        users[user.id] = user
        return user

    async def search(req: Request, q: Search) -> Page:
        return Page(q=q.q, limit=q.limit, tags=q.tags, exact=q.exact)

    async def item(req: Request, q: ItemQuery) -> dict[str, Any]:
        user = users.get(q.id)
        if user is None:
            raise ClientError(f"user {q.id} not found", status=404, code="not_found")
        return {"id": user.id, "name": user.name}  # converted to UserOut

    async def wrong(req: Request) -> dict[str, Any]:
        return {"id": "not an int"}

    async def delete_user(req: Request, q: ItemQuery) -> None:
        users.pop(q.id, None)

    app.router.mount(
        [
            Route("POST", "/users", create_user, body=UserIn, response=UserOut, status=201),
            Route("GET", "/search", search, body=Search, response=Page),
            Route("GET", "/users/{id:int}", item, body=ItemQuery, response=UserOut),
            Route("GET", "/wrong", wrong, response=UserOut),
            Route("DELETE", "/users/{id:int}", delete_user, body=ItemQuery),
        ]
    )

    @app.router.put("/users/{id:int}", body=UserIn, response=UserOut)
    async def replace(req: Request, body: UserIn) -> UserOut:
        """Replace a user."""
        user = UserOut(id=req.path_params["id"], name=body.name, age=body.age)
        users[user.id] = user
        return user

    return app


def test_typed_post_validates_the_body_and_encodes_the_result() -> None:
    with TestClient(typed_app()) as c:
        res = c.post("/users", json={"name": "ada", "age": 36})
        assert res.status_code == 201
        assert res.json() == {"id": 1, "name": "ada", "age": 36}
        res = c.post("/users", json={"age": 3})
        assert res.status_code == 422
        assert res.json()["code"] == "validation"
        assert "name" in res.json()["error"]
        res = c.post("/users", json={"name": "ada", "age": "x"})
        assert (res.status_code, res.json()["field"]) == (422, "$.age")
        res = c.post("/users", content=b"{", headers={"content-type": "application/json"})
        assert res.status_code == 400
        res = c.post("/users", json={"name": "taken"})
        assert (res.status_code, res.json()) == (
            409,
            {"error": "name already taken", "code": "exists"},
        )


def test_typed_get_builds_the_struct_from_path_and_query() -> None:
    with TestClient(typed_app()) as c:
        res = c.get("/search?q=cat&limit=5&tags=a&tags=b&exact=true")
        assert res.json() == {"q": "cat", "limit": 5, "tags": ["a", "b"], "exact": True}
        assert c.get("/search?q=x").json() == {"q": "x", "limit": 10, "tags": [], "exact": False}
        res = c.get("/search?limit=5")
        assert res.status_code == 422
        assert "q" in res.json()["error"]
        res = c.get("/search?q=x&limit=many")
        assert (res.status_code, res.json()["field"]) == (422, "$.limit")
        c.post("/users", json={"name": "ada"})
        assert c.get("/users/1").json() == {"id": 1, "name": "ada", "age": 0}
        res = c.get("/users/99")
        assert (res.status_code, res.json()["code"]) == (404, "not_found")


def test_decorator_form_and_empty_result() -> None:
    with TestClient(typed_app()) as c:
        res = c.put("/users/7", json={"name": "bob"})
        assert res.json() == {"id": 7, "name": "bob", "age": 0}
        res = c.delete("/users/7")
        assert (res.status_code, res.content) == (204, b"")
        assert c.get("/users/7").status_code == 404


def test_a_result_breaking_the_response_type_is_a_server_error() -> None:
    with TestClient(typed_app()) as c:
        res = c.get("/wrong")
    assert res.status_code == 500
    assert res.json() == {"error": "internal error", "code": "internal"}


def test_a_strict_query_struct_refuses_unknown_query_keys() -> None:
    class Strict(msgspec.Struct, forbid_unknown_fields=True):
        q: str = ""

    async def search(req: Request, body: Strict) -> Strict:
        return body

    app = make_app()
    app.router.add(Route("GET", "/strict", search, body=Strict, response=Strict))
    with TestClient(app) as c:
        assert c.get("/strict?q=a").json() == {"q": "a"}
        res = c.get("/strict?q=a&password__eq=x")
        assert res.status_code == 422
        assert "password__eq" in res.json()["error"]
