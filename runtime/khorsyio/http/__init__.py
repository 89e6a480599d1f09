"""HTTP layer: router, Request/Response, CORS, middleware, typed and bus routes, OpenAPI."""

from __future__ import annotations

from khorsyio.http.asgi import HttpApp
from khorsyio.http.bus_route import DEFAULT_BUS_ERRORS, BusRoute
from khorsyio.http.cors import CorsConfig
from khorsyio.http.errors import BadRequest, PayloadTooLarge, RequestValidationError, map_exception
from khorsyio.http.examples import RouteExample
from khorsyio.http.middleware import CallNext
from khorsyio.http.openapi import build_openapi
from khorsyio.http.request import ClientDisconnect, Request
from khorsyio.http.response import Response
from khorsyio.http.router import Match, Router
from khorsyio.http.routes import BaseRoute, NoBody, Route

__all__ = [
    "DEFAULT_BUS_ERRORS",
    "BadRequest",
    "BaseRoute",
    "BusRoute",
    "CallNext",
    "ClientDisconnect",
    "CorsConfig",
    "HttpApp",
    "Match",
    "NoBody",
    "PayloadTooLarge",
    "Request",
    "RequestValidationError",
    "Response",
    "Route",
    "RouteExample",
    "Router",
    "build_openapi",
    "map_exception",
]
