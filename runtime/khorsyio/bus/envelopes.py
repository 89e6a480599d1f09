"""Building the envelopes the bus carries, and the copies fan-out and schedules need."""

from __future__ import annotations

import copy
from typing import Any

import msgspec

from khorsyio.errors import UsageTypeError
from khorsyio.events import Context, Envelope, new_envelope

__all__ = ["check_struct", "copy_struct", "isolated_copy", "make_envelope"]


def check_struct(verb: str, event: str, data: Any) -> None:
    """Refuse a payload that is not a Struct instance, naming the call."""
    if not isinstance(data, msgspec.Struct):
        raise UsageTypeError(
            f"bus.{verb}('{event}', ...): the payload must be a msgspec.Struct instance, "
            f"got {type(data).__name__}"
        )


def make_envelope(
    verb: str,
    event: str | Envelope,
    data: Any,
    source: str,
    trace_id: str | None,
    user_id: str,
    extra: dict[str, Any] | None,
    parent: Context | None,
) -> Envelope:
    """The envelope of a ``publish``/``request``; inside a handler (``parent``) and without an
    explicit ``trace_id`` it continues the handler's trace."""
    if isinstance(event, Envelope):
        return event
    if not isinstance(event, str) or not event:
        raise UsageTypeError(f"bus.{verb}() takes an event name or an Envelope, got {event!r}")
    check_struct(verb, event, data)
    if parent is not None and trace_id is None:
        ctx = parent.child(source or parent.source)
        ctx.correlation_id = ""
        if user_id:
            ctx.user_id = user_id
        if extra is not None:
            ctx.extra = extra
        return Envelope(event_type=event, payload=data, ctx=ctx)
    return new_envelope(event, data, source, trace_id, user_id, extra)


def copy_struct(obj: Any) -> Any:
    """A deep copy of a Struct payload (each delivery gets its own, mutable copy)."""
    try:
        return msgspec.msgpack.decode(msgspec.msgpack.encode(obj), type=type(obj))
    except (TypeError, msgspec.ValidationError, msgspec.EncodeError):
        return copy.deepcopy(obj)


def isolated_copy(env: Envelope) -> Envelope:
    """A copy for one more fan-out subscriber: its mutations stay its own."""
    ctx = msgspec.structs.replace(env.ctx, extra=dict(env.ctx.extra))
    return Envelope(
        event_type=env.event_type, payload=copy_struct(env.payload), ctx=ctx, error=env.error
    )
