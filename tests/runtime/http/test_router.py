from __future__ import annotations

import uuid

import pytest

from khorsyio import RegistrationError, Response, Route, Router
from khorsyio.http import router as router_mod
from khorsyio.testing import TestClient

from .conftest import make_app


async def noop(req, send):  # type: ignore[no-untyped-def]
    await Response.ok(send, route=req.route.path, params=req.path_params)


def test_static_and_param_lookup() -> None:
    r = Router()
    r.get("/users", noop)
    r.get("/users/me", noop)
    r.get("/users/{id:int}", noop)
    r.get("/users/{name}", noop)
    r.get("/users/{id:int}/posts/{post}", noop)
    r.get("/files/{rest:path}", noop)
    r.get("/things/{key:uuid}", noop)

    def path_of(method: str, path: str) -> tuple[str | None, dict[str, object]]:
        m = r.match(method, path)
        return (m.route.path if m.route else None, m.params)

    assert path_of("GET", "/users") == ("/users", {})
    assert path_of("GET", "/users/me") == ("/users/me", {})  # static wins over params
    assert path_of("GET", "/users/42") == ("/users/{id:int}", {"id": 42})
    assert path_of("GET", "/users/-3") == ("/users/{id:int}", {"id": -3})
    assert path_of("GET", "/users/ada") == ("/users/{name}", {"name": "ada"})
    assert path_of("GET", "/users/7/posts/x") == (
        "/users/{id:int}/posts/{post}",
        {"id": 7, "post": "x"},
    )
    assert path_of("GET", "/files/a/b/c.txt") == ("/files/{rest:path}", {"rest": "a/b/c.txt"})
    u = uuid.uuid4()
    assert path_of("GET", f"/things/{u}") == ("/things/{key:uuid}", {"key": u})
    assert path_of("GET", "/things/not-a-uuid") == (None, {})
    assert path_of("GET", "/users/" + "9" * 5000)[0] == "/users/{name}"  # too long for int()
    assert path_of("GET", "/users/ada/posts/x") == (None, {})  # {id:int} does not take "ada"
    assert path_of("GET", "/users/") == (None, {})  # an empty segment is not a parameter
    assert path_of("GET", "/nope") == (None, {})
    assert r.match("POST", "/users/42").allowed == {"GET"}


def test_lookup_does_not_scan_routes(monkeypatch: pytest.MonkeyPatch) -> None:
    """With many parameterized routes, a lookup converts only the segments on its path."""
    calls: list[str] = []
    real = router_mod.CONVERTERS["int"]

    def counting(s: str) -> object:
        calls.append(s)
        return real(s)

    monkeypatch.setitem(router_mod.CONVERTERS, "int", counting)
    r = Router()
    for i in range(2000):
        r.get(f"/r{i}/{{id:int}}", noop)
        r.get(f"/static/{i}", noop)
    assert r.match("GET", "/r1999/5").params == {"id": 5}
    assert calls == ["5"]
    assert r.match("GET", "/static/1999").route is not None
    assert calls == ["5"]
    assert r._static["/static/1999"]["GET"].path == "/static/1999"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("/users/{id}", "/users/{name}"),
        ("/users/{id:int}", "/users/{other:int}"),
        ("/users", "/users"),
    ],
)
def test_conflicting_routes_are_refused(first: str, second: str) -> None:
    r = Router()
    r.get(first, noop)
    with pytest.raises(RegistrationError, match="conflicts"):
        r.get(second, noop)
    r.post(second, noop)  # another method on the same shape is fine


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("users", "must start with '/'"),
        ("/users/{id", "must be a whole"),
        ("/users/x{id}", "must be a whole"),
        ("/users/{id:float}", "unknown converter"),
        ("/a/{id}/{id}", "appears twice"),
        ("/a/{rest:path}/b", "must be last"),
    ],
)
def test_bad_paths_are_refused(path: str, message: str) -> None:
    with pytest.raises(RegistrationError, match=message):
        Route("GET", path, noop)


def test_bad_method_and_handler_are_refused() -> None:
    with pytest.raises(RegistrationError, match="method must be one of"):
        Route("FETCH", "/x", noop)
    with pytest.raises(RegistrationError, match="callable"):
        Route("GET", "/x", "not a function")  # type: ignore[arg-type]
    with pytest.raises(RegistrationError, match="Route or BusRoute"):
        Router().add("GET /x")  # type: ignore[arg-type]


def test_every_method_helper_and_mount() -> None:
    app = make_app()
    r = app.router
    for verb in ("get", "post", "put", "patch", "delete", "head", "options"):
        getattr(r, verb)(f"/{verb}", noop)
    r.mount([Route("GET", "/mounted/{x}", noop)])

    @r.get("/decorated/{x:int}")
    async def decorated(req, send):  # type: ignore[no-untyped-def]
        await Response.ok(send, x=req.path_params["x"] * 2)

    with TestClient(app) as c:
        for verb in ("get", "post", "put", "patch", "delete", "options"):
            res = c.request(verb, f"/{verb}")
            assert res.status_code == 200, verb
            assert res.json()["route"] == f"/{verb}"
        head = c.head("/head")
        assert head.status_code == 200
        assert head.content == b""
        assert c.get("/mounted/abc").json()["params"] == {"x": "abc"}
        assert c.get("/decorated/21").json() == {"x": 42}


def test_unknown_path_404_and_wrong_method_405_with_allow() -> None:
    app = make_app()
    app.router.get("/items/{id:int}", noop)
    app.router.delete("/items/{id:int}", noop)
    with TestClient(app) as c:
        res = c.get("/nothing/here")
        assert res.status_code == 404
        assert res.json() == {"error": "not found", "code": "not_found"}
        res = c.post("/items/3")
        assert res.status_code == 405
        assert res.headers["allow"] == "DELETE, GET, HEAD, OPTIONS"
        assert res.json()["code"] == "method_not_allowed"
        assert c.get("/items/abc").status_code == 404  # the converter does not match
        opt = c.options("/items/3")
        assert opt.status_code == 204
        assert opt.headers["allow"] == "DELETE, GET, HEAD, OPTIONS"


def test_head_falls_back_to_get_without_body() -> None:
    app = make_app()
    app.router.get(
        "/doc/{id}", lambda req, send: Response.text(send, "hello " + req.path_params["id"])
    )
    with TestClient(app) as c:
        got = c.get("/doc/1")
        head = c.head("/doc/1")
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["content-length"] == got.headers["content-length"] == "7"
