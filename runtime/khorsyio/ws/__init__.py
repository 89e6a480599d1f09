"""WebSocket layer: the socket.io transport of an App and a matching client."""

from __future__ import annotations

from khorsyio.ws.auth import AuthHook
from khorsyio.ws.client import SocketClient, SocketConnectionError, SocketRequestError
from khorsyio.ws.protocol import ERROR_EVENT, INCOMING_EVENT
from khorsyio.ws.transport import SocketTransport

__all__ = [
    "ERROR_EVENT",
    "INCOMING_EVENT",
    "AuthHook",
    "SocketClient",
    "SocketConnectionError",
    "SocketRequestError",
    "SocketTransport",
]
