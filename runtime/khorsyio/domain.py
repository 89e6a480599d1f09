"""Domain: a group of handlers and routes under one event namespace."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["Domain", "qualify"]


def qualify(namespace: str, event: str) -> str:
    """``event`` inside ``namespace``: ``qualify("user", "create") == "user.create"``.

    An event already in the namespace (``"user.create"``) is left as it is, and so is an
    empty event (a handler that publishes nothing).
    """
    if not namespace or not event or event.startswith(namespace + "."):
        return event
    return f"{namespace}.{event}"


class Domain:
    """Handlers and routes that belong together; ``app.mount(domain)`` registers them.

    Both styles work::

        users = Domain()
        users.namespace = "user"
        users.handlers = [CreateUser]
        users.routes = [Route("GET", "/users", get_users)]

        users = Domain(namespace="user", handlers=[CreateUser], routes=[...])

    With a namespace, a handler's ``subscribes_to = "create"`` means ``"user.create"`` and
    ``publishes = "created"`` means ``"user.created"``; names already prefixed stay as they are.
    Handlers may be classes (built with dependency injection at startup) or instances.
    """

    def __init__(
        self,
        namespace: str = "",
        handlers: Iterable[Any] = (),
        routes: Iterable[Any] = (),
        *,
        name: str = "",
    ) -> None:
        self.namespace = namespace
        self.handlers: list[Any] = list(handlers)
        self.routes: list[Any] = list(routes)
        self.name = name or namespace

    def __repr__(self) -> str:
        return (
            f"Domain(namespace={self.namespace!r}, handlers={len(self.handlers)}, "
            f"routes={len(self.routes)})"
        )
