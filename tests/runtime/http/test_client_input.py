"""Issue 15: a client's input is never a 500, and a web page cannot post JSON cross-site.

- bodies read as JSON need a JSON Content-Type (415 otherwise), in typed and bus routes;
- ``int`` path and query parameters are signed 64-bit (404 / 422 beyond);
- the OpenAPI document states both; log lines clip what the client sent.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
import pytest

from khorsyio import BusRoute, Context, CorsConfig, Handler, Request, Send
from khorsyio.http.request import is_json_type
from khorsyio.logtext import LIMIT, clip
from khorsyio.testing import TestClient

from .conftest import UserIn, UserOut, make_app

BODY = b'{"name": "eve", "age": 3}'
INT64_MAX = 2**63 - 1


class CreateUser(Handler[UserIn, UserOut]):
    subscribes_to = "user.create"
    publishes = "user.created"

    async def process(self, data: UserIn, ctx: Context) -> UserOut:
        return UserOut(id=1, name=data.name, age=data.age)


class Lookup(msgspec.Struct):
    id: int
    page: int = 1
    tags: list[int] = []


class Ref(msgspec.Struct):
    id: int
    note: str = ""


def cross_site_app() -> Any:
    app = make_app(CorsConfig(origins=["https://app.example"]))
    created: list[UserIn] = []

    def typed(req: Request, body: UserIn) -> UserOut:
        created.append(body)
        return UserOut(id=1, name=body.name, age=body.age)

    async def plain(req: Request, send: Send) -> dict[str, Any]:
        return {"json": await req.json()}

    app.router.post("/typed", typed, body=UserIn, response=UserOut, status=201)
    app.router.post("/plain", plain)
    app.router.post("/refs/{id}", lambda req, body: body, body=Ref, response=Ref)
    app.register(CreateUser)
    app.router.add(
        BusRoute(
            "POST",
            "/bus",
            event="user.create",
            reply="user.created",
            body=UserIn,
            response=UserOut,
            status=201,
        )
    )
    app.state_created = created
    return app


NOT_JSON = [
    pytest.param({"content-type": "text/plain"}, id="text/plain"),
    pytest.param({"content-type": "text/plain;charset=UTF-8"}, id="text/plain-charset"),
    pytest.param({"content-type": "application/x-www-form-urlencoded"}, id="form"),
    pytest.param({"content-type": "multipart/form-data; boundary=x"}, id="multipart"),
    pytest.param({"content-type": "application/jsonx"}, id="jsonx"),
    pytest.param({"content-type": "text/json"}, id="text/json"),
    pytest.param({}, id="no-content-type"),
]


@pytest.mark.parametrize("headers", NOT_JSON)
@pytest.mark.parametrize("path", ["/typed", "/plain", "/bus", "/refs/7"])
def test_a_body_not_sent_as_json_is_415(path: str, headers: dict[str, str]) -> None:
    app = cross_site_app()
    with TestClient(app) as c:
        res = c.post(path, content=BODY, headers={"origin": "http://evil.example", **headers})
        assert res.status_code == 415, res.text
        assert res.json()["code"] == "unsupported_media_type"
        assert set(res.json()) == {"error", "code"}
    assert app.state_created == []
    assert app.bus.metrics.snapshot().get("CreateUser", {}).get("processed", 0) == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
        "application/problem+json",
        "application/vnd.api+json; charset=utf-8",
    ],
)
def test_json_content_types_are_read(content_type: str) -> None:
    with TestClient(cross_site_app()) as c:
        for path in ("/typed", "/bus"):
            res = c.post(path, content=BODY, headers={"content-type": content_type})
            assert (res.status_code, res.json()["name"]) == (201, "eve"), path
        res = c.post("/plain", content=BODY, headers={"content-type": content_type})
        assert res.json() == {"json": {"name": "eve", "age": 3}}


def test_json_bodies_from_the_test_client_and_empty_bodies_need_no_header() -> None:
    with TestClient(cross_site_app()) as c:
        assert c.post("/typed", json={"name": "ada"}).status_code == 201  # httpx sets it
        assert c.post("/refs/7").json() == {"id": 7, "note": ""}  # the path fills it all
        assert c.post("/typed").status_code == 400  # empty: not a JSON document at all


def test_is_json_type() -> None:
    assert is_json_type("application/json")
    assert is_json_type(" application/merge-patch+json ; charset=utf-8")
    for other in (None, "", "text/plain", "application/json-seq", "json", "application/"):
        assert not is_json_type(other), other


def int_app() -> Any:
    app = make_app()
    app.router.get("/n/{n:int}", lambda req, send: {"n": req.path_params["n"]})
    app.router.get("/lookup/{id}", lambda req, body: body, body=Lookup, response=Lookup)
    app.router.get("/lookup", lambda req, body: body, body=Lookup, response=Lookup)
    return app


def test_int_path_segments_are_signed_64_bit() -> None:
    with TestClient(int_app()) as c:
        for n in (0, -7, INT64_MAX, -(2**63)):
            assert c.get(f"/n/{n}").json() == {"n": n}
        for bad in (str(2**63), str(-(2**63) - 1), "9" * 5000, "abc"):
            res = c.get(f"/n/{bad}")
            assert (res.status_code, res.json()["code"]) == (404, "not_found"), bad


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"/lookup?id={2**63}", "$.id"),
        (f"/lookup?id=1&page={-(2**63) - 1}", "$.page"),
        (f"/lookup?id=1&tags=1&tags={2**64}", "$.tags[1]"),
        (f"/lookup/{2**63}", "$.id"),
    ],
)
def test_int_query_and_path_fields_beyond_64_bits_are_422(url: str, field: str) -> None:
    with TestClient(int_app()) as c:
        res = c.get(url)
        assert res.status_code == 422, res.text
        assert (res.json()["code"], res.json()["field"]) == ("validation", field)
        assert "64-bit" in res.json()["error"]
        assert url.rsplit("=", 1)[-1].rsplit("/", 1)[-1] not in res.json()["error"]
        ok = c.get(f"/lookup/{INT64_MAX}?page={INT64_MAX}&tags=-1")
        assert ok.json() == {"id": INT64_MAX, "page": INT64_MAX, "tags": [-1]}


def test_openapi_states_415_and_the_integer_bounds() -> None:
    app = cross_site_app()
    app.router.get("/lookup", lambda req, body: body, body=Lookup, response=Lookup)
    doc = app._http.openapi()
    for path in ("/typed", "/bus", "/refs/{id}"):
        assert "415" in doc["paths"][path]["post"]["responses"], path
    assert "415" not in doc["paths"]["/lookup"]["get"]["responses"]
    params = {p["name"]: p["schema"] for p in doc["paths"]["/lookup"]["get"]["parameters"]}
    assert params["page"] == {
        "type": "integer",
        "default": 1,
        "minimum": -(2**63),
        "maximum": INT64_MAX,
    }
    assert params["tags"]["items"]["maximum"] == INT64_MAX
    # the contract's own schema is left as msgspec made it
    assert "maximum" not in doc["components"]["schemas"]["Lookup"]["properties"]["page"]


def test_clip() -> None:
    assert clip("short") == "short"
    assert clip("x" * LIMIT) == "x" * LIMIT
    assert clip("x" * (LIMIT + 5)) == "x" * LIMIT + "…(+5 chars)"
    assert clip("abcdef", 2) == "ab…(+4 chars)"


def test_log_lines_clip_what_the_client_sent(caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()

    async def boom(req: Request, send: Send) -> None:
        raise RuntimeError("boom")

    app.router.get("/boom/{rest:path}", boom)
    long_path = "/boom/" + "p" * 60_000
    with TestClient(app) as c:
        caplog.clear()
        assert c.get(long_path).status_code == 500
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(lines) == 1, lines
    assert len(lines[0]) < 2 * LIMIT
    assert f"…(+{len(long_path) - LIMIT} chars)" in lines[0]
