"""Readable type names and signatures for docstrings and task cards."""

from __future__ import annotations

import inspect
import typing
from typing import Any

import msgspec

__all__ = ["fields_of", "methods_of", "type_repr"]


def type_repr(tp: Any) -> str:
    if isinstance(tp, str):
        return tp
    if tp is type(None) or tp is None:
        return "None"
    if tp is Any:
        return "Any"
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return type_repr(typing.get_args(tp)[0])
    if origin is typing.Union or type(tp).__name__ == "UnionType":
        return " | ".join(type_repr(a) for a in typing.get_args(tp))
    if origin is typing.Literal:
        return "Literal[" + ", ".join(repr(a) for a in typing.get_args(tp)) + "]"
    if origin is not None:
        args = ", ".join(type_repr(a) for a in typing.get_args(tp))
        base = getattr(origin, "__name__", str(origin))
        return f"{base}[{args}]" if args else base
    if isinstance(tp, type):
        return tp.__name__
    return str(tp).replace("typing.", "")


def fields_of(cls: type[msgspec.Struct]) -> list[tuple[str, str, str]]:
    """``(name, type, default)`` of each field of a Struct (default ``""`` when required)."""
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception:
        hints = {}
    out: list[tuple[str, str, str]] = []
    for f in msgspec.structs.fields(cls):
        tp = hints.get(f.name, f.type)
        default = ""
        if f.default is not msgspec.NODEFAULT:
            default = repr(f.default)
        elif f.default_factory is not msgspec.NODEFAULT:
            default = f"{getattr(f.default_factory, '__name__', 'factory')}()"
        out.append((f.name, type_repr(tp), default))
    return out


def _annotation(a: Any) -> str:
    return a if isinstance(a, str) else type_repr(a)


def methods_of(cls: Any) -> list[str]:
    """Public method signatures of a dependency type (``async send(to: str) -> None``)."""
    out: list[str] = []
    if not isinstance(cls, type):
        return out
    for name, fn in sorted(vars_all(cls).items()):
        if name.startswith("_") or not callable(fn):
            continue
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            continue
        params = []
        for i, p in enumerate(sig.parameters.values()):
            if i == 0 and p.name in ("self", "cls"):
                continue
            text = p.name
            if p.kind is p.VAR_POSITIONAL:
                text = "*" + text
            elif p.kind is p.VAR_KEYWORD:
                text = "**" + text
            if p.annotation is not p.empty:
                text += f": {_annotation(p.annotation)}"
            if p.default is not p.empty:
                text += f" = {p.default!r}" if len(repr(p.default)) < 30 else " = ..."
            params.append(text)
        ret = ""
        if sig.return_annotation is not sig.empty:
            ret = f" -> {_annotation(sig.return_annotation)}"
        prefix = "async " if inspect.iscoroutinefunction(fn) else ""
        out.append(f"{prefix}{name}({', '.join(params)}){ret}")
    return out


def vars_all(cls: type) -> dict[str, Any]:
    """Attributes defined on ``cls`` and its bases (not ``object``), nearest first."""
    merged: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass is object:
            continue
        for k, v in vars(klass).items():
            if isinstance(v, staticmethod | classmethod):
                v = v.__func__
            if inspect.isfunction(v):
                merged[k] = v
            elif k in merged:
                del merged[k]
    return merged
