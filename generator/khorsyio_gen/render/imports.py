"""Import blocks, as (module, name) pairs grouped the way ruff's isort wants them."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["Imports", "render_imports"]

Imports = set[tuple[str, str]]

_STDLIB = {"__future__", "asyncio", "dataclasses", "typing"}


def _section(module: str) -> int:
    top = module.split(".")[0]
    if top == "__future__":
        return 0
    if top in _STDLIB:
        return 1
    if top in ("app", "tests"):
        return 3
    return 2


def render_imports(pairs: Iterable[tuple[str, str]], plain: Iterable[str] = ()) -> str:
    """``from m import a, b`` lines (and ``import m``), in isort sections and order."""
    by_module: dict[str, set[str]] = {}
    for module, name in pairs:
        by_module.setdefault(module, set()).add(name)
    entries: list[tuple[int, int, str, str]] = []
    for module in plain:
        entries.append((_section(module), 0, module, f"import {module}"))
    for module, names in by_module.items():
        line = f"from {module} import {', '.join(sorted(names, key=_name_key))}"
        entries.append((_section(module), 1, module, line))
    if not entries:
        return ""
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    out: list[str] = []
    last = None
    for section, _, _, line in entries:
        if last is not None and section != last:
            out.append("")
        out.append(line)
        last = section
    return "\n".join(out) + "\n"


def _name_key(name: str) -> tuple[int, str]:
    # isort's force-sort-within-sections off, order-by-type on: CONSTANTS, Classes, functions
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)
