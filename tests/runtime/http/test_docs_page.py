"""``/docs``: Swagger UI served by the app itself (offline), a CDN only as the fallback."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from khorsyio.http import docs_page
from khorsyio.testing import TestClient, serve

from .browser import open_page
from .conftest import make_app
from .openapi_example import build_app

pytestmark = pytest.mark.timeout(90)

LOOPBACK = {"127.0.0.1"}
PATHS_IN_DOM = (
    "Array.from(document.querySelectorAll('.opblock-summary-path'))"
    ".map(e => e.getAttribute('data-path') || e.textContent)"
)


def test_bundle_is_installed_and_recent_enough_for_openapi_3_1() -> None:
    assets = docs_page.local_assets()
    assert assets is not None, "swagger-ui-bundle-v2 is a dependency of khorsyio"
    assert int(assets.version.split(".")[0]) >= 5


def test_page_and_assets_are_served_by_the_app() -> None:
    with TestClient(build_app()) as c:
        page = c.get("/docs").text
        assert "cdn." not in page
        assert "https://" not in page
        for name, ctype in (
            ("swagger-ui-bundle.js", "text/javascript"),
            ("swagger-ui.css", "text/css"),
            ("favicon-32x32.png", "image/png"),
        ):
            url = f"{docs_page.ASSETS_PATH}/{name}"
            assert url in page
            res = c.get(url)
            assert res.status_code == 200, url
            assert res.headers["content-type"].startswith(ctype)
            assert res.headers["cache-control"] == "public, max-age=86400"
            assert len(res.content) > 500
        # the asset routes stay out of the document
        assert not any(p.startswith("/docs") for p in c.get("/openapi.json").json()["paths"])


def test_no_asset_routes_without_openapi() -> None:
    with TestClient(make_app()) as c:
        assert c.get(f"{docs_page.ASSETS_PATH}/swagger-ui-bundle.js").status_code == 404


def test_without_the_bundle_the_page_falls_back_to_the_cdn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(docs_page, "local_assets", lambda: None)
    with TestClient(build_app()) as c:
        page = c.get("/docs").text
        assert f"{docs_page.CDN_URL}/swagger-ui-bundle.js" in page
        assert f"{docs_page.CDN_URL}/swagger-ui.css" in page
        assert c.get(f"{docs_page.ASSETS_PATH}/swagger-ui-bundle.js").status_code == 404


def test_old_swagger_ui_4_is_not_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # swagger-ui-bundle 1.x ships Swagger UI 4 under the same import name: it cannot show
    # OpenAPI 3.1, so the page must rather use the CDN than a blank local copy.
    import importlib.resources

    root = tmp_path / "swagger_ui_bundle"
    old = root / "vendor" / "swagger-ui-4.15.5"
    old.mkdir(parents=True)
    for name in ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"):
        (old / name).write_bytes(b"x")
    monkeypatch.setattr(importlib.resources, "files", lambda pkg: root)
    docs_page.local_assets.cache_clear()
    try:
        assert docs_page.local_assets() is None
        (root / "vendor" / "swagger-ui-5.2.0").mkdir()
        docs_page.local_assets.cache_clear()
        assert docs_page.local_assets() is None  # incomplete: files missing
        for name in ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"):
            (root / "vendor" / "swagger-ui-5.2.0" / name).write_bytes(b"x")
        docs_page.local_assets.cache_clear()
        found = docs_page.local_assets()
        assert found is not None
        assert found.version == "5.2.0"
    finally:
        monkeypatch.undo()
        docs_page.local_assets.cache_clear()


def test_title_and_url_are_escaped() -> None:
    page = docs_page.docs_page('/x"</script><b>.json', "<b>API</b>", local=True)
    assert "<b>API</b>" not in page
    assert "&lt;b&gt;API&lt;/b&gt;" in page
    assert "</script><b>" not in page


def _off_loopback(urls: list[str]) -> list[str]:
    return [
        u
        for u in urls
        if urlsplit(u).scheme not in ("data", "blob", "about")
        and urlsplit(u).hostname not in LOOPBACK
    ]


@pytest.mark.slow
async def test_docs_render_offline_in_chromium() -> None:
    app = build_app()
    expected = set(app.openapi()["paths"])
    async with serve(app) as url, open_page() as page:
        await page.goto(f"{url}/docs")
        shown = await page.wait_for(
            f"(() => {{ const p = {PATHS_IN_DOM}; return p.length >= {len(expected)} && p; }})()",
            timeout=30,
        )
        assert shown, f"no operation rendered; errors: {page.errors}; requests: {page.requests}"
        assert set(shown) == expected
        title = await page.evaluate("document.querySelector('.info .title').textContent")
        assert "Users API" in title
        # the document was fetched from the app, and nothing left this machine
        assert f"{url}/openapi.json" in page.requests
        assert f"{url}{docs_page.ASSETS_PATH}/swagger-ui-bundle.js" in page.requests
        assert _off_loopback(page.requests) == []
        assert page.errors == []
        assert page.failed == []


@pytest.mark.slow
async def test_the_browser_check_sees_a_cdn_page(monkeypatch: pytest.MonkeyPatch) -> None:
    # The check above is not vacuous: the CDN page (what /docs was before) is caught.
    monkeypatch.setattr(docs_page, "local_assets", lambda: None)
    async with serve(build_app()) as url, open_page() as page:
        await page.goto(f"{url}/docs")
        blocked = await page.wait_for(
            "document.readyState === 'complete' && typeof SwaggerUIBundle === 'undefined'",
            timeout=30,
        )
        assert blocked
        assert any(u.startswith(docs_page.CDN_URL) for u in _off_loopback(page.requests))
        assert page.errors  # "SwaggerUIBundle is not defined"
