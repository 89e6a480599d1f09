from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from khorsyio import Response
from khorsyio.testing import TestClient

from .conftest import make_app
from .openapi_example import build_app

INT64 = {"type": "integer", "format": "int64", "minimum": -(2**63), "maximum": 2**63 - 1}


def test_document_is_valid_openapi_3_1() -> None:
    doc = build_app().openapi()
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    assert doc["info"] == {"title": "Users API", "version": "0.1.0"}
    assert set(doc["paths"]) == {"/users", "/users/{id}", "/search", "/users/{id}/name"}


def test_typed_and_bus_operations_carry_their_schemas() -> None:
    doc = build_app().openapi()
    schemas = doc["components"]["schemas"]
    assert {"NewUser", "User", "Address", "Results", "ErrorResponse"} <= set(schemas)
    assert schemas["NewUser"]["properties"]["name"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 40,
    }
    create = doc["paths"]["/users"]["post"]
    assert create["summary"] == "Create a user"
    assert create["tags"] == ["users"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NewUser"
    }
    responses = create["responses"]
    assert responses["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/User"
    }
    assert {"400", "409", "413", "415", "422", "500", "504"} <= set(responses)
    get = doc["paths"]["/users/{id}"]["get"]
    assert get["parameters"] == [
        {"name": "id", "in": "path", "required": True, "schema": INT64},
        {"name": "full", "in": "query", "schema": {"type": "boolean", "default": False}},
    ]
    assert "404" in get["responses"]
    search = doc["paths"]["/search"]["get"]
    by_name = {p["name"]: p for p in search["parameters"]}
    assert by_name["tag"]["schema"] == {"type": "array", "items": {"type": "string"}, "default": []}
    assert by_name["limit"]["schema"]["maximum"] == 100
    assert "requestBody" not in search
    ids = [op["operationId"] for path in doc["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))


def test_plain_routes_are_listed_without_schemas_and_hidden_ones_are_not() -> None:
    app = make_app()
    app.router.get("/health", lambda req, send: Response.ok(send, status="ok"))
    app.router.get("/internal", lambda req, send: Response.ok(send), include_in_schema=False)
    doc = app.openapi()
    validate(doc)
    assert doc["paths"] == {
        "/health": {
            "get": {"operationId": "get_health", "responses": {"200": {"description": "OK"}}}
        }
    }


def test_document_is_served_only_when_enabled() -> None:
    with TestClient(build_app()) as c:
        res = c.get("/openapi.json")
        assert res.status_code == 200
        assert res.json()["paths"]["/users"]["post"]["operationId"]
        page = c.get("/docs")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "/openapi.json" in page.text
    app = make_app()
    assert app.settings.http.openapi is False
    with TestClient(app) as c:
        assert c.get("/openapi.json").status_code == 404
        assert c.get("/docs").status_code == 404


def test_document_follows_route_changes() -> None:
    app = make_app()
    assert app.openapi()["paths"] == {}
    app.router.get("/later", lambda req, send: Response.ok(send))
    assert list(app.openapi()["paths"]) == ["/later"]


# -- schemathesis: generated requests against the example app, in-process --------------


@pytest.fixture
def api_schema() -> Iterator[Any]:
    # A fresh app per test: schemathesis ends the app's lifespan after each test.
    from schemathesis.python.asgi import shutdown_lifespans

    schema = schemathesis.openapi.from_asgi("/openapi.json", build_app())
    yield schema
    shutdown_lifespans()


OPERATIONS = sorted(
    (path, method) for path, ops in build_app().openapi()["paths"].items() for method in ops
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_api_conforms_to_its_openapi_document(
    api_schema: Any, path: str, method: str, mode: GenerationMode
) -> None:
    """No 5xx, and every response (status, content type, body) matches the document."""
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    run()
