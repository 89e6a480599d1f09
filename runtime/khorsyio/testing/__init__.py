"""Testing helpers: an in-process HTTP test client that runs the app's lifespan, and a real
server on 127.0.0.1 for tests with real clients (socket.io, browsers)."""

from __future__ import annotations

from khorsyio.testing.client import LifespanError, TestClient
from khorsyio.testing.server import serve

__all__ = ["LifespanError", "TestClient", "serve"]
