"""The model of ``khorsyio.yaml``: the single definition of the spec's format.

The JSON Schema shipped for editors (``schema/khorsyio.schema.json``) is generated from these
Structs (``python -m khorsyio_gen.schema``); a test keeps it up to date.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from khorsyio.retry import MAX_ATTEMPTS, MAX_DELAY

__all__ = [
    "DomainSpec",
    "ExampleErrorSpec",
    "ExampleSpec",
    "HandlerSpec",
    "ProviderSpec",
    "RetrySpec",
    "RouteSpec",
    "ScheduleSpec",
    "Spec",
    "WebsocketSpec",
]

Identifier = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
DomainName = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z_][a-z0-9_]*$",
        description="a lower-case Python identifier (the domain's package name)",
    ),
]
EventName = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$",
        description="dotted lower-case event name, such as 'user.created'",
    ),
]
ClassName = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Z][A-Za-z0-9]*$", description="a CamelCase class name, such as CreateUser"
    ),
]
ImportPath = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$",
        description="'package.module:Name'",
    ),
]
DAY = MAX_DELAY  # the runtime's longest retry wait: a day
YEAR = 365 * DAY
MAX_LIMIT = 1_000_000
Seconds = Annotated[
    float, msgspec.Meta(gt=0, le=DAY, description="seconds, more than 0 and at most a day")
]
Delay = Annotated[float, msgspec.Meta(ge=0, le=DAY, description="seconds, from 0 to a day")]
Interval = Annotated[
    float,
    msgspec.Meta(ge=0.001, le=YEAR, description="seconds, from 0.001 to a year (31536000)"),
]
Limit = Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)]
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
SuccessStatus = Annotated[
    int, msgspec.Meta(ge=200, le=299, description="the HTTP status of a success (2xx)")
]
ErrorStatus = Annotated[
    int, msgspec.Meta(ge=400, le=599, description="the HTTP status of an error (4xx or 5xx)")
]
ErrorCode = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]*$",
        description="an error code, such as 'not_found'",
    ),
]
HandlerId = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)?$",
        max_length=200,
        description="a stable id such as 'create-user' (letters, digits, '-', '_', '.')",
    ),
]
RoutePath = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^/[A-Za-z0-9_\-.~/{}:]*$",
        description="a URL path such as '/users/{id}' or '/loans/{id:int}'",
    ),
]


class _Base(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    pass


class RetrySpec(_Base):
    """``RetryPolicy`` of a handler: how many calls in all, and the wait before a retry."""

    attempts: Annotated[int, msgspec.Meta(ge=1, le=MAX_ATTEMPTS)] = 3
    backoff: Delay = 0.1
    multiplier: Annotated[float, msgspec.Meta(ge=1, le=1000)] = 2.0
    max_backoff: Delay = 10.0


ExampleName = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z][A-Za-z0-9 _-]*$",
        max_length=80,
        description="a short name such as 'a new product' (letters, digits, spaces, '-', '_')",
    ),
]


class ExampleErrorSpec(_Base):
    """The error an example must fail with: its code, and its message when given."""

    code: ErrorCode
    message: str | None = None


class ExampleSpec(_Base):
    """One example of a handler: an input, and the output or the error it must give.

    Without ``output`` and ``error`` the handler must return None (publish nothing).
    ``gen`` writes it into the handler's test (as a new test function), its docstring, its
    task card and the AsyncAPI document.
    """

    input: dict[str, Any] = {}
    """The fields of the input contract, as JSON (a YAML mapping)."""
    output: dict[str, Any] | None = None
    """The whole expected output, as JSON."""
    event: EventName | None = None
    """The event the output goes to, for a handler that routes (``also_emits``)."""
    error: ErrorCode | ExampleErrorSpec | None = None
    """The expected error: a code, or ``{code, message}``."""
    description: str = ""


class HandlerSpec(_Base):
    """One handler: the event it answers, what it publishes, its contracts and dependencies.

    ``id`` is stable: keep it when renaming or moving the handler, so that ``khorsyio gen``
    moves and renames the module instead of creating a new one.
    """

    on: EventName
    input: ClassName
    id: HandlerId = ""
    emits: EventName | None = None
    also_emits: list[EventName] | dict[EventName, ClassName] = []
    """Events ``process`` may forward to (conditional routing): a list, or a mapping of each
    event to the contract it carries (checked along those edges, typed in the handler)."""
    output: ClassName | None = None
    deps: list[Identifier] = []
    timeout: Seconds | None = None
    execution_mode: Literal["main", "process"] = "main"
    concurrency: Limit | None = None
    queue_size: Limit | None = None
    retry: RetrySpec | None = None
    description: str = ""
    examples: dict[ExampleName, ExampleSpec] = {}

    def routed(self) -> dict[str, str | None]:
        """``also_emits`` as a mapping: each routed event and its contract (None: undeclared)."""
        also = self.also_emits
        return dict(also) if isinstance(also, dict) else dict.fromkeys(also)


class RouteSpec(_Base):
    """A bus route: an HTTP request published as ``event``, answered by ``reply``."""

    method: HttpMethod
    path: RoutePath
    event: EventName
    reply: EventName
    body: ClassName | None = None
    response: ClassName | None = None
    status: SuccessStatus = 200
    errors: dict[ErrorCode, ErrorStatus] = {}
    timeout: Seconds | None = None
    summary: str = ""


class DomainSpec(_Base):
    """A group of handlers and routes (one folder under ``app/domains``)."""

    handlers: dict[ClassName, HandlerSpec] = {}
    routes: list[RouteSpec] = []
    description: str = ""


class ScheduleSpec(_Base):
    """Publish ``contract(**payload)`` as ``event`` every ``interval`` seconds."""

    event: EventName
    contract: ClassName
    interval: Interval
    payload: dict[Identifier, str | int | float | bool | None] = {}


class ProviderSpec(_Base):
    """A custom dependency: its type, and the factory (no arguments) that builds it."""

    type: ImportPath
    factory: ImportPath | None = None


class WebsocketSpec(_Base):
    """Events that websocket clients may publish (the transport's allow-list)."""

    allow: list[EventName] = []


class Spec(_Base):
    """``khorsyio.yaml``: the event graph of a project."""

    version: Literal[1] = 1
    contracts: list[
        Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")]
    ] = msgspec.field(default_factory=lambda: ["app.contracts"])
    domains: dict[DomainName, DomainSpec] = {}
    providers: dict[Identifier, ProviderSpec] = {}
    schedules: list[ScheduleSpec] = []
    websocket: WebsocketSpec = msgspec.field(default_factory=WebsocketSpec)
    external: list[EventName] = []
    terminal: list[EventName] = []
    allow_cycles: list[EventName] = []
    compatible: list[tuple[ClassName, ClassName]] = []
