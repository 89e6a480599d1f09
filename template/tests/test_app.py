"""The app serves: health, the OpenAPI document, the docs page."""

from __future__ import annotations

from khorsyio.testing import TestClient


async def test_health(client: TestClient) -> None:
    r = await client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


async def test_openapi_document(client: TestClient) -> None:
    r = await client.get("/openapi.json")
    assert r.status_code == 200
    assert r.json()["openapi"].startswith("3.1")


async def test_unknown_paths_are_404(client: TestClient) -> None:
    r = await client.get("/nope")
    assert r.status_code == 404
