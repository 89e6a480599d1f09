"""Path parameters fill the body contract's fields of the same name, for every method."""

from __future__ import annotations

import math
import uuid
from typing import Annotated, Any

import msgspec
import pytest

from khorsyio import BusRoute, Context, Handler, RegistrationError, Route
from khorsyio.http.openapi import build_openapi
from khorsyio.http.request import Request
from khorsyio.testing import TestClient

from .conftest import make_app


class OrderRef(msgspec.Struct):
    order_id: int
    reason: str = ""


class Cancelled(msgspec.Struct):
    order_id: int
    reason: str
    status: str = "cancelled"


class Loan(msgspec.Struct, forbid_unknown_fields=True):
    id: Annotated[int, msgspec.Meta(ge=1)]
    amount: float


class Tagged(msgspec.Struct):
    key: str
    label: str = ""


class KeyRef(msgspec.Struct):
    key: uuid.UUID


class CancelOrder(Handler[OrderRef, Cancelled]):
    subscribes_to = "order.cancel"
    publishes = "order.cancelled"

    async def process(self, data: OrderRef, ctx: Context) -> Cancelled:
        return Cancelled(order_id=data.order_id, reason=data.reason or "none given")


async def echo(req: Request, body: msgspec.Struct) -> msgspec.Struct:
    return body


def bus_app() -> Any:
    app = make_app()
    app.register(CancelOrder)
    app.router.mount(
        [
            BusRoute(
                "POST",
                "/orders/{order_id}/cancel",
                event="order.cancel",
                reply="order.cancelled",
                body=OrderRef,
                response=Cancelled,
            ),
            BusRoute(
                "POST",
                "/v2/orders/{order_id:int}/cancel",
                event="order.cancel",
                reply="order.cancelled",
                body=OrderRef,
                response=Cancelled,
            ),
        ]
    )
    return app


def typed_app() -> Any:
    app = make_app()
    app.router.mount(
        [
            Route("PUT", "/loans/{id:int}", echo, body=Loan, response=Loan),
            Route("GET", "/loans/{id:int}", echo, body=Loan, response=Loan),
            Route("PATCH", "/tags/{key:int}", echo, body=Tagged, response=Tagged),
            Route("POST", "/keys/{key}", echo, body=KeyRef, response=KeyRef),
            Route("POST", "/plain/{order_id}", echo, body=Cancelled, response=Cancelled),
        ]
    )
    return app


def test_a_bus_route_takes_the_path_parameter_into_the_body() -> None:
    # the case of issue 10: no body was a 400, `{}` a 422 "missing order_id"
    with TestClient(bus_app()) as c:
        for kw in ({}, {"json": {}}):
            res = c.post("/orders/42/cancel", **kw)
            assert (res.status_code, res.json()) == (
                200,
                {"order_id": 42, "reason": "none given", "status": "cancelled"},
            )
        res = c.post("/v2/orders/7/cancel", json={"reason": "late"})
        assert res.json() == {"order_id": 7, "reason": "late", "status": "cancelled"}
        # the path names the resource: it wins over the same field in the body
        res = c.post("/v2/orders/7/cancel", json={"order_id": 8})
        assert res.json()["order_id"] == 7


def test_a_path_value_that_does_not_convert_is_a_422_naming_the_parameter() -> None:
    with TestClient(bus_app()) as c:
        res = c.post("/orders/abc/cancel")
    assert res.status_code == 422
    body = res.json()
    assert (body["code"], body["field"]) == ("validation", "$.order_id")
    assert "the path parameter 'order_id' ('abc') is not valid" in body["error"]
    assert "Expected `int`, got `str`" in body["error"]


def test_body_errors_stay_what_they_are_for_a_json_body() -> None:
    with TestClient(typed_app()) as c:
        res = c.put("/loans/3", json={"amount": 9.5})
        assert (res.status_code, res.json()) == (200, {"id": 3, "amount": 9.5})
        res = c.put("/loans/3")
        assert (res.status_code, res.json()["field"]) == (422, "$")
        assert "amount" in res.json()["error"]
        res = c.put("/loans/3", json={"amount": "x"})
        assert (res.status_code, res.json()["field"]) == (422, "$.amount")
        res = c.put("/loans/3", json={"amount": 1, "extra": 1})  # forbid_unknown_fields
        assert (res.status_code, res.json()["code"]) == (422, "validation")
        res = c.put("/loans/3", json=[1, 2])
        assert res.status_code == 422
        assert "Expected `object`, got `array`" in res.json()["error"]
        res = c.put("/loans/3", content=b"{", headers={"content-type": "application/json"})
        assert (res.status_code, res.json()["code"]) == (400, "malformed_json")
        # the field's own constraints apply to the path value (id >= 1)
        res = c.put("/loans/0", json={"amount": 1})
        assert (res.status_code, res.json()["field"]) == (422, "$.id")
        assert "the path parameter 'id' (0)" in res.json()["error"]
        # a value the converter refuses does not match the route
        assert c.put("/loans/x", json={"amount": 1}).status_code == 404


def test_get_takes_path_and_query_and_a_bad_path_value_is_a_422() -> None:
    with TestClient(typed_app()) as c:
        assert c.get("/loans/5?amount=2").json() == {"id": 5, "amount": 2.0}
        res = c.get("/loans/-1?amount=2")
        assert (res.status_code, res.json()["field"]) == (422, "$.id")
        assert "the path parameter 'id'" in res.json()["error"]


def test_a_path_value_fills_a_field_of_another_type_when_it_converts() -> None:
    with TestClient(typed_app()) as c:
        assert c.patch("/tags/12", json={"label": "x"}).json() == {"key": "12", "label": "x"}
        key = uuid.uuid4()
        assert c.post(f"/keys/{key}").json() == {"key": str(key)}
        res = c.post("/keys/not-a-uuid")
        assert (res.status_code, res.json()["field"]) == (422, "$.key")
        res = c.post("/plain/nope", json={"reason": "r"})
        assert res.status_code == 422  # order_id: int from "nope"


def test_a_route_without_path_fields_still_requires_its_body() -> None:
    app = make_app()
    app.router.post("/orders", echo, body=OrderRef, response=OrderRef)
    with TestClient(app) as c:
        res = c.post("/orders")
    assert (res.status_code, res.json()["code"]) == (400, "bad_request")
    assert "empty" in res.json()["error"]


def test_openapi_lists_path_parameters_and_leaves_them_out_of_the_body() -> None:
    app = bus_app()
    doc = build_openapi(app.router.routes)
    op = doc["paths"]["/orders/{order_id}/cancel"]["post"]
    assert op["parameters"] == [
        {"name": "order_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    ]
    body = op["requestBody"]
    assert body["required"] is False  # every required field comes from the path
    schema = body["content"]["application/json"]["schema"]
    assert "order_id" not in schema["properties"]
    assert "order_id" not in schema.get("required", [])
    assert set(schema["properties"]) == {"reason"}
    op2 = doc["paths"]["/v2/orders/{order_id}/cancel"]["post"]
    assert op2["parameters"][0]["schema"] == {
        "type": "integer",
        "format": "int64",
        "minimum": -(2**63),
        "maximum": 2**63 - 1,
    }

    loans = build_openapi(typed_app().router.routes)["paths"]["/loans/{id}"]
    put = loans["put"]
    assert [p["name"] for p in put["parameters"]] == ["id"]
    assert put["requestBody"]["required"] is True
    put_schema = put["requestBody"]["content"]["application/json"]["schema"]
    assert put_schema["required"] == ["amount"]
    assert put_schema["additionalProperties"] is False
    assert "id" not in put_schema["properties"]
    # the full contract stays in the components for the response
    assert doc["components"]["schemas"]["OrderRef"]["required"] == ["order_id"]
    get = loans["get"]
    assert [(p["name"], p["in"]) for p in get["parameters"]] == [
        ("id", "path"),
        ("amount", "query"),
    ]


@pytest.mark.parametrize("timeout", [math.inf, math.nan, 0, -1, True, "5"])
def test_a_bus_route_refuses_a_timeout_that_is_not_a_finite_positive_number(
    timeout: Any,
) -> None:
    with pytest.raises(
        RegistrationError, match="timeout must be a positive, finite number of seconds"
    ):
        BusRoute("GET", "/x", event="a", reply="b", timeout=timeout)
