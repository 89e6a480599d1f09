"""khorsyio: async, event-driven Python services built from small typed handlers.

The public API is importable from here. Names are loaded on first use, so that a tool that
needs one part (the generator imports ``khorsyio.graph``) does not pay for SQLAlchemy and
socket.io.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from khorsyio.app import App
    from khorsyio.bus import Bus, BusState, DeadLetter, DrainReport, EventLog, Metrics
    from khorsyio.client import HttpClient
    from khorsyio.db import Base, Database, Page
    from khorsyio.domain import Domain
    from khorsyio.errors import (
        BadRequest,
        BusClosedError,
        ClientDisconnect,
        ClientError,
        ConfigError,
        DatabaseConfigError,
        DatabaseUnavailable,
        DatabaseUsageError,
        HandlerDefinitionError,
        HandlerError,
        InvalidValue,
        KhorsyioError,
        LifespanError,
        PayloadTooLarge,
        PlaceholderError,
        QueryError,
        RegistrationError,
        RequestValidationError,
        ResponseContractError,
        SettingsError,
        SocketConnectionError,
        SocketRequestError,
        StateError,
        UnknownNameError,
        Unresolved,
        UnsupportedMediaType,
        UsageError,
        UsageTypeError,
        WiringError,
        WorkerCrashed,
    )
    from khorsyio.events import Context, Envelope, Error
    from khorsyio.graph import GraphProblem, Node, check_graph
    from khorsyio.handler import Handler
    from khorsyio.http import (
        BusRoute,
        CallNext,
        CorsConfig,
        Request,
        Response,
        Route,
        RouteExample,
        Router,
        map_exception,
    )
    from khorsyio.logs import JsonFormatter, KeyValueFormatter, configure_logging
    from khorsyio.prometheus import PrometheusMetrics
    from khorsyio.retry import RetryPolicy
    from khorsyio.settings import Settings
    from khorsyio.types import ASGIApp, Message, Receive, Scope, Send
    from khorsyio.ws import SocketClient, SocketTransport

__version__ = "0.3.0.dev0"

# name -> the module that defines it (resolved by __getattr__ on first use)
_EXPORTS: dict[str, str] = {
    "ASGIApp": "khorsyio.types",
    "App": "khorsyio.app",
    "BadRequest": "khorsyio.errors",
    "Base": "khorsyio.db",
    "Bus": "khorsyio.bus",
    "BusClosedError": "khorsyio.errors",
    "BusRoute": "khorsyio.http",
    "BusState": "khorsyio.bus",
    "CallNext": "khorsyio.http",
    "ClientDisconnect": "khorsyio.errors",
    "ClientError": "khorsyio.errors",
    "ConfigError": "khorsyio.errors",
    "Context": "khorsyio.events",
    "CorsConfig": "khorsyio.http",
    "Database": "khorsyio.db",
    "DatabaseConfigError": "khorsyio.errors",
    "DatabaseUnavailable": "khorsyio.errors",
    "DatabaseUsageError": "khorsyio.errors",
    "DeadLetter": "khorsyio.bus",
    "Domain": "khorsyio.domain",
    "DrainReport": "khorsyio.bus",
    "Envelope": "khorsyio.events",
    "Error": "khorsyio.events",
    "EventLog": "khorsyio.bus",
    "GraphProblem": "khorsyio.graph",
    "Handler": "khorsyio.handler",
    "HandlerDefinitionError": "khorsyio.errors",
    "HandlerError": "khorsyio.errors",
    "HttpClient": "khorsyio.client",
    "InvalidValue": "khorsyio.errors",
    "JsonFormatter": "khorsyio.logs",
    "KeyValueFormatter": "khorsyio.logs",
    "KhorsyioError": "khorsyio.errors",
    "LifespanError": "khorsyio.errors",
    "Message": "khorsyio.types",
    "Metrics": "khorsyio.bus",
    "Node": "khorsyio.graph",
    "Page": "khorsyio.db",
    "PayloadTooLarge": "khorsyio.errors",
    "PlaceholderError": "khorsyio.errors",
    "PrometheusMetrics": "khorsyio.prometheus",
    "QueryError": "khorsyio.errors",
    "Receive": "khorsyio.types",
    "RegistrationError": "khorsyio.errors",
    "Request": "khorsyio.http",
    "RequestValidationError": "khorsyio.errors",
    "Response": "khorsyio.http",
    "ResponseContractError": "khorsyio.errors",
    "RetryPolicy": "khorsyio.retry",
    "Route": "khorsyio.http",
    "RouteExample": "khorsyio.http",
    "Router": "khorsyio.http",
    "Scope": "khorsyio.types",
    "Send": "khorsyio.types",
    "Settings": "khorsyio.settings",
    "SettingsError": "khorsyio.errors",
    "SocketClient": "khorsyio.ws",
    "SocketConnectionError": "khorsyio.errors",
    "SocketRequestError": "khorsyio.errors",
    "SocketTransport": "khorsyio.ws",
    "StateError": "khorsyio.errors",
    "UnknownNameError": "khorsyio.errors",
    "Unresolved": "khorsyio.errors",
    "UnsupportedMediaType": "khorsyio.errors",
    "UsageError": "khorsyio.errors",
    "UsageTypeError": "khorsyio.errors",
    "WiringError": "khorsyio.errors",
    "WorkerCrashed": "khorsyio.errors",
    "check_graph": "khorsyio.graph",
    "configure_logging": "khorsyio.logs",
    "map_exception": "khorsyio.http",
}

__all__ = [
    "ASGIApp",
    "App",
    "BadRequest",
    "Base",
    "Bus",
    "BusClosedError",
    "BusRoute",
    "BusState",
    "CallNext",
    "ClientDisconnect",
    "ClientError",
    "ConfigError",
    "Context",
    "CorsConfig",
    "Database",
    "DatabaseConfigError",
    "DatabaseUnavailable",
    "DatabaseUsageError",
    "DeadLetter",
    "Domain",
    "DrainReport",
    "Envelope",
    "Error",
    "EventLog",
    "GraphProblem",
    "Handler",
    "HandlerDefinitionError",
    "HandlerError",
    "HttpClient",
    "InvalidValue",
    "JsonFormatter",
    "KeyValueFormatter",
    "KhorsyioError",
    "LifespanError",
    "Message",
    "Metrics",
    "Node",
    "Page",
    "PayloadTooLarge",
    "PlaceholderError",
    "PrometheusMetrics",
    "QueryError",
    "Receive",
    "RegistrationError",
    "Request",
    "RequestValidationError",
    "Response",
    "ResponseContractError",
    "RetryPolicy",
    "Route",
    "RouteExample",
    "Router",
    "Scope",
    "Send",
    "Settings",
    "SettingsError",
    "SocketClient",
    "SocketConnectionError",
    "SocketRequestError",
    "SocketTransport",
    "StateError",
    "UnknownNameError",
    "Unresolved",
    "UnsupportedMediaType",
    "UsageError",
    "UsageTypeError",
    "WiringError",
    "WorkerCrashed",
    "__version__",
    "check_graph",
    "configure_logging",
    "map_exception",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'khorsyio' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
