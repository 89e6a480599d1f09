"""The app serves: health, readiness, metrics, the OpenAPI document, the docs page; and its
logs are the lines LOG_FORMAT names."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from khorsyio import Settings, configure_logging
from khorsyio.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families


async def test_health(client: TestClient) -> None:
    r = await client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


async def test_ready_checks_the_database_and_the_bus(client: TestClient) -> None:
    r = await client.get("/ready")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "checks": {"db": "ok", "bus": "ok"}}


async def test_metrics_in_the_prometheus_format(client: TestClient) -> None:
    await client.get("/health")
    r = await client.get("/metrics")
    assert r.status_code == 200
    samples = {
        (s.name, s.labels.get("route"), s.labels.get("status")): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }
    assert samples[("khorsyio_http_requests_total", "/health", "200")] == 1
    assert ("khorsyio_websocket_connections", None, None) in samples


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_logs_are_json_lines_when_log_format_says_so(root_logging: None) -> None:
    out = io.StringIO()
    configure_logging(Settings.load(environ={"LOG_FORMAT": "json"}, env_file=None), stream=out)
    logging.getLogger("app.orders").info("placed", extra={"order": 7})
    line = json.loads(out.getvalue())
    assert (line["logger"], line["message"], line["order"]) == ("app.orders", "placed", 7)


async def test_openapi_document(client: TestClient) -> None:
    r = await client.get("/openapi.json")
    assert r.status_code == 200
    assert r.json()["openapi"].startswith("3.1")


async def test_unknown_paths_are_404(client: TestClient) -> None:
    r = await client.get("/nope")
    assert r.status_code == 404
