"""The socket.io wire protocol of khorsyio: incoming messages, outgoing messages, errors.

A client publishes by emitting the socket.io event ``"event"`` with::

    {"event_type": "chat.msg", "payload": {...}, "trace_id": "optional", "user_id": "optional"}

The server sends events named after the bus event, with ``{"event_type", "payload",
"trace_id"}`` (plus ``"error"`` for an error envelope), and reports a refused message with
the socket.io event ``"error"``: ``{"code", "message", "path"?, "event_type"?, "trace_id"?}``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec

from khorsyio.events import Envelope

__all__ = [
    "ERROR_EVENT",
    "INCOMING_EVENT",
    "Incoming",
    "envelope_message",
    "error_message",
    "split_validation_error",
]

INCOMING_EVENT = "event"
"""The socket.io event clients emit to publish on the bus."""

ERROR_EVENT = "error"
"""The socket.io event the server emits to report a refused message or a failed chain."""

_Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
_Id = Annotated[str, msgspec.Meta(max_length=128)]
# the same trace ids HTTP accepts (x-trace-id): no CR/LF or spaces to forge log lines with
_TraceId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]


class Incoming(msgspec.Struct, kw_only=True):
    """One message from a client (unknown fields are ignored)."""

    event_type: _Name
    payload: Any = None
    trace_id: _TraceId | None = None
    user_id: _Id | None = None


_AT = re.compile(r"^(?P<message>.*?) - at `(?P<path>[^`]*)`$", re.DOTALL)


def split_validation_error(err: msgspec.ValidationError | str) -> tuple[str, str]:
    """``("Expected `str`, got `int`", "$.text")`` from a msgspec validation error.

    ``$`` is the root of the validated value; the path is ``"$"`` when msgspec names none.
    """
    text = str(err)
    m = _AT.match(text)
    if m is None:
        return text, "$"
    return m.group("message"), m.group("path")


def error_message(
    code: str,
    message: str,
    *,
    trace_id: str | None = None,
    event_type: str | None = None,
    path: str | None = None,
) -> dict[str, Any]:
    """The body of an ``"error"`` event."""
    out: dict[str, Any] = {"code": code, "message": message}
    if path is not None:
        out["path"] = path
    if event_type is not None:
        out["event_type"] = event_type
    if trace_id is not None:
        out["trace_id"] = trace_id
    return out


def envelope_message(env: Envelope) -> dict[str, Any]:
    """What a client receives for an envelope: its type, JSON-ready payload and trace id."""
    out: dict[str, Any] = {
        "event_type": env.event_type,
        "payload": msgspec.to_builtins(env.payload),
        "trace_id": env.ctx.trace_id,
    }
    if env.error is not None:
        out["error"] = {"code": env.error.code, "message": env.error.message}
    return out
