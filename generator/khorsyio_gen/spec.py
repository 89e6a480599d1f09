"""The model of ``khorsyio.yaml``: the single definition of the spec's format.

The JSON Schema shipped for editors (``schema/khorsyio.schema.json``) is generated from these
Structs (``python -m khorsyio_gen.schema``); a test keeps it up to date.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

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
Positive = Annotated[float, msgspec.Meta(gt=0)]
PositiveInt = Annotated[int, msgspec.Meta(ge=1)]
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
StatusCode = Annotated[int, msgspec.Meta(ge=100, le=599)]


class _Base(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    pass


class RetrySpec(_Base):
    """``RetryPolicy`` of a handler: how many calls in all, and the wait before a retry."""

    attempts: PositiveInt = 3
    backoff: Annotated[float, msgspec.Meta(ge=0)] = 0.1
    multiplier: Annotated[float, msgspec.Meta(ge=1)] = 2.0
    max_backoff: Annotated[float, msgspec.Meta(ge=0)] = 10.0


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

    code: str
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
    error: str | ExampleErrorSpec | None = None
    """The expected error: a code, or ``{code, message}``."""
    description: str = ""


class HandlerSpec(_Base):
    """One handler: the event it answers, what it publishes, its contracts and dependencies.

    ``id`` is stable: keep it when renaming or moving the handler, so that ``khorsyio gen``
    moves and renames the module instead of creating a new one.
    """

    on: EventName
    input: ClassName
    id: str = ""
    emits: EventName | None = None
    also_emits: list[EventName] = []
    output: ClassName | None = None
    deps: list[Identifier] = []
    timeout: Positive | None = None
    execution_mode: Literal["main", "process"] = "main"
    concurrency: PositiveInt | None = None
    queue_size: PositiveInt | None = None
    retry: RetrySpec | None = None
    description: str = ""
    examples: dict[ExampleName, ExampleSpec] = {}


class RouteSpec(_Base):
    """A bus route: an HTTP request published as ``event``, answered by ``reply``."""

    method: HttpMethod
    path: Annotated[str, msgspec.Meta(pattern=r"^/[A-Za-z0-9_\-./{}]*$")]
    event: EventName
    reply: EventName
    body: ClassName | None = None
    response: ClassName | None = None
    status: StatusCode = 200
    errors: dict[str, StatusCode] = {}
    timeout: Positive | None = None
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
    interval: Positive
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
