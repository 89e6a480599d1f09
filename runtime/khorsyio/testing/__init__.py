"""Testing helpers: an in-process HTTP test client that runs the app's lifespan."""

from __future__ import annotations

from khorsyio.testing.client import LifespanError, TestClient

__all__ = ["LifespanError", "TestClient"]
