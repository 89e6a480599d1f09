"""BusRoute examples: named examples of the request body, parameters and responses."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from khorsyio import (
    App,
    BusRoute,
    Context,
    Envelope,
    Error,
    Handler,
    RegistrationError,
    RouteExample,
)
from khorsyio.testing import TestClient

from .conftest import UserIn, UserOut, make_app


class OrderRef(msgspec.Struct):
    order_id: int
    reason: str = ""


class Order(msgspec.Struct):
    order_id: int
    state: str


EXAMPLES = [
    RouteExample(
        "a new user",
        request={"name": "ada"},
        response={"id": 1, "name": "ada"},
        summary="the first sign-up",
    ),
    RouteExample("a taken name", request=UserIn(name="root"), error="exists", message="taken"),
    RouteExample("no message", request={"name": "x"}, error="exists"),
    RouteExample("a crash", request={"name": "boom"}, error="broken"),
]


class CreateUser(Handler[UserIn, UserOut]):
    subscribes_to = "user.create"
    publishes = "user.created"

    async def process(self, data: UserIn, ctx: Context) -> UserOut | Envelope:
        if data.name in ("root", "x", "boom"):
            code = "broken" if data.name == "boom" else "exists"
            message = "taken" if data.name == "root" else code
            return Envelope(
                event_type="user.create.error", ctx=ctx, error=Error(code=code, message=message)
            )
        return UserOut(id=1, name=data.name)


class CancelOrder(Handler[OrderRef, Order]):
    subscribes_to = "order.cancel"
    publishes = "order.cancelled"

    async def process(self, data: OrderRef, ctx: Context) -> Order:
        return Order(order_id=data.order_id, state="cancelled")


class GetOrder(Handler[OrderRef, Order]):
    subscribes_to = "order.get"
    publishes = "order.found"

    async def process(self, data: OrderRef, ctx: Context) -> Order:
        return Order(order_id=data.order_id, state="open")


def build_app() -> App:
    app = make_app(openapi=True)
    app.router.mount(
        [
            BusRoute(
                "POST",
                "/users",
                event="user.create",
                reply="user.created",
                body=UserIn,
                response=UserOut,
                status=201,
                errors={"exists": 409, "broken": 500},
                examples=EXAMPLES,
            ),
            BusRoute(
                "POST",
                "/orders/{order_id:int}/cancel",
                event="order.cancel",
                reply="order.cancelled",
                body=OrderRef,
                response=Order,
                examples=[
                    RouteExample(
                        "late",
                        request={"order_id": 7, "reason": "late"},
                        response=Order(order_id=7, state="cancelled"),
                    )
                ],
            ),
            BusRoute(
                "GET",
                "/orders/{order_id:int}",
                event="order.get",
                reply="order.found",
                body=OrderRef,
                response=Order,
                examples=[
                    RouteExample(
                        "open", request={"order_id": 7}, response={"order_id": 7, "state": "open"}
                    ),
                    RouteExample("missing", request={"order_id": 8}, error="not_found"),
                ],
            ),
        ]
    )
    app.register(CreateUser)
    app.register(CancelOrder)
    app.register(GetOrder)
    return app


def _media(op: dict[str, Any], status: str) -> dict[str, Any]:
    media: dict[str, Any] = op["responses"][status]["content"]["application/json"]
    return media


def test_examples_are_served_in_a_valid_document() -> None:
    with TestClient(build_app()) as client:
        doc = client.get("/openapi.json").json()
    validate(doc)
    create = doc["paths"]["/users"]["post"]
    body = create["requestBody"]["content"]["application/json"]["examples"]
    assert body == {
        "a new user": {"summary": "the first sign-up", "value": {"name": "ada"}},
        "a taken name": {"value": {"name": "root", "age": 0}},  # a Struct, as JSON
        "no message": {"value": {"name": "x"}},
        "a crash": {"value": {"name": "boom"}},
    }
    # the reply as the client gets it: encoded as the response type (defaults included)
    assert _media(create, "201")["examples"] == {
        "a new user": {"summary": "the first sign-up", "value": {"id": 1, "name": "ada", "age": 0}}
    }
    assert _media(create, "409")["examples"] == {
        "a taken name": {"value": {"error": "taken", "code": "exists"}},
        "no message": {"value": {"error": "exists", "code": "exists"}},
    }
    # a 5xx shows what the runtime sends without SERVER_DEBUG, not the handler's message
    assert _media(create, "500")["examples"] == {
        "a crash": {"value": {"error": "internal error", "code": "broken"}}
    }


def test_fields_the_path_fills_are_path_parameter_examples_not_body_ones() -> None:
    doc = build_app().openapi()
    validate(doc)
    cancel = doc["paths"]["/orders/{order_id}/cancel"]["post"]
    assert cancel["parameters"][0]["examples"] == {"late": {"value": 7}}
    body = cancel["requestBody"]["content"]["application/json"]
    assert body["examples"] == {"late": {"value": {"reason": "late"}}}
    assert _media(cancel, "200")["examples"] == {
        "late": {"value": {"order_id": 7, "state": "cancelled"}}
    }
    get = doc["paths"]["/orders/{order_id}"]["get"]
    params = {p["name"]: p for p in get["parameters"]}
    assert params["order_id"]["examples"] == {"open": {"value": 7}, "missing": {"value": 8}}
    assert "examples" not in params["reason"]  # no example gives it
    assert "requestBody" not in get
    assert _media(get, "404")["examples"] == {
        "missing": {"value": {"error": "not_found", "code": "not_found"}}
    }


def _schema_validator(doc: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    # `#/components/...` resolves inside the root schema: give it the components
    return Draft202012Validator({**schema, "components": doc["components"]})


def test_every_example_fits_its_schema() -> None:
    doc = build_app().openapi()
    checked = 0
    for methods in doc["paths"].values():
        for op in methods.values():
            places = list(op.get("parameters", ()))
            places += list(op.get("requestBody", {}).get("content", {}).values())
            for response in op["responses"].values():
                places += list(response.get("content", {}).values())
            for place in places:
                validator = _schema_validator(doc, place["schema"])
                for ex in place.get("examples", {}).values():
                    validator.validate(ex["value"])
                    checked += 1
    assert checked == 15
    order = _schema_validator(doc, {"$ref": "#/components/schemas/Order"})
    assert not order.is_valid({"order_id": "7", "state": "open"})  # the check is not vacuous


def test_each_example_is_what_the_route_answers() -> None:
    app = build_app()
    doc = app.openapi()
    create = doc["paths"]["/users"]["post"]
    bodies = create["requestBody"]["content"]["application/json"]["examples"]
    answers = {
        name: (int(status), ex["value"])
        for status, response in create["responses"].items()
        for name, ex in response.get("content", {})
        .get("application/json", {})
        .get("examples", {})
        .items()
    }
    assert set(answers) == set(bodies)
    with TestClient(app) as client:
        for name, ex in bodies.items():
            res = client.post("/users", json=ex["value"])
            assert (res.status_code, res.json()) == answers[name], name
        res = client.post("/orders/7/cancel", json={"reason": "late"})
        assert res.json() == {"order_id": 7, "state": "cancelled"}


def _route(**kw: Any) -> BusRoute:
    args: dict[str, Any] = {"event": "user.create", "reply": "user.created", "body": UserIn}
    return BusRoute("POST", "/users", **{**args, "response": UserOut, **kw})


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"examples": RouteExample("a")}, "must be a list of RouteExample"),
        ({"examples": [{"name": "a"}]}, "must be RouteExample objects"),
        ({"examples": [RouteExample("")]}, "needs a non-empty name"),
        ({"examples": [RouteExample("a"), RouteExample("a")]}, "two examples have this name"),
        ({"examples": [RouteExample("a", request={"age": 1})]}, "not a valid UserIn"),
        ({"examples": [RouteExample("a", request={"name": 1})]}, "not a valid UserIn"),
        ({"examples": [RouteExample("a", response={"id": "x"})]}, "not a valid UserOut"),
        ({"examples": [RouteExample("a", response={1, 2})]}, "not a valid UserOut"),
        ({"examples": [RouteExample("a", error="nope")]}, "maps no status for error code 'nope'"),
        (
            {"examples": [RouteExample("a", response={"id": 1, "name": "a"}, error="not_found")]},
            "a response or an error, not both",
        ),
        (
            {"status": 204, "examples": [RouteExample("a", response={"id": 1, "name": "a"})]},
            "a 204 route answers no body",
        ),
        ({"body": None, "examples": [RouteExample("a", request={})]}, "needs the route's body"),
        ({"examples": [RouteExample("a", request={"name": "a", "x": object()})]}, "not JSON"),
    ],
)
def test_examples_the_route_would_refuse_are_refused_when_it_is_built(
    kw: dict[str, Any], message: str
) -> None:
    with pytest.raises(RegistrationError, match=message):
        _route(**kw)


def test_a_route_keeps_its_examples_and_a_namespace_keeps_them_too() -> None:
    ex = RouteExample("a", request={"name": "a"})
    route = _route(examples=[ex])
    assert route.examples == (ex,)
    assert route.in_namespace("user").resolved_examples() == route.resolved_examples()
    assert _route().examples == ()
    assert _route().resolved_examples() == ()
