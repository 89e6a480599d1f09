from __future__ import annotations

from typing import Any

import msgspec

from khorsyio import Request, Response
from khorsyio.testing import TestClient

from .conftest import UserIn, make_app


class Order(msgspec.Struct):
    user: UserIn
    items: list[int]


def test_seed_handler_snippet() -> None:
    """The seed's HTTP snippet, as written."""
    app = make_app()

    class MyStruct(msgspec.Struct):
        text: str

    async def handler(req, send):  # type: ignore[no-untyped-def]
        body = await req.json(MyStruct)
        name = req.param("name", "default")
        id = req.path_params["id"]
        token = req.header("authorization")
        bus = req.state["bus"]
        assert bus is app.bus
        await Response.json(
            send,
            {"text": body.text, "name": name, "id": id, "token": token},
            headers={"x-request-id": "123"},
        )

    async def inject_bus(req):  # type: ignore[no-untyped-def]
        req.state["bus"] = app.bus

    app.router.use(inject_bus)
    app.router.post("/things/{id}", handler)
    with TestClient(app) as c:
        res = c.post("/things/9", json={"text": "hi"}, headers={"Authorization": "Bearer t"})
    assert res.status_code == 200
    assert res.headers["x-request-id"] == "123"
    assert res.json() == {"text": "hi", "name": "default", "id": "9", "token": "Bearer t"}


def echo_app() -> Any:
    app = make_app()

    async def order(req: Request, send: Any) -> None:
        o = await req.json(Order)
        await Response.json(send, o)

    async def anything(req: Request, send: Any) -> None:
        await Response.json(send, {"json": await req.json()})

    async def raw(req: Request, send: Any) -> None:
        body = await req.body()
        again = await req.body()
        assert body is again
        await Response.json(send, {"len": len(body)})

    async def query(req: Request, send: Any) -> None:
        await Response.json(
            send,
            {
                "first": req.param("tag"),
                "all": req.param_list("tag"),
                "missing": req.param("nope", "dflt"),
                "blank": req.param("blank"),
                "query": req.query,
            },
        )

    async def headers(req: Request, send: Any) -> None:
        await Response.json(
            send,
            {
                "upper": req.header("X-THING"),
                "lower": req.header("x-thing"),
                "none": req.header("x-missing"),
                "dflt": req.header("x-missing", "d"),
                "cookies": req.cookies,
                "sid": req.cookie("sid"),
                "nocookie": req.cookie("nope", "x"),
            },
        )

    app.router.post("/order", order)
    app.router.post("/any", anything)
    app.router.post("/raw", raw)
    app.router.get("/query", query)
    app.router.get("/headers", headers)
    return app


def test_json_validation_error_is_422_with_the_field_path() -> None:
    with TestClient(echo_app()) as c:
        res = c.post("/order", json={"user": {"name": "ada", "age": "old"}, "items": [1]})
        assert res.status_code == 422
        body = res.json()
        assert body["code"] == "validation"
        assert body["field"] == "$.user.age"
        assert "$.user.age" in body["error"]
        assert "Expected `int`" in body["error"]
        res = c.post("/order", json={"user": {"name": "ada"}, "items": [1, "x"]})
        assert res.status_code == 422
        assert res.json()["field"] == "$.items[1]"
        res = c.post("/order", json={"items": []})
        assert res.status_code == 422
        assert "user" in res.json()["error"]
        ok = c.post("/order", json={"user": {"name": "ada"}, "items": [1, 2]})
        assert ok.status_code == 200
        assert ok.json() == {"user": {"name": "ada", "age": 0}, "items": [1, 2]}


JSON = {"content-type": "application/json"}


def test_malformed_or_empty_json_is_400() -> None:
    with TestClient(echo_app()) as c:
        for bad in (b"{not json", b'{"user": ', b"\xff\xfe", b'{"items": [1,]}'):
            res = c.post("/order", content=bad, headers={"content-type": "application/json"})
            assert res.status_code == 400, bad
            assert res.json()["code"] == "malformed_json"
        deep = b"[" * 100_000 + b"]" * 100_000  # under the size limit, too deep to decode
        res = c.post("/any", content=deep, headers={"content-type": "application/json"})
        assert (res.status_code, res.json()["code"]) == (400, "malformed_json")
        res = c.post("/order", content=deep, headers=JSON)  # a typed decode stops at once
        assert (res.status_code, res.json()["code"]) == (422, "validation")
        res = c.post("/any", content=b"")
        assert res.status_code == 400
        assert res.json()["code"] == "bad_request"
        assert c.post("/any", content=b'[1, {"a": null}]', headers=JSON).json() == {
            "json": [1, {"a": None}]
        }


def test_body_is_read_once_and_cached() -> None:
    with TestClient(echo_app()) as c:
        assert c.post("/raw", content=b"x" * 5000).json() == {"len": 5000}


def test_query_params_with_repeated_keys() -> None:
    with TestClient(echo_app()) as c:
        res = c.get("/query?tag=a&tag=b&blank=&x=%C3%A9")
    body = res.json()
    assert body["first"] == "a"
    assert body["all"] == ["a", "b"]
    assert body["missing"] == "dflt"
    assert body["blank"] == ""
    assert body["query"]["x"] == ["é"]


def test_headers_case_insensitive_and_cookies() -> None:
    with TestClient(echo_app()) as c:
        res = c.get(
            "/headers",
            headers={"X-Thing": "v", "Cookie": 'sid=abc; theme="dark"; bad; pct=a%20b'},
        )
    body = res.json()
    assert body["upper"] == body["lower"] == "v"
    assert body["none"] is None
    assert body["dflt"] == "d"
    assert body["cookies"] == {"sid": "abc", "theme": "dark", "pct": "a b"}
    assert body["sid"] == "abc"
    assert body["nocookie"] == "x"


def test_trace_id_from_header_or_fresh() -> None:
    app = make_app()
    app.router.get("/t", lambda req, send: Response.ok(send, trace=req.trace_id))
    with TestClient(app) as c:
        assert c.get("/t", headers={"x-trace-id": "abc-123"}).json()["trace"] == "abc-123"
        fresh = c.get("/t", headers={"x-trace-id": "bad id\twith tab"}).json()["trace"]
        assert fresh != "bad id\twith tab"
        assert len(fresh) == 16
