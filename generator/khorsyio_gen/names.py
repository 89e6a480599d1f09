"""Names and paths derived from the spec (one place, so every command agrees)."""

from __future__ import annotations

import keyword
import re

__all__ = [
    "default_id",
    "handler_module",
    "handler_path",
    "is_valid_identifier",
    "sample_fn",
    "snake",
    "test_path",
]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """``CreateUser`` -> ``create_user``; ``HTTPPing`` -> ``http_ping``."""
    return _CAMEL.sub("_", name).lower()


def is_valid_identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def handler_path(domain: str, name: str) -> str:
    return f"app/domains/{domain}/handlers/{snake(name)}.py"


def handler_module(domain: str, name: str) -> str:
    return f"app.domains.{domain}.handlers.{snake(name)}"


def test_path(domain: str, name: str) -> str:
    return f"tests/{domain}/test_{snake(name)}.py"


def sample_fn(contract: str) -> str:
    return f"sample_{snake(contract)}"


def default_id(name: str) -> str:
    """The stable id of a handler declared without one: ``CreateUser`` -> ``create-user``."""
    return snake(name).replace("_", "-")
