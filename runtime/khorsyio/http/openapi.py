"""OpenAPI 3.1 from the routes' declared types (msgspec's JSON Schema support)."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

import msgspec

from khorsyio.http.bus_route import BusRoute
from khorsyio.http.examples import split_request
from khorsyio.http.paths import INT64_MAX, INT64_MIN
from khorsyio.http.routes import BODY_METHODS, BaseRoute

__all__ = ["build_openapi", "docs_html"]

REF = "#/components/schemas/{name}"
ERROR_SCHEMA_NAME = "ErrorResponse"
_ERROR_SCHEMA: dict[str, Any] = {
    "title": "ErrorResponse",
    "description": "An error: a human-readable message and a stable code.",
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "code": {"type": "string"},
        "field": {"type": "string", "description": "JSON path of the invalid field (422)"},
        "detail": {"type": "string", "description": "exception text (SERVER_DEBUG only)"},
    },
    "required": ["error", "code"],
}
_CONV_SCHEMA: dict[str, dict[str, Any]] = {
    "int": {"type": "integer", "format": "int64", "minimum": INT64_MIN, "maximum": INT64_MAX},
    "uuid": {"type": "string", "format": "uuid"},
    "str": {"type": "string", "minLength": 1},
    "path": {"type": "string", "minLength": 1},
}
_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Malformed request (e.g. invalid JSON)",
    403: "Refused by a middleware",
    404: "Not found",
    409: "Conflict",
    413: "Request body too large",
    415: "The body is not sent as application/json",
    422: "Validation error",
    500: "Internal error",
    503: "Service unavailable",
    504: "Timed out",
}


def _op_id(route: BaseRoute) -> str:
    if route.name and route.name != "<lambda>":
        return route.name
    slug = re.sub(r"[^A-Za-z0-9]+", "_", route.path).strip("_") or "root"
    return f"{route.method.lower()}_{slug}"


def _error_response(status: int, ref: dict[str, Any], what: str = "") -> dict[str, Any]:
    return {
        "description": what or _REASONS.get(status, "Error"),
        "content": {"application/json": {"schema": ref}},
    }


def build_openapi(
    routes: Iterable[BaseRoute],
    *,
    title: str = "khorsyio app",
    version: str = "0.1.0",
    description: str = "",
    middleware: bool = False,
) -> dict[str, Any]:
    """An OpenAPI 3.1 document: typed and bus routes in full, plain routes by path only."""
    routes = [r for r in routes if r.include_in_schema]
    types: list[Any] = []
    for r in routes:
        for tp in (r.body, r.response):
            if tp is not None and tp not in types:
                types.append(tp)
    refs, components = msgspec.json.schema_components(types, ref_template=REF)
    ref_of = dict(zip(types, refs, strict=True))
    err_name = ERROR_SCHEMA_NAME
    while err_name in components:
        err_name = "khorsyio." + err_name
    components[err_name] = _ERROR_SCHEMA
    err_ref = {"$ref": REF.format(name=err_name)}

    paths: dict[str, dict[str, Any]] = {}
    used_ids: set[str] = set()
    for r in sorted(routes, key=lambda r: (r.path, r.method)):
        template = "/" + "/".join(f"{{{s.name}}}" if s.is_param else s.text for s in r.segments)
        op: dict[str, Any] = {}
        op_id = _op_id(r)
        n = 2
        base = op_id
        while op_id in used_ids:
            op_id = f"{base}_{n}"
            n += 1
        used_ids.add(op_id)
        op["operationId"] = op_id
        if r.summary:
            op["summary"] = r.summary
        if r.description:
            op["description"] = r.description
        if r.tags:
            op["tags"] = list(r.tags)
        typed = isinstance(r, BusRoute) or r.body is not None or r.response is not None
        params, query_fields = _parameters(r, ref_of, components)
        if params:
            op["parameters"] = params
        responses: dict[str, Any] = {}
        ok: dict[str, Any] = {"description": _REASONS.get(r.status, "Success")}
        if r.response is not None and r.status != 204:
            ok["content"] = {"application/json": {"schema": ref_of[r.response]}}
        elif isinstance(r, BusRoute) and r.status != 204:
            ok["content"] = {"application/json": {"schema": {}}}
        responses[str(r.status)] = ok
        if r.body is not None and r.method in BODY_METHODS:
            op["requestBody"] = _request_body(r, ref_of, components)
            for st in (400, 413, 415, 422):
                responses[str(st)] = _error_response(st, err_ref)
        elif query_fields:
            responses["422"] = _error_response(422, err_ref)
        if any(s.is_param and s.conv != "str" for s in r.segments):
            responses.setdefault("404", _error_response(404, err_ref))
        if isinstance(r, BusRoute):
            for code, st in sorted(r.error_statuses().items(), key=lambda kv: (kv[1], kv[0])):
                prev = responses.get(str(st))
                what = f"Error code '{code}'"
                if prev is not None and str(st) != str(r.status):
                    prev["description"] += f"; {what}"
                elif prev is None:
                    responses[str(st)] = _error_response(st, err_ref, what)
        if middleware:
            responses.setdefault("403", _error_response(403, err_ref))
        if typed:
            responses.setdefault("500", _error_response(500, err_ref))
        if isinstance(r, BusRoute):
            _add_examples(r, op, responses)
        op["responses"] = responses
        paths.setdefault(template, {})[r.method.lower()] = op

    info: dict[str, Any] = {"title": title, "version": version}
    if description:
        info["description"] = description
    return {
        "openapi": "3.1.0",
        "info": info,
        "paths": paths,
        "components": {"schemas": components},
    }


def _component(
    r: BaseRoute, ref_of: dict[Any, dict[str, Any]], components: dict[str, Any]
) -> dict[str, Any]:
    """The JSON Schema of the route's ``body`` contract (empty without one)."""
    if r.body is None:
        return {}
    ref = ref_of[r.body].get("$ref", "")
    comp: dict[str, Any] = components.get(ref.rsplit("/", 1)[-1], {})
    return comp


def _parameters(
    r: BaseRoute, ref_of: dict[Any, dict[str, Any]], components: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Path parameters (typed by the body field they fill) and, off the body, query ones."""
    comp = _component(r, ref_of, components)
    props: dict[str, Any] = dict(comp.get("properties", {}))
    required = set(comp.get("required", ()))
    out: list[dict[str, Any]] = []
    for s in r.segments:
        if s.is_param:
            schema = props.pop(s.name, None)
            conv = _CONV_SCHEMA[s.conv]
            if schema is None or s.conv != "str":
                schema = conv
            out.append({"name": s.name, "in": "path", "required": True, "schema": schema})
    query = [] if r.method in BODY_METHODS else list(props)
    for name in query:
        p: dict[str, Any] = {"name": name, "in": "query", "schema": _int64(props[name])}
        if name in required:
            p["required"] = True
        out.append(p)
    return out, query


def _int64(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its integers bounded as the query parser bounds them (signed 64-bit).

    Bounds the contract states are kept; the contract's own schema is not changed.
    """
    schema = copy.deepcopy(schema)
    stack = [schema]
    while stack:
        node = stack.pop()
        if node.get("type") == "integer":
            if "minimum" not in node and "exclusiveMinimum" not in node:
                node["minimum"] = INT64_MIN
            if "maximum" not in node and "exclusiveMaximum" not in node:
                node["maximum"] = INT64_MAX
        for key in ("anyOf", "oneOf", "allOf"):
            stack.extend(n for n in node.get(key, ()) if isinstance(n, dict))
        items = node.get("items")
        if isinstance(items, dict):
            stack.append(items)
    return schema


def _request_body(
    r: BaseRoute, ref_of: dict[Any, dict[str, Any]], components: dict[str, Any]
) -> dict[str, Any]:
    """The JSON body: the contract, without the fields the path fills (not required there).

    With every required field in the path, the body is optional (an empty body is ``{}``).
    """
    assert r.body is not None
    bound = set(r.path_fields)
    if not bound:
        return {"required": True, "content": {"application/json": {"schema": ref_of[r.body]}}}
    comp = _component(r, ref_of, components)
    schema = {k: v for k, v in comp.items() if k not in ("properties", "required")}
    schema["properties"] = {k: v for k, v in comp.get("properties", {}).items() if k not in bound}
    required = [n for n in comp.get("required", ()) if n not in bound]
    if required:
        schema["required"] = required
    return {"required": bool(required), "content": {"application/json": {"schema": schema}}}


def _add_examples(r: BusRoute, op: dict[str, Any], responses: dict[str, Any]) -> None:
    """The route's examples as named examples of its parameters, body and responses.

    The fields the path fills are examples of the path parameters, not of the body; a
    GET/DELETE route shows the rest as examples of its query parameters.
    """
    params = {p["name"]: p for p in op.get("parameters", ())}
    body = op.get("requestBody", {}).get("content", {}).get("application/json")
    for ex in r.resolved_examples():
        if ex.request is not None:
            bound, rest = split_request(ex.request, r.path_fields)
            in_params = bound if body is not None else ex.request
            for key, value in in_params.items():
                if key in params:
                    params[key].setdefault("examples", {})[ex.name] = ex.example(value)
            if body is not None:
                body.setdefault("examples", {})[ex.name] = ex.example(rest)
        if ex.status is None:
            continue
        if ex.is_error and ex.status == r.status:
            continue  # that status is the success response's
        media = responses.get(str(ex.status), {}).get("content", {}).get("application/json")
        if media is not None:
            media.setdefault("examples", {})[ex.name] = ex.example(ex.answer)


def docs_html(openapi_url: str, title: str) -> str:
    """The ``/docs`` page: Swagger UI served by the app, or from a CDN without the bundle.

    See :mod:`khorsyio.http.docs_page`.
    """
    from khorsyio.http.docs_page import docs_page

    return docs_page(openapi_url, title)
