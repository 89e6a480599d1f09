"""Module-level imports: which names a module imports and uses; adding and removing names."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from khorsyio_gen.cst.stmts import docstring, has_comment, remove_stmt

__all__ = ["add_imports", "imported", "remove_unused", "used_names"]


def _module_name(node: cst.BaseExpression | None) -> str:
    if node is None:
        return ""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_module_name(node.value)}.{node.attr.value}"
    return ""


def _from(stmt: cst.BaseStatement) -> cst.ImportFrom | None:
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        node = stmt.body[0]
        if isinstance(node, cst.ImportFrom) and not node.relative:
            return node
    return None


def imported(module: cst.Module) -> set[tuple[str, str]]:
    """``(module, name)`` of every top-level ``from module import name`` (no alias)."""
    out: set[tuple[str, str]] = set()
    for stmt in module.body:
        node = _from(stmt)
        if node is None or isinstance(node.names, cst.ImportStar):
            continue
        mod = _module_name(node.module)
        for alias in node.names:
            if alias.asname is None and isinstance(alias.name, cst.Name):
                out.add((mod, alias.name.value))
    return out


class _Names(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)


def used_names(module: cst.Module) -> set[str]:
    """Every name used outside import statements."""
    v = _Names()
    module.visit(v)
    return v.names


def remove_unused(
    module: cst.Module,
    candidates: Iterable[tuple[str, str]],
    replaced: Iterable[str] = (),
) -> cst.Module:
    """Drop ``candidates`` that are imported but no longer used (only those), and those
    whose name is now imported from another module (``replaced``)."""
    used = used_names(module)
    again = set(replaced)
    drop = {(m, n) for m, n in candidates if n not in used or n in again}
    if not drop:
        return module
    body: list[cst.BaseStatement] = list(module.body)
    footer = list(module.footer)
    i = 0
    while i < len(body):
        stmt = body[i]
        node = _from(stmt)
        if node is None or isinstance(node.names, cst.ImportStar):
            i += 1
            continue
        mod = _module_name(node.module)
        keep = [
            a
            for a in node.names
            if not (
                a.asname is None
                and isinstance(a.name, cst.Name)
                and (mod, a.name.value) in drop
                and not has_comment(a)  # a name with your comment stays
            )
        ]
        if len(keep) == len(node.names):
            i += 1
        elif keep:
            last = keep[-1]
            keep[-1] = last.with_changes(comma=node.names[-1].comma)
            if not isinstance(node.names[-1].comma, cst.Comma):
                keep[-1] = last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
            lpar = node.lpar if len(keep) > 1 else None
            rpar = node.rpar if len(keep) > 1 else None
            new = node.with_changes(names=keep, lpar=lpar, rpar=rpar)
            assert isinstance(stmt, cst.SimpleStatementLine)
            body[i] = stmt.with_changes(body=[new])
            i += 1
        else:  # the whole statement goes; its comments stay
            footer[:0] = remove_stmt(body, i)
    return module.with_changes(body=body, footer=footer)


def _is_import(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, cst.Import | cst.ImportFrom) for s in stmt.body
    )


def add_imports(module: cst.Module, missing: Iterable[tuple[str, str]]) -> cst.Module:
    """Add ``from m import n`` for each missing pair: into an existing single-line
    ``from m import ...`` of the same module, else as a new statement after the last
    top-level import."""
    by_module: dict[str, list[str]] = {}
    for m, n in sorted(missing):
        if m != "__future__":
            by_module.setdefault(m, []).append(n)
    if not by_module:
        return module
    body = list(module.body)
    for i, stmt in enumerate(body):
        node = _from(stmt)
        if node is None or isinstance(node.names, cst.ImportStar) or node.lpar is not None:
            continue
        mod = _module_name(node.module)
        if mod in by_module:
            names = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in node.names]
            names += [cst.ImportAlias(name=cst.Name(n)) for n in by_module.pop(mod)]
            names.sort(key=lambda a: _sort_key(cst.Module([]).code_for_node(a.name)))
            assert isinstance(stmt, cst.SimpleStatementLine)
            body[i] = stmt.with_changes(body=[node.with_changes(names=names)])
    if by_module:
        last = max((i for i, s in enumerate(body) if _is_import(s)), default=-1)
        new = [
            cst.parse_statement(f"from {m} import {', '.join(sorted(ns, key=_sort_key))}\n")
            for m, ns in sorted(by_module.items())
        ]
        if last < 0:  # no import at all: after a module docstring, if any
            last = 0 if body and docstring(body[0]) is not None else -1
        body[last + 1 : last + 1] = new
    return module.with_changes(body=body)


def _sort_key(name: str) -> tuple[int, str]:
    if name.isupper():
        return (0, name)
    return (1, name) if name[:1].isupper() else (2, name)
