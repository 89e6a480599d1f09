"""Handler: one block of business logic, subscribed to one event, publishing one event."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, get_args, get_origin

import msgspec
from typing_extensions import TypeVar

from khorsyio.durations import seconds
from khorsyio.errors import HandlerDefinitionError
from khorsyio.events import Context, Envelope
from khorsyio.retry import RetryPolicy

__all__ = ["ExecutionMode", "Handler", "routed_contracts"]

InT = TypeVar("InT", default=Any)
OutT = TypeVar("OutT", default=Any)

ExecutionMode = Literal["main", "process"]


class Handler(Generic[InT, OutT]):
    """Base class of every handler.

    A handler declares its wiring as class attributes and implements ``process``::

        class CreateUser(Handler[UserIn, UserOut]):
            subscribes_to = "user.create"
            publishes = "user.created"

            async def process(self, data: UserIn, ctx: Context) -> UserOut: ...

    ``input_type`` / ``output_type`` are taken from the type arguments when not set. What
    ``process`` returns decides what happens next: a Struct is published as ``publishes``,
    an :class:`Envelope` is published as it is (conditional routing), ``None`` publishes
    nothing. Without an ``input_type`` the handler receives the :class:`Envelope` itself.
    """

    subscribes_to: ClassVar[str] = ""
    publishes: ClassVar[str] = ""
    also_publishes: ClassVar[tuple[str, ...] | Mapping[str, type[msgspec.Struct] | None]] = ()
    """Other events ``process`` may publish by returning ``ctx.forward(event, data)``
    (conditional routing), declared so that the graph check knows them. A mapping
    ``{"user.vip": User}`` also gives each event its contract: the graph check compares it
    with each consumer's input, and forwarding a payload of another type fails the event.
    A tuple of names leaves those edges unchecked."""
    input_type: ClassVar[type[msgspec.Struct] | None] = None
    output_type: ClassVar[type[msgspec.Struct] | None] = None
    timeout: ClassVar[float | None] = None
    """Seconds one ``process`` call may take; ``None`` uses BUS_HANDLER_TIMEOUT."""
    execution_mode: ClassVar[ExecutionMode] = "main"
    concurrency: ClassVar[int | None] = None
    """At most this many events processed at once; ``None`` uses BUS_CONCURRENCY."""
    queue_size: ClassVar[int | None] = None
    """At most this many events waiting; then publishers wait. ``None``: BUS_QUEUE_SIZE."""
    retry: ClassVar[RetryPolicy | None] = None
    """How failures are retried before the event goes to the dead letters."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            if get_origin(base) is Handler:
                args = get_args(base)
                if len(args) == 2:
                    if "input_type" not in cls.__dict__ and _is_struct_type(args[0]):
                        cls.input_type = args[0]
                    if "output_type" not in cls.__dict__ and _is_struct_type(args[1]):
                        cls.output_type = args[1]

    if TYPE_CHECKING:

        async def process(self, data: InT, ctx: Context) -> OutT | Envelope | None: ...


def _is_struct_type(tp: object) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def validate_handler_class(cls: type[Any]) -> None:
    """Raise :class:`HandlerDefinitionError` when ``cls`` cannot work as a handler."""
    name = getattr(cls, "__qualname__", repr(cls))
    if not (isinstance(cls, type) and issubclass(cls, Handler)):
        raise HandlerDefinitionError(f"{name} is not a subclass of khorsyio.Handler")
    process = getattr(cls, "process", None)
    if process is None:
        raise HandlerDefinitionError(f"{name} does not define 'async def process(self, data, ctx)'")
    if not inspect.iscoroutinefunction(process):
        raise HandlerDefinitionError(f"{name}.process must be 'async def process(self, data, ctx)'")
    if not isinstance(cls.subscribes_to, str) or not cls.subscribes_to:
        raise HandlerDefinitionError(f"{name}.subscribes_to must be a non-empty event name")
    if not isinstance(cls.publishes, str):
        raise HandlerDefinitionError(f"{name}.publishes must be an event name (or '')")
    also = cls.also_publishes
    if not isinstance(also, tuple | list | Mapping) or not all(
        isinstance(e, str) and e for e in also
    ):
        raise HandlerDefinitionError(
            f"{name}.also_publishes must be a tuple of event names or a mapping of event "
            "names to contracts"
        )
    if isinstance(also, Mapping):
        for event, tp in also.items():
            if tp is not None and not _is_struct_type(tp):
                raise HandlerDefinitionError(
                    f"{name}.also_publishes[{event!r}] must be a msgspec.Struct subclass or "
                    f"None, got {tp!r}"
                )
    for attr in ("input_type", "output_type"):
        tp = getattr(cls, attr)
        if tp is not None and not _is_struct_type(tp):
            raise HandlerDefinitionError(
                f"{name}.{attr} must be a msgspec.Struct subclass or None, got {tp!r}"
            )
    if cls.execution_mode not in ("main", "process"):
        raise HandlerDefinitionError(
            f"{name}.execution_mode must be 'main' or 'process', got {cls.execution_mode!r}"
        )
    if cls.timeout is not None:
        seconds(cls.timeout, f"{name}.timeout", error=HandlerDefinitionError)
    for attr in ("concurrency", "queue_size"):
        value = getattr(cls, attr)
        if value is not None and (not isinstance(value, int) or value < 1):
            raise HandlerDefinitionError(f"{name}.{attr} must be a positive integer")
    if cls.retry is not None and not isinstance(cls.retry, RetryPolicy):
        raise HandlerDefinitionError(f"{name}.retry must be a khorsyio.RetryPolicy")


def routed_contracts(cls: type[Handler[Any, Any]]) -> dict[str, type[msgspec.Struct] | None]:
    """``also_publishes`` as a mapping: each routed event and its contract (None: unchecked)."""
    also = cls.also_publishes
    if isinstance(also, Mapping):
        return dict(also)
    return dict.fromkeys(also)
