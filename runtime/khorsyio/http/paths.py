"""Route paths: parsing ``/users/{id:int}`` into segments, and the parameter converters.

Imported by the routes (which parse their path once) and by the router (which converts
segments while it walks its trie); it imports neither, so they do not import each other.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from khorsyio.errors import RegistrationError

__all__ = [
    "CONVERTERS",
    "INT64_MAX",
    "INT64_MIN",
    "NO_MATCH",
    "ORDER",
    "Segment",
    "parse_path",
    "path_shape",
]

_PARAM = re.compile(r"^\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<conv>[a-z]+))?\}$")

NO_MATCH: Any = object()
"""What a converter returns for a segment it does not take."""


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""The integers an ``{id:int}`` segment (and an ``int`` parameter) takes: signed 64-bit,
what a database integer column holds."""


def _conv_int(s: str) -> Any:
    """A signed 64-bit integer; anything else (``abc``, ``2**63``) is no match (404)."""
    if (
        not s
        or len(s) > 20
        or not (s.isdigit() or (s[0] == "-" and s[1:].isdigit()))
        or not s.isascii()
    ):
        return NO_MATCH
    n = int(s)
    return n if INT64_MIN <= n <= INT64_MAX else NO_MATCH


def _conv_str(s: str) -> Any:
    return s if s else NO_MATCH


def _conv_uuid(s: str) -> Any:
    try:
        return uuid.UUID(s)
    except ValueError:
        return NO_MATCH


CONVERTERS: dict[str, Callable[[str], Any]] = {
    "int": _conv_int,
    "uuid": _conv_uuid,
    "str": _conv_str,
}
"""Converter name to function; ``path`` (the rest of the path) is handled by the router."""

ORDER = {"int": 0, "uuid": 1, "str": 2, "path": 3}
"""Tried in this order at one position: the most specific first."""


class Segment:
    """A parsed path segment: static text, or a parameter with its converter."""

    __slots__ = ("conv", "name", "text")

    def __init__(self, text: str, name: str = "", conv: str = "") -> None:
        self.text, self.name, self.conv = text, name, conv

    @property
    def is_param(self) -> bool:
        return bool(self.name)


def parse_path(path: str) -> list[Segment]:
    """The segments of a route path; a malformed path is a :class:`RegistrationError`."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise RegistrationError(f"route path {path!r} must start with '/'")
    segs: list[Segment] = []
    names: set[str] = set()
    parts = path[1:].split("/")
    for i, part in enumerate(parts):
        if "{" in part or "}" in part:
            m = _PARAM.fullmatch(part)
            if not m:
                raise RegistrationError(
                    f"route path {path!r}: segment {part!r} must be a whole '{{name}}' or "
                    "'{name:int|str|uuid|path}'"
                )
            name, conv = m.group("name"), m.group("conv") or "str"
            if conv not in CONVERTERS and conv != "path":
                raise RegistrationError(f"route path {path!r}: unknown converter {conv!r}")
            if conv == "path" and i != len(parts) - 1:
                raise RegistrationError(f"route path {path!r}: a '{{{name}:path}}' must be last")
            if name in names:
                raise RegistrationError(f"route path {path!r}: parameter {name!r} appears twice")
            names.add(name)
            segs.append(Segment(part, name, conv))
        else:
            segs.append(Segment(part))
    return segs


def path_shape(segments: list[Segment]) -> str:
    """The path with parameter names dropped (``/users/{:int}``): two routes of the same
    method and shape conflict."""
    return "/" + "/".join(f"{{:{s.conv}}}" if s.is_param else s.text for s in segments)
