"""WebSocket layer (placeholder until the WebSocket issue lands): the seams App relies on."""

from __future__ import annotations

from typing import Any

from khorsyio.graph import Node

__all__ = ["SocketTransport"]


class SocketTransport:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def graph_nodes(self) -> list[Node]:
        return []

    async def asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "websocket.close", "code": 1000})
