"""Rewrite the generator-owned members of a handler module, and nothing else.

Owned: the handler class's name and bases, its wiring attributes, the ``__init__`` signature
and its ``self._dep = dep`` assignments, the annotations of ``process`` (parameter names stay),
the class docstring while it is the one the generator wrote, the ``process`` stub while it is
the generator's stub, and the imports the generator added. Everything else is kept as it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from khorsyio_gen.cst.imports import add_imports, imported, remove_unused
from khorsyio_gen.errors import GenError
from khorsyio_gen.render.handler import WIRING_ATTRS

__all__ = ["HandlerParseError", "MergeResult", "code_hash", "find_class", "merge_handler", "parse"]

WIRING = frozenset(WIRING_ATTRS)
_EMPTY = cst.Module([])


class HandlerParseError(GenError):
    """A handler module that does not parse (left untouched)."""


@dataclass(frozen=True)
class MergeResult:
    code: str
    is_stub: bool


def code_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def parse(path: str, source: str) -> cst.Module:
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as e:
        raise HandlerParseError(
            f"{path}:{e.raw_line}:{e.raw_column + 1}: does not parse ({e.message}); "
            "the file is left untouched: fix it and run khorsyio gen again"
        ) from None


def find_class(module: cst.Module, names: Sequence[str]) -> cst.ClassDef | None:
    classes = [s for s in module.body if isinstance(s, cst.ClassDef)]
    for name in names:
        for c in classes:
            if c.name.value == name:
                return c
    return None


def _attr_name(stmt: cst.BaseStatement) -> str | None:
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
        return None
    node = stmt.body[0]
    if isinstance(node, cst.Assign) and len(node.targets) == 1:
        target = node.targets[0].target
        if isinstance(target, cst.Name):
            return target.value
    if isinstance(node, cst.AnnAssign) and isinstance(node.target, cst.Name):
        return node.target.value
    return None


def _docstring(stmt: cst.BaseStatement) -> str | None:
    if (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    ):
        return _EMPTY.code_for_node(stmt.body[0])
    return None


def _func(body: Sequence[cst.BaseStatement], name: str) -> cst.FunctionDef | None:
    for s in body:
        if isinstance(s, cst.FunctionDef) and s.name.value == name:
            return s
    return None


def _dep_assign(stmt: cst.BaseStatement, names: set[str]) -> str | None:
    """``x`` when ``stmt`` is exactly ``self._x = x`` with ``x`` in ``names``."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
        return None
    node = stmt.body[0]
    if not (isinstance(node, cst.Assign) and len(node.targets) == 1):
        return None
    t, v = node.targets[0].target, node.value
    if (
        isinstance(t, cst.Attribute)
        and isinstance(t.value, cst.Name)
        and t.value.value == "self"
        and isinstance(v, cst.Name)
        and t.attr.value == f"_{v.value}"
        and v.value in names
    ):
        return v.value
    return None


def _leading(stmt: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    lines: Sequence[cst.EmptyLine] = getattr(stmt, "leading_lines", ())
    return lines


def body_code(fn: cst.FunctionDef) -> str:
    return _EMPTY.code_for_node(fn.body)


def is_stub(fn: cst.FunctionDef | None) -> bool:
    """``process`` whose body is (a docstring and) ``raise NotImplementedError(...)``."""
    if fn is None or not isinstance(fn.body, cst.IndentedBlock):
        return False
    stmts = [s for s in fn.body.body if _docstring(s) is None]
    if len(stmts) != 1 or not isinstance(stmts[0], cst.SimpleStatementLine):
        return False
    node = stmts[0].body[0]
    if not isinstance(node, cst.Raise) or node.exc is None:
        return False
    exc = node.exc.func if isinstance(node.exc, cst.Call) else node.exc
    return isinstance(exc, cst.Name) and exc.value == "NotImplementedError"


def _merge_init(
    user: cst.FunctionDef | None, ideal: cst.FunctionDef | None
) -> cst.FunctionDef | None:
    """The new ``__init__``: ideal signature and assignments, the user's other statements."""
    if user is None:
        return ideal
    assert isinstance(user.body, cst.IndentedBlock)
    old_params = {p.name.value for p in user.params.params[1:]}
    new_deps = [p.name.value for p in ideal.params.params[1:]] if ideal is not None else []
    names = old_params | set(new_deps)
    kept = [s for s in user.body.body if _dep_assign(s, names) is None]
    if ideal is None and not kept:
        return None  # only generator lines were there
    assigns: list[cst.BaseStatement] = []
    if ideal is not None:
        assert isinstance(ideal.body, cst.IndentedBlock)
        assigns = list(ideal.body.body)
    first = next(
        (i for i, s in enumerate(user.body.body) if _dep_assign(s, names) is not None), None
    )
    if first is None:  # after a docstring, else first
        first = 1 if user.body.body and _docstring(user.body.body[0]) is not None else 0
    else:
        first = sum(1 for s in user.body.body[:first] if _dep_assign(s, names) is None)
    new_body = kept[:first] + assigns + kept[first:]
    if ideal is not None:
        sig = ideal
    else:
        sig = cst.ensure_type(
            cst.parse_statement("def __init__(self) -> None:\n    pass\n"), cst.FunctionDef
        )
    return user.with_changes(
        params=sig.params,
        returns=sig.returns,
        whitespace_before_params=sig.whitespace_before_params,
        body=user.body.with_changes(body=new_body),
    )


def _merge_process(
    user: cst.FunctionDef, ideal: cst.FunctionDef, old_stub: str | None
) -> cst.FunctionDef:
    params = list(user.params.params)
    ideal_params = ideal.params.params
    for i in (1, 2):
        if i < len(params) and i < len(ideal_params):
            params[i] = params[i].with_changes(annotation=ideal_params[i].annotation)
    new = user.with_changes(params=user.params.with_changes(params=params), returns=ideal.returns)
    if old_stub is not None and code_hash(body_code(user)) == old_stub:
        new = new.with_changes(body=ideal.body)
    return new


def merge_handler(
    path: str,
    source: str,
    ideal_mod: cst.Module,
    *,
    class_names: Sequence[str],
    old_imports: set[tuple[str, str]],
    old_doc: str | None,
    old_stub: str | None,
) -> MergeResult:
    """``source`` with its owned members taken from ``ideal_mod`` (a fresh rendering).

    ``class_names``: names the handler class may have in ``source`` (its current name first,
    then its previous one). ``old_imports``: what the generator imported last time (removed
    when no longer needed and unused). ``old_doc`` / ``old_stub``: hashes of the docstring
    and stub body last generated (replaced only while unedited).
    """
    module = parse(path, source)
    ideal = find_class(ideal_mod, class_names[:1])
    assert ideal is not None
    assert isinstance(ideal.body, cst.IndentedBlock)
    cls = find_class(module, class_names)
    if cls is None:
        raise HandlerParseError(
            f"{path}: no class {' or '.join(class_names)} found; the file is left untouched"
        )
    assert isinstance(cls.body, cst.IndentedBlock)
    ideal_body = ideal.body.body
    ideal_attrs = {n: s for s in ideal_body if (n := _attr_name(s)) in WIRING}
    body: list[cst.BaseStatement] = []
    seen: set[str] = set()
    last_attr = -1
    for idx, stmt in enumerate(cls.body.body):
        name = _attr_name(stmt)
        doc = _docstring(stmt)
        if idx == 0 and doc is not None:
            ideal_doc = _docstring(ideal_body[0])
            if old_doc is not None and ideal_doc is not None and code_hash(doc) == old_doc:
                stmt = ideal_body[0].with_changes(leading_lines=_leading(stmt))
            body.append(stmt)
            last_attr = max(last_attr, len(body) - 1)
        elif name in WIRING:
            seen.add(name)
            if name in ideal_attrs:
                assert isinstance(stmt, cst.SimpleStatementLine)
                src = ideal_attrs[name]
                assert isinstance(src, cst.SimpleStatementLine)
                body.append(stmt.with_changes(body=src.body))
                last_attr = len(body) - 1
        else:
            body.append(stmt)
    missing = [s for n, s in ideal_attrs.items() if n not in seen]
    body[last_attr + 1 : last_attr + 1] = missing
    # __init__
    user_init, ideal_init = _func(body, "__init__"), _func(ideal_body, "__init__")
    new_init = _merge_init(user_init, ideal_init)
    if user_init is not None:
        i = body.index(user_init)
        if new_init is None:
            removed = body.pop(i)
            if i < len(body):  # keep the blank lines the removed method had before it
                body[i] = body[i].with_changes(leading_lines=_leading(removed))
        else:
            body[i] = new_init
    elif new_init is not None:
        proc = _func(body, "process")
        at = body.index(proc) if proc is not None else len(body)
        body.insert(at, new_init)
    # process
    user_proc, ideal_proc = _func(body, "process"), _func(ideal_body, "process")
    assert ideal_proc is not None
    if user_proc is None:
        body.append(ideal_proc)
    else:
        body[body.index(user_proc)] = _merge_process(user_proc, ideal_proc, old_stub)
    new_cls = cls.with_changes(
        name=ideal.name,
        bases=ideal.bases,
        lpar=ideal.lpar,
        rpar=ideal.rpar,
        body=cls.body.with_changes(body=body),
    )
    module = module.with_changes(body=[new_cls if s is cls else s for s in module.body])
    needed = imported(ideal_mod)
    stale = old_imports - needed
    if stale:
        module = remove_unused(module, stale, {n for _, n in needed})
    module = add_imports(module, needed - imported(module))
    return MergeResult(module.code, is_stub(_func(body, "process")))
