"""An example app with typed and bus routes, used by the OpenAPI and schemathesis tests."""

from __future__ import annotations

from typing import Annotated

import msgspec

from khorsyio import App, BusRoute, ClientError, Context, Envelope, Error, Handler, Request, Route
from khorsyio.settings import HttpSettings, Settings

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
Age = Annotated[int, msgspec.Meta(ge=0, le=150)]


class Address(msgspec.Struct):
    city: str
    zip: str | None = None


class NewUser(msgspec.Struct):
    """A user to create."""

    name: Name
    age: Age = 0
    tags: list[str] = []
    address: Address | None = None


class User(msgspec.Struct):
    id: int
    name: str
    age: int
    tags: list[str]
    address: Address | None = None


class UserRef(msgspec.Struct):
    id: int
    full: bool = False


class Checked(msgspec.Struct):
    name: str
    age: int
    tags: list[str]
    address: Address | None


class Search(msgspec.Struct):
    q: str = ""
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 10
    tag: list[str] = []


class Results(msgspec.Struct):
    items: list[User]
    total: int


DB: dict[int, User] = {}


class CheckUser(Handler[NewUser, Checked]):
    subscribes_to = "user.create"
    publishes = "user.checked"

    async def process(self, data: NewUser, ctx: Context) -> Checked | Envelope:
        if any(u.name == data.name for u in DB.values()):
            return Envelope(
                event_type="user.create.error",
                ctx=ctx,
                error=Error(code="exists", message=f"user {data.name!r} exists"),
            )
        return Checked(name=data.name, age=data.age, tags=data.tags, address=data.address)


class StoreUser(Handler[Checked, User]):
    subscribes_to = "user.checked"
    publishes = "user.stored"

    async def process(self, data: Checked, ctx: Context) -> User:
        user = User(
            id=len(DB) + 1, name=data.name, age=data.age, tags=data.tags, address=data.address
        )
        DB[user.id] = user
        return user


class PresentUser(Handler[User, User]):
    subscribes_to = "user.stored"
    publishes = "user.created"

    async def process(self, data: User, ctx: Context) -> User:
        return data


class FindUser(Handler[UserRef, User]):
    subscribes_to = "user.find"
    publishes = "user.found"

    async def process(self, data: UserRef, ctx: Context) -> User | Envelope:
        user = DB.get(data.id)
        if user is None:
            return Envelope(
                event_type="user.find.error",
                ctx=ctx,
                error=Error(code="not_found", message=f"user {data.id} not found"),
            )
        return user


async def search(req: Request, q: Search) -> Results:
    items = [u for u in DB.values() if q.q in u.name and all(t in u.tags for t in q.tag)]
    return Results(items=items[: q.limit], total=len(items))


async def rename(req: Request, body: NewUser) -> User:
    user = DB.get(req.path_params["id"])
    if user is None:
        raise ClientError("no such user", status=404, code="not_found")
    user.name = body.name
    return user


def build_app() -> App:
    DB.clear()
    app = App(
        settings=Settings(http=HttpSettings(openapi=True, openapi_title="Users API")),
        strict=True,
    )
    for h in (CheckUser, StoreUser, PresentUser, FindUser):
        app.register(h)
    app.router.mount(
        [
            BusRoute(
                "POST",
                "/users",
                event="user.create",
                reply="user.created",
                body=NewUser,
                response=User,
                status=201,
                errors={"exists": 409},
                summary="Create a user",
                tags=["users"],
            ),
            BusRoute(
                "GET",
                "/users/{id:int}",
                event="user.find",
                reply="user.found",
                body=UserRef,
                response=User,
                summary="Get a user",
                tags=["users"],
            ),
            Route("GET", "/search", search, body=Search, response=Results, tags=["users"]),
            Route("PUT", "/users/{id:int}/name", rename, body=NewUser, response=User),
        ]
    )
    return app
