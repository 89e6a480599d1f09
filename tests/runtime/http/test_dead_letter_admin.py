"""The dead-letter admin endpoint: off by default, behind the app's auth hook when on."""

from __future__ import annotations

import hmac

import msgspec
import pytest

from khorsyio import App, ConfigError, Context, Handler, RetryPolicy, Settings
from khorsyio.http import Request
from khorsyio.testing import TestClient

BASE = "/_khorsyio/dead-letters"
TOKEN = {"authorization": "Bearer s3cret"}


class Parcel(msgspec.Struct):
    n: int


class Deliver(Handler[Parcel, None]):
    subscribes_to = "parcel.deliver"
    retry = RetryPolicy(attempts=2, backoff=0.0)
    down = True
    seen: list[str] = []

    async def process(self, data: Parcel, ctx: Context) -> None:
        Deliver.seen.append(ctx.trace_id)
        if Deliver.down:
            raise ConnectionError("no road")


def _auth(req: Request) -> bool:
    return hmac.compare_digest(req.header("authorization", ""), "Bearer s3cret")


def _app(admin: bool, *, auth: bool = True) -> App:
    env = {"BUS_DEAD_LETTER_ADMIN": "true"} if admin else {}
    app = App(settings=Settings.load(environ={**env, "HTTP_OPENAPI": "true"}, env_file=None))
    app.register(Deliver)
    if auth:
        app.dead_letter_auth = _auth
    return app


async def _fail(app: App, n: int, trace_id: str) -> None:
    await app.bus.publish("parcel.deliver", Parcel(n), trace_id=trace_id)
    assert await app.bus.wait_idle(5)


async def test_off_by_default_and_not_in_the_openapi_document() -> None:
    app = _app(admin=False)
    async with TestClient(app) as client:
        assert (await client.get(BASE, headers=TOKEN)).status_code == 404
        paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [p for p in paths if p.startswith("/_khorsyio")]


async def test_enabled_without_an_auth_hook_the_app_does_not_start() -> None:
    app = _app(admin=True, auth=False)
    with pytest.raises(ConfigError, match=r"BUS_DEAD_LETTER_ADMIN=true but app\.dead_letter_auth"):
        await app.startup()


async def test_the_hook_guards_every_route() -> None:
    app = _app(admin=True)
    async with TestClient(app) as client:
        for method, path in [
            ("GET", BASE),
            ("GET", f"{BASE}/1"),
            ("POST", f"{BASE}/1/replay"),
            ("POST", f"{BASE}/replay"),
            ("DELETE", f"{BASE}/1"),
            ("DELETE", BASE),
        ]:
            r = await client.request(method, path)
            assert (r.status_code, r.json()["code"]) == (401, "unauthorized"), path
            r = await client.request(method, path, headers={"authorization": "Bearer nope"})
            assert (r.status_code, r.json()["code"]) == (403, "forbidden"), path
        paths = (await client.get("/openapi.json")).json()["paths"]
    assert {BASE, BASE + "/{id}", BASE + "/{id}/replay", BASE + "/replay"} <= set(paths)


async def test_list_show_replay_and_purge() -> None:
    Deliver.down, Deliver.seen = True, []
    app = _app(admin=True)
    async with TestClient(app, headers=TOKEN) as client:
        await _fail(app, 1, "trace-a")
        await _fail(app, 2, "trace-b")
        body = (await client.get(BASE)).json()
        assert body["count"] == 2
        first, second = body["items"]
        assert (first["handler"], first["trace_id"], first["attempts"]) == ("Deliver", "trace-a", 2)
        assert (first["code"], first["message"]) == ("handler_error", "no road")
        assert (await client.get(BASE, params={"limit": "1"})).json()["items"] == [first]
        assert (await client.get(BASE, params={"handler": "Other"})).json()["count"] == 0
        r = await client.get(BASE, params={"limit": "many"})
        assert (r.status_code, r.json()["code"]) == (400, "bad_request")

        shown = (await client.get(f"{BASE}/{first['id']}")).json()
        assert shown["envelope"]["payload"] == {"n": 1}
        assert shown["envelope"]["ctx"]["trace_id"] == "trace-a"
        assert shown["error"]["code"] == "handler_error"
        r = await client.get(f"{BASE}/999")
        assert (r.status_code, r.json()["code"]) == (404, "unknown_dead_letter")

        Deliver.down = False
        r = await client.post(f"{BASE}/{first['id']}/replay")
        assert r.json() == {"replayed": 1, "id": first["id"], "trace_id": "trace-a"}
        assert await app.bus.wait_idle(5)
        assert Deliver.seen[-1] == "trace-a"  # the same trace, delivered again
        r = await client.post(f"{BASE}/{first['id']}/replay")
        assert r.status_code == 404

        assert (await client.delete(f"{BASE}/{second['id']}")).json() == {"purged": 1}
        assert (await client.delete(f"{BASE}/{second['id']}")).status_code == 404
        Deliver.down = True
        await _fail(app, 3, "trace-c")
        await _fail(app, 4, "trace-d")
        Deliver.down = False
        r = await client.post(f"{BASE}/replay", params={"handler": "Deliver"})
        assert r.json() == {"replayed": 2}
        assert await app.bus.wait_idle(5)
        assert Deliver.seen[-2:] == ["trace-c", "trace-d"]
        Deliver.down = True
        await _fail(app, 5, "trace-e")
        assert (await client.delete(BASE, params={"handler": "Deliver"})).json() == {"purged": 1}
        assert (await client.get(BASE)).json() == {"count": 0, "items": []}


async def test_an_async_hook_is_awaited() -> None:
    app = _app(admin=True)

    async def hook(req: Request) -> bool:
        return req.header("x-admin") == "yes"

    app.dead_letter_auth = hook
    async with TestClient(app) as client:
        assert (await client.get(BASE, headers={"x-admin": "yes"})).status_code == 200
        assert (await client.get(BASE, headers={"x-admin": "no"})).status_code == 401


async def test_a_replay_the_bus_does_not_take_is_409_and_the_letter_stays() -> None:
    from khorsyio import Envelope
    from khorsyio.events import Error

    app = _app(admin=True)
    async with TestClient(app, headers=TOKEN) as client:
        letter = await app.bus.dead_letters.add(
            "Retired", Envelope.create("parcel.deliver", Parcel(9)), Error(code="x"), 1
        )
        for path in (f"{BASE}/{letter.id}/replay", f"{BASE}/replay"):
            r = await client.post(path)
            assert r.status_code == 409, path
            assert r.json() == {
                "error": "no handler named 'Retired' is registered",
                "code": "not_replayed",
            }
        assert [d.id for d in await app.bus.dead_letters.list()] == [letter.id]
