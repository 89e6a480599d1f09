"""The ASGI types khorsyio's callables take: ``Scope``, ``Message``, ``Receive``, ``Send``.

One definition for the whole runtime (App, the HTTP layer, the socket.io transport, the
test client) and for applications that write their own handlers or middleware::

    from khorsyio import Receive, Scope, Send

    async def asgi_app(scope: Scope, receive: Receive, send: Send) -> None: ...
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

__all__ = ["ASGIApp", "Message", "Receive", "Scope", "Send"]

Scope: TypeAlias = dict[str, Any]
"""The connection scope: ``type`` (``"http"``, ``"websocket"``, ``"lifespan"``), ``path``..."""

Message: TypeAlias = dict[str, Any]
"""One ASGI event: ``{"type": "http.response.start", "status": 200, "headers": [...]}``."""

Receive: TypeAlias = Callable[[], Awaitable[Message]]
"""Awaits the next message from the server (request body, disconnect, lifespan events)."""

Send: TypeAlias = Callable[[Message], Awaitable[None]]
"""Sends one message to the server (response start and body, websocket frames)."""

ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]
"""An ASGI 3 application: ``await app(scope, receive, send)``."""
