"""HTTP layer (placeholder until the HTTP issue lands): the seams App relies on."""

from __future__ import annotations

from typing import Any

from khorsyio.graph import Node

__all__ = ["CorsConfig", "HttpApp", "Route", "Router"]


class CorsConfig:
    def __init__(self, **options: Any) -> None:
        self.options = options

    def validate(self) -> None:
        return None


class Route:
    def __init__(self, method: str, path: str, handler: Any, **options: Any) -> None:
        self.method, self.path, self.handler, self.options = method, path, handler, options


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def mount(self, routes: list[Route]) -> None:
        self.routes.extend(routes)

    def graph_nodes(self) -> list[Node]:
        return []


class HttpApp:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
