"""The HTTP methods khorsyio routes, in one place (router, routes, CORS; the generator too).

A module with no imports, so that any code, the generator included, can read it cheaply.
"""

from __future__ import annotations

__all__ = ["BODY_METHODS", "METHODS"]

METHODS: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
"""Every method a route may declare (and a CORS preflight may ask for), upper case."""

BODY_METHODS: frozenset[str] = frozenset({"POST", "PUT", "PATCH"})
"""Methods whose request carries a body (Content-Length is checked; typed input is JSON)."""
