"""Facts of wiring that the runtime and the generator share, each stated once.

- :data:`HANDLER_WIRING`: the class attributes a handler declares its wiring with, read from
  the ``ClassVar`` declarations of :class:`khorsyio.Handler` (declare one there and it is
  here); :data:`SET_BY_TYPE_ARGUMENTS`: those that ``Handler[In, Out]`` sets from its type
  arguments.
- :data:`BUILTIN_PROVIDERS`: the dependencies every :class:`khorsyio.App` provides to its
  handlers, by name and by type.

The generator (``khorsyio-gen``) imports this module: it loads :mod:`khorsyio.handler` and
msgspec only, never SQLAlchemy or socket.io (the provider types are import paths, resolved
by :func:`provider_type` when asked).
"""

from __future__ import annotations

import importlib
import typing
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from khorsyio.errors import UnknownNameError
from khorsyio.handler import Handler

__all__ = [
    "BUILTIN_PROVIDERS",
    "HANDLER_WIRING",
    "SET_BY_TYPE_ARGUMENTS",
    "WORKER_PROVIDERS",
    "provider_type",
    "provider_value",
]


def _class_vars(cls: type[Any]) -> tuple[str, ...]:
    """The names ``cls`` declares as ``ClassVar``, in declaration order."""
    hints = typing.get_type_hints(cls)
    return tuple(name for name, tp in hints.items() if typing.get_origin(tp) is typing.ClassVar)


HANDLER_WIRING: tuple[str, ...] = _class_vars(Handler)
"""Every wiring attribute of a handler class (``subscribes_to``, ``publishes``...), in the
order :class:`khorsyio.Handler` declares them."""

SET_BY_TYPE_ARGUMENTS: tuple[str, ...] = ("input_type", "output_type")
"""The wiring attributes ``Handler[In, Out]`` sets from its type arguments (when the class
does not set them itself)."""

BUILTIN_PROVIDERS: Mapping[str, str] = MappingProxyType(
    {
        "app": "khorsyio:App",
        "bus": "khorsyio:Bus",
        "client": "khorsyio:HttpClient",
        "db": "khorsyio:Database",
        "transport": "khorsyio:SocketTransport",
        "settings": "khorsyio:Settings",
        "router": "khorsyio:Router",
    }
)
"""What every App provides, by this name and by the type at ``module:Name`` (its public
import path): the app itself for ``app``, else the app's attribute of the same name
(:func:`provider_value`)."""


WORKER_PROVIDERS: frozenset[str] = frozenset({"settings"})
"""The built-in providers an ``execution_mode = "process"`` handler may take: plain data that
a worker rebuilds from a pickled copy. The others are the app's live objects (a connected
database, the running bus...), which a copy in a worker would not be; custom providers are
checked at startup (their value must survive pickling)."""


def provider_type(name: str) -> type[Any]:
    """The type of the built-in provider ``name`` (imported now: ``db`` loads SQLAlchemy)."""
    module, _, attr = BUILTIN_PROVIDERS[name].partition(":")
    tp = getattr(importlib.import_module(module), attr)
    assert isinstance(tp, type)
    return tp


def provider_value(app: Any, name: str) -> Any:
    """The value an App provides as the built-in ``name``."""
    if name not in BUILTIN_PROVIDERS:
        raise UnknownNameError(
            f"{name!r} is not a built-in provider ({', '.join(BUILTIN_PROVIDERS)})"
        )
    return app if name == "app" else getattr(app, name)
