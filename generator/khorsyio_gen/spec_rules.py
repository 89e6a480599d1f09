"""What the spec's schema cannot say: values Python or the runtime would refuse later.

The msgspec model (:mod:`khorsyio_gen.spec`) checks shapes, patterns and ranges. A value can
fit them and still build a broken app: a domain named ``__init__`` (it overwrites a package's
``__init__.py``), a dependency named ``class`` or ``self`` (a syntax error in ``__init__``),
a handler named ``None``, a schedule payload of ``.inf`` (written as ``inf``: a NameError), a
route path the router refuses. :func:`first_problem` finds the first such value (section by
section) so that the loader reports it like any other mistake: file, line, key.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Iterator

from khorsyio_gen.names import snake
from khorsyio_gen.spec import Spec

__all__ = ["first_problem", "problems"]

_INT64 = 2**63
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")

Finding = tuple[str, str]
"""``(key path, message)``."""


def _name(name: str, what: str, *, self_ok: bool = True) -> str | None:
    """Why ``name`` cannot be ``what`` in generated Python, or ``None``."""
    if keyword.iskeyword(name):
        return f"{what} '{name}' is a Python keyword"
    if name.startswith("__") and name.endswith("__"):
        return f"{what} '{name}' is a dunder name, reserved by Python"
    if not self_ok and name == "self":
        return f"{what} 'self' is the handler's own first parameter"
    return None


def _dotted(path: str, what: str) -> str | None:
    for part in re.split(r"[.:]", path):
        why = _name(part, f"'{part}' in {what}")
        if why:
            return f"{why} ({path!r} cannot be imported)"
    return None


def _text(value: str) -> str | None:
    m = _CONTROL.search(value)
    if m is None:
        return None
    return (
        f"contains the control character {m.group()!r}: write plain text (newlines and tabs "
        "are fine)"
    )


def _payload_value(value: object) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value!r} is not a finite number"
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT64 <= value < _INT64:
        return f"{value} does not fit in 64 bits (msgspec cannot encode it)"
    if isinstance(value, str):
        return _text(value)
    return None


def _path(path: str) -> str | None:
    from khorsyio.errors import RegistrationError
    from khorsyio.http.router import parse_path

    try:
        parse_path(path)
    except RegistrationError as e:
        return str(e).replace("route path ", "path ", 1)
    return None


def problems(spec: Spec) -> Iterator[Finding]:
    """Every value of ``spec`` that would build a broken app, section by section."""
    for i, module in enumerate(spec.contracts):
        if why := _dotted(module, "a contracts module"):
            yield f"contracts[{i}]", why
    for pname, p in spec.providers.items():
        key = f"providers.{pname}"
        if why := _name(pname, "provider name", self_ok=False):
            yield key, why
        for attr in ("type", "factory"):
            value = getattr(p, attr)
            if value and (why := _dotted(value, f"providers.{pname}.{attr}")):
                yield f"{key}.{attr}", why
    for dname, domain in spec.domains.items():
        dkey = f"domains.{dname}"
        if why := _name(dname, "domain name"):
            yield dkey, why
        if why := _text(domain.description):
            yield dkey + ".description", why
        for hname, h in domain.handlers.items():
            key = f"{dkey}.handlers.{hname}"
            if why := _name(hname, "handler name"):
                yield key, why
            elif keyword.iskeyword(snake(hname)):
                yield key, f"'{hname}' (module {snake(hname)}) is a Python keyword"
            for i, dep in enumerate(h.deps):
                if why := _name(dep, "dependency", self_ok=False):
                    yield f"{key}.deps[{i}]", why
            if why := _text(h.description):
                yield key + ".description", why
        for i, r in enumerate(domain.routes):
            key = f"{dkey}.routes[{i}]"
            if why := _path(r.path):
                yield key + ".path", why
            if why := _text(r.summary):
                yield key + ".summary", why
    for i, s in enumerate(spec.schedules):
        for field, value in s.payload.items():
            key = f"schedules[{i}].payload.{field}"
            if (why := _name(field, "payload field")) or (why := _payload_value(value)):
                yield key, why


def first_problem(spec: Spec) -> Finding | None:
    return next(problems(spec), None)
