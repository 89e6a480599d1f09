"""khorsyio: async, event-driven Python services built from small typed handlers."""

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
from khorsyio.http import BusRoute, CorsConfig, Request, Response, Route, Router
from khorsyio.retry import RetryPolicy
from khorsyio.settings import Settings
from khorsyio.ws import (
    SocketClient,
    SocketConnectionError,
    SocketRequestError,
    SocketTransport,
)

__version__ = "0.3.0.dev0"

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
