from __future__ import annotations

import pytest

from khorsyio import App, ConfigError, CorsConfig, Response
from khorsyio.settings import Settings
from khorsyio.testing import TestClient

from .conftest import make_app

ORIGIN = "http://localhost:3000"


def seed_app() -> App:
    """The seed's CORS snippet, as written."""
    app = App(
        cors=CorsConfig(
            origins=["http://localhost:3000"],
            credentials=True,
            headers=["content-type", "authorization"],
            max_age=86400,
        ),
        settings=Settings(),
    )
    app.router.get("/data", lambda req, send: Response.ok(send, x=1))
    app.router.post("/data", lambda req, send: Response.ok(send, posted=True))
    return app


def test_preflight_answers_204_with_cors_headers() -> None:
    with TestClient(seed_app()) as c:
        res = c.options(
            "/data",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "Content-Type, Authorization",
            },
        )
    assert res.status_code == 204
    h = res.headers
    assert h["access-control-allow-origin"] == ORIGIN
    assert h["access-control-allow-credentials"] == "true"
    assert h["access-control-max-age"] == "86400"
    assert "POST" in h["access-control-allow-methods"]
    assert h["access-control-allow-headers"] == "content-type, authorization"
    assert h["vary"] == "Origin"


def test_actual_request_from_allowed_origin() -> None:
    with TestClient(seed_app()) as c:
        res = c.get("/data", headers={"Origin": ORIGIN})
    assert res.json() == {"x": 1}
    assert res.headers["access-control-allow-origin"] == ORIGIN
    assert res.headers["access-control-allow-credentials"] == "true"
    assert res.headers["vary"] == "Origin"


@pytest.mark.parametrize("path", ["/data", "/missing"])
def test_disallowed_origin_gets_no_cors_headers(path: str) -> None:
    with TestClient(seed_app()) as c:
        res = c.get(path, headers={"Origin": "http://evil.example"})
        pre = c.options(
            path, headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"}
        )
    for r in (res, pre):
        assert not [k for k in r.headers if k.startswith("access-control-")]
        assert r.headers["vary"] == "Origin"
    assert pre.status_code == 403


def test_preflight_with_disallowed_header_or_method_is_refused() -> None:
    with TestClient(seed_app()) as c:
        bad_header = c.options(
            "/data",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-secret",
            },
        )
    assert bad_header.status_code == 403
    assert "access-control-allow-origin" not in bad_header.headers
    app = make_app(CorsConfig(methods=["GET"]))
    with TestClient(app) as c:
        bad_method = c.options(
            "/x", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "DELETE"}
        )
    assert bad_method.status_code == 403


def test_any_origin_without_credentials_and_vary_everywhere() -> None:
    app = make_app(CorsConfig(expose_headers=["x-total"]))
    app.router.get("/x", lambda req, send: Response.ok(send))
    with TestClient(app) as c:
        res = c.get("/x", headers={"Origin": "http://anything.example"})
        assert res.headers["access-control-allow-origin"] == "*"
        assert res.headers["access-control-expose-headers"] == "x-total"
        assert "access-control-allow-credentials" not in res.headers
        plain = c.get("/x")
        assert plain.headers["vary"] == "Origin"
        assert "access-control-allow-origin" not in plain.headers
        assert c.get("/none").headers["vary"] == "Origin"  # a 404 too
        pre = c.options(
            "/x",
            headers={
                "Origin": "http://a.example",
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "x-custom",
            },
        )
        assert pre.status_code == 204
        assert pre.headers["access-control-allow-headers"] == "x-custom"


def test_any_origin_with_credentials_is_refused_at_construction() -> None:
    with pytest.raises(ConfigError, match=r"origins='\*' cannot be combined with credentials"):
        App(cors=CorsConfig(origins="*", credentials=True), settings=Settings())
    with pytest.raises(ConfigError, match="must be a scheme and host"):
        App(cors=CorsConfig(origins=["localhost:3000"]), settings=Settings())
    with pytest.raises(ConfigError, match="unknown method"):
        App(cors=CorsConfig(methods=["GET", "BREW"]), settings=Settings())
    with pytest.raises(ConfigError, match="max_age"):
        App(cors=CorsConfig(max_age=-1), settings=Settings())
