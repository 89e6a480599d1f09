"""How the transport decodes socket.io packets: a too-deep JSON value is a message, not a crash.

python-socketio decodes a packet's JSON with the standard library, where a value nested
some thousand levels deep raises ``RecursionError``: the packet was dropped with no ack and
no error event. :class:`BoundedPacket` decodes it into :class:`Undecodable` instead, under
the event name the packet carries, so the transport answers it with a ``bad_message``
error and the connection stays healthy.
"""

from __future__ import annotations

import json
import re
from typing import Any

import socketio

__all__ = ["BoundedPacket", "Undecodable"]

_EVENT_NAME = re.compile(r'^\s*\[\s*"((?:[^"\\]|\\.){0,200})"')


class Undecodable:
    """What a packet's JSON decodes to when it cannot be decoded (nested too deep)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Undecodable({self.reason!r})"


class _BoundedJson:
    """The ``json`` module's ``dumps`` and ``loads``; ``loads`` never raises RecursionError."""

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(text: str | bytes, **kwargs: Any) -> Any:
        try:
            return json.loads(text, **kwargs)
        except RecursionError:
            bad = Undecodable("the message is nested too deeply")
            m = _EVENT_NAME.match(
                text if isinstance(text, str) else text.decode("utf-8", "replace")
            )
            if m is None:  # not an event packet (a connect's auth...): no event to answer
                return bad
            return [json.loads(f'"{m.group(1)}"'), bad]


class BoundedPacket(socketio.packet.Packet):  # type: ignore[misc]
    """python-socketio's packet, decoding JSON with :class:`_BoundedJson`."""

    json = _BoundedJson
