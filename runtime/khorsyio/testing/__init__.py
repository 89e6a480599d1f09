"""Testing helpers: an in-process HTTP test client that runs the app's lifespan, a real
server on 127.0.0.1 for tests with real clients (socket.io, browsers), and one handler of a
started app run on one input (run_handler)."""

from __future__ import annotations

from khorsyio.testing.client import LifespanError, TestClient
from khorsyio.testing.handlers import run_handler
from khorsyio.testing.server import serve

__all__ = ["LifespanError", "TestClient", "run_handler", "serve"]
