"""Dependency injection by type, then by name, verified before anything runs.

A handler's ``__init__`` parameters are resolved, in this order:

1. by the parameter's type annotation, against the providers registered by type — unless a
   provider is registered under the parameter's exact name with a value of that type, which
   is then the one meant (``analytics_db: Database`` with ``provide("analytics_db", ...)``);
2. by the parameter's name, against the providers registered by name (the seed names
   ``db``, ``client``, ``bus``, ``transport`` and ``app`` are always there);
3. by the parameter's default value, when it has one.

A parameter that resolves to nothing, or to a value of the wrong type, is an error that
names the handler, the parameter and what is available. Nothing is injected silently.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

from khorsyio.errors import Unresolved, UsageError, UsageTypeError

__all__ = ["Container", "Unresolved"]


_MISSING = object()


def _type_label(tp: Any) -> str:
    return getattr(tp, "__qualname__", None) or repr(tp)


def _isinstance(value: Any, annotation: Any) -> bool:
    """``isinstance`` that tolerates annotations it cannot check (generics, Protocols...)."""
    origin = typing.get_origin(annotation) or annotation
    if origin is typing.Union or isinstance(annotation, type(int | str)):
        return any(_isinstance(value, a) for a in typing.get_args(annotation))
    if not isinstance(origin, type):
        return True
    if getattr(origin, "_is_protocol", False) and not getattr(
        origin, "_is_runtime_protocol", False
    ):
        return True
    try:
        return isinstance(value, origin)
    except TypeError:
        return True


class Container:
    """The providers of an app: values registered by type and by name."""

    def __init__(self) -> None:
        self._by_type: dict[type[Any], Any] = {}
        self._by_name: dict[str, Any] = {}

    def provide(self, key: str | type[Any], value: Any) -> None:
        """Register ``value`` under a name or a type (a later call replaces an earlier one)."""
        if isinstance(key, str):
            if not key.isidentifier():
                raise UsageError(f"provider name {key!r} is not a valid parameter name")
            self._by_name[key] = value
        elif isinstance(key, type):
            if not _isinstance(value, key):
                raise UsageTypeError(
                    f"provider for {_type_label(key)} is a {type(value).__qualname__}, "
                    f"not an instance of {_type_label(key)}"
                )
            self._by_type[key] = value
        else:
            raise UsageTypeError(f"provide() takes a name or a type as key, got {key!r}")

    def available(self) -> str:
        types = ", ".join(sorted(_type_label(t) for t in self._by_type)) or "none"
        names = ", ".join(sorted(self._by_name)) or "none"
        return f"by type: {types}; by name: {names}"

    def _by_annotation(self, annotation: Any) -> tuple[bool, Any]:
        if annotation in self._by_type:
            return True, self._by_type[annotation]
        if isinstance(annotation, type):
            matches = [v for t, v in self._by_type.items() if issubclass(t, annotation)]
            if len(matches) == 1:
                return True, matches[0]
        return False, None

    def resolve_param(self, owner: str, param: inspect.Parameter, annotation: Any) -> Any:
        """The value for one parameter, or raise :class:`Unresolved` saying why."""
        has_annotation = annotation is not inspect.Parameter.empty and annotation is not Any
        named = self._by_name.get(param.name, _MISSING)
        if named is not _MISSING and has_annotation and _isinstance(named, annotation):
            return named  # a provider under this exact name, of the right type, is the one meant
        if has_annotation:
            found, value = self._by_annotation(annotation)
            if found:
                return value
        if param.name in self._by_name:
            value = self._by_name[param.name]
            if has_annotation and not _isinstance(value, annotation):
                raise Unresolved(
                    f"{owner}: parameter '{param.name}' is annotated {_type_label(annotation)}"
                    f" but the provider named '{param.name}' is a {type(value).__qualname__}"
                )
            return value
        if param.default is not inspect.Parameter.empty:
            return param.default
        wanted = f" ({_type_label(annotation)})" if has_annotation else ""
        raise Unresolved(
            f"{owner}: parameter '{param.name}'{wanted} cannot be resolved; "
            f"available {self.available()}. Register it with app.provide(...)"
        )

    def build(self, cls: type[Any]) -> Any:
        """Construct ``cls`` with its ``__init__`` parameters resolved.

        Raises :class:`Unresolved` listing every parameter that could not be resolved.
        """
        kwargs = self.resolve_kwargs(cls)
        return cls(**kwargs)

    def resolve_kwargs(self, cls: type[Any]) -> dict[str, Any]:
        init: Callable[..., Any] = cls.__init__
        if init is object.__init__:
            return {}
        try:
            hints = typing.get_type_hints(init)
        except Exception:  # unresolvable forward references: fall back to raw annotations
            hints = {}
        sig = inspect.signature(init)
        kwargs: dict[str, Any] = {}
        problems: list[str] = []
        for i, (name, param) in enumerate(sig.parameters.items()):
            if i == 0 or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue  # self, *args, **kwargs
            annotation = hints.get(name, param.annotation)
            try:
                kwargs[name] = self.resolve_param(f"{cls.__qualname__}.__init__", param, annotation)
            except Unresolved as e:
                problems.append(str(e))
        if problems:
            raise Unresolved("\n".join(problems))
        return kwargs
