"""Domain: a group of handlers and routes under one event namespace."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from khorsyio.handler import Handler

__all__ = ["Domain", "in_namespace", "namespaced_class", "qualify"]


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


def namespaced_class(cls: type[Handler[Any, Any]], namespace: str) -> type[Handler[Any, Any]]:
    """``cls`` as registered in ``namespace``: a subclass whose wiring names are qualified.

    ``subscribes_to = "create"`` in namespace ``"user"`` reads ``"user.create"`` on the
    subclass (and its instances), ``publishes`` likewise; names already in the namespace
    stay. The subclass has the same name, module and qualified name (process-mode workers
    import the class you wrote) and no other change; ``cls`` itself is returned when the
    namespace changes nothing.
    """
    sub_to = qualify(namespace, cls.subscribes_to)
    pub = qualify(namespace, cls.publishes)
    if sub_to == cls.subscribes_to and pub == cls.publishes:
        return cls
    ns = {
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "__doc__": cls.__doc__,
        "__slots__": (),  # same layout: a ready instance can move to it
        "subscribes_to": sub_to,
        "publishes": pub,
    }
    return type(cls.__name__, (cls,), ns)


def in_namespace(
    handler: type[Handler[Any, Any]] | Handler[Any, Any], namespace: str
) -> type[Handler[Any, Any]] | Handler[Any, Any]:
    """``handler`` (a class or an instance) as registered in ``namespace``."""
    if isinstance(handler, type):
        return namespaced_class(handler, namespace)
    cls = namespaced_class(type(handler), namespace)
    if cls is not type(handler):
        handler.__class__ = cls  # a ready instance shows its qualified names too
    return handler
