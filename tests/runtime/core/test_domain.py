from __future__ import annotations

from khorsyio import App, Context, Domain, Handler, Route, Settings

from .contracts import UserIn, UserOut


class CreateUser(Handler):
    subscribes_to = "create"
    publishes = "created"
    input_type = UserIn
    output_type = UserOut

    async def process(self, data: UserIn, ctx: Context) -> UserOut:
        return UserOut(id=1, name=data.name)


async def get_users(req: object, send: object) -> None:
    return None


async def test_the_seed_domain_snippet_namespaces_events() -> None:
    app = App(settings=Settings())
    users = Domain()
    users.namespace = "user"
    users.handlers = [CreateUser]
    users.routes = [Route("GET", "/users", get_users)]
    app.mount(users)
    await app.startup()
    try:
        [sub] = app.bus.subscriptions
        assert sub.subscribes_to == "user.create"
        assert sub.publishes == "user.created"
        assert sub.handler.subscribes_to == "user.create"  # type: ignore[misc]
        result = await app.bus.request(
            "user.create", UserIn(name="x"), response_type="user.created"
        )
        assert result.payload == UserOut(id=1, name="x")
        assert CreateUser.subscribes_to == "create"  # the class itself is untouched
    finally:
        await app.shutdown()


async def test_keyword_construction_and_already_prefixed_names() -> None:
    class Prefixed(CreateUser):
        subscribes_to = "user.create"
        publishes = "user.created"

    d = Domain(namespace="user", handlers=[Prefixed()])
    assert d.name == "user"
    assert d.routes == []
    app = App(settings=Settings())
    app.mount(d)
    await app.startup()
    try:
        [sub] = app.bus.subscriptions
        assert (sub.subscribes_to, sub.publishes) == ("user.create", "user.created")
    finally:
        await app.shutdown()


def test_domain_instances_do_not_share_lists() -> None:
    a, b = Domain(), Domain()
    a.handlers.append(CreateUser)
    assert b.handlers == []
