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
    from khorsyio.bus import Bus, DeadLetter, DrainReport, EventLog, Metrics
    from khorsyio.client import HttpClient
    from khorsyio.db import (
        Base,
        Database,
        DatabaseConfigError,
        DatabaseUnavailable,
        PlaceholderError,
        QueryError,
    )
    from khorsyio.domain import Domain
    from khorsyio.errors import (
        BusClosedError,
        ClientError,
        ConfigError,
        HandlerDefinitionError,
        HandlerError,
        KhorsyioError,
        RegistrationError,
        SettingsError,
        WiringError,
    )
    from khorsyio.events import Context, Envelope, Error
    from khorsyio.graph import GraphProblem, Node, check_graph
    from khorsyio.handler import Handler
    from khorsyio.http import (
        BusRoute,
        CorsConfig,
        Request,
        Response,
        Route,
        RouteExample,
        Router,
    )
    from khorsyio.retry import RetryPolicy
    from khorsyio.settings import Settings
    from khorsyio.ws import (
        SocketClient,
        SocketConnectionError,
        SocketRequestError,
        SocketTransport,
    )

__version__ = "0.3.0.dev0"

# name -> the module that defines it (resolved by __getattr__ on first use)
_EXPORTS: dict[str, str] = {
    "App": "khorsyio.app",
    "Base": "khorsyio.db",
    "Bus": "khorsyio.bus",
    "BusClosedError": "khorsyio.errors",
    "BusRoute": "khorsyio.http",
    "ClientError": "khorsyio.errors",
    "ConfigError": "khorsyio.errors",
    "Context": "khorsyio.events",
    "CorsConfig": "khorsyio.http",
    "Database": "khorsyio.db",
    "DatabaseConfigError": "khorsyio.db",
    "DatabaseUnavailable": "khorsyio.db",
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
    "KhorsyioError": "khorsyio.errors",
    "Metrics": "khorsyio.bus",
    "Node": "khorsyio.graph",
    "PlaceholderError": "khorsyio.db",
    "QueryError": "khorsyio.db",
    "RegistrationError": "khorsyio.errors",
    "Request": "khorsyio.http",
    "Response": "khorsyio.http",
    "RetryPolicy": "khorsyio.retry",
    "Route": "khorsyio.http",
    "RouteExample": "khorsyio.http",
    "Router": "khorsyio.http",
    "Settings": "khorsyio.settings",
    "SettingsError": "khorsyio.errors",
    "SocketClient": "khorsyio.ws",
    "SocketConnectionError": "khorsyio.ws",
    "SocketRequestError": "khorsyio.ws",
    "SocketTransport": "khorsyio.ws",
    "WiringError": "khorsyio.errors",
    "check_graph": "khorsyio.graph",
}

__all__ = [
    "App",
    "Base",
    "Bus",
    "BusClosedError",
    "BusRoute",
    "ClientError",
    "ConfigError",
    "Context",
    "CorsConfig",
    "Database",
    "DatabaseConfigError",
    "DatabaseUnavailable",
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
    "KhorsyioError",
    "Metrics",
    "Node",
    "PlaceholderError",
    "QueryError",
    "RegistrationError",
    "Request",
    "Response",
    "RetryPolicy",
    "Route",
    "RouteExample",
    "Router",
    "Settings",
    "SettingsError",
    "SocketClient",
    "SocketConnectionError",
    "SocketRequestError",
    "SocketTransport",
    "WiringError",
    "__version__",
    "check_graph",
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
