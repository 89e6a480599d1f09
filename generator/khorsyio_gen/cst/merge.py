"""Rewrite the generator-owned members of a handler module, and nothing else.

Gen owns (see docs/generator.md, "Who owns which line in a handler module"): the handler
class's name and its ``Handler[In, Out]`` base; the wiring attributes gen wrote (recorded in
the manifest); the ``__init__`` parameters named after the handler's dependencies and their
``self._dep = dep`` lines; the annotations of ``process``; the class docstring and the
``process`` stub while they are exactly what gen wrote; the imports gen added. Everything
else stays as it is: comments and blank lines a person put between gen's lines stay where
they were; where a change would remove or overwrite a person's line, gen refuses
(:class:`MergeConflict`) and writes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from khorsyio_gen.cst.guard import MergeConflict
from khorsyio_gen.cst.imports import add_imports, imported, remove_unused
from khorsyio_gen.cst.init import merge_init
from khorsyio_gen.cst.marker import (
    class_note,
    has_wiring_marker,
    mark_wiring,
    without_wiring_marker,
)
from khorsyio_gen.cst.stmts import (
    EMPTY,
    Owned,
    Spans,
    docstring,
    has_comment,
    prepend,
    remove_stmt,
    same_code,
)
from khorsyio_gen.errors import GenError
from khorsyio_gen.render.handler import GEN_ATTRS

__all__ = [
    "HandlerParseError",
    "MergeConflict",
    "MergeResult",
    "Previous",
    "body_code",
    "code_hash",
    "find_class",
    "find_method",
    "merge_handler",
    "parse",
]

WIRING = frozenset(GEN_ATTRS)


class HandlerParseError(GenError):
    """A handler module that does not parse (left untouched)."""


@dataclass(frozen=True)
class Previous:
    """What gen wrote into the module last time (from the manifest); ``None`` fields: a
    module gen has not merged before (or a manifest of an older gen)."""

    imports: set[tuple[str, str]] = field(default_factory=set)
    doc: str | None = None
    stub: str | None = None
    attrs: Sequence[str] | None = None
    """None: a manifest of an older gen, which wrote every wiring attribute."""
    deps: Sequence[str] | None = None
    adopt: bool = False
    """No manifest entry: gen's lines are those exactly as gen writes them now."""
    marked: bool = False
    """Gen wrote the wiring marker into the module before (see :mod:`khorsyio_gen.cst.marker`)."""


@dataclass(frozen=True)
class MergeResult:
    code: str
    is_stub: bool
    owned: Owned
    """What of the original gen owned (all the rest must be in ``code``)."""
    attrs: list[str]
    deps: list[str]
    imports: set[tuple[str, str]]


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


def attr_name(stmt: cst.BaseStatement) -> str | None:
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


def find_method(body: Sequence[cst.BaseStatement], name: str) -> cst.FunctionDef | None:
    for s in body:
        if isinstance(s, cst.FunctionDef) and s.name.value == name:
            return s
    return None


def body_code(fn: cst.FunctionDef) -> str:
    return EMPTY.code_for_node(fn.body)


def is_stub(fn: cst.FunctionDef | None) -> bool:
    """``process`` whose body is (a docstring and) ``raise NotImplementedError(...)``."""
    if fn is None or not isinstance(fn.body, cst.IndentedBlock):
        return False
    stmts = [s for s in fn.body.body if docstring(s) is None]
    if len(stmts) != 1 or not isinstance(stmts[0], cst.SimpleStatementLine):
        return False
    node = stmts[0].body[0]
    if not isinstance(node, cst.Raise) or node.exc is None:
        return False
    exc = node.exc.func if isinstance(node.exc, cst.Call) else node.exc
    return isinstance(exc, cst.Name) and exc.value == "NotImplementedError"


def _is_handler_base(arg: cst.Arg) -> bool:
    value = arg.value
    if isinstance(value, cst.Subscript):
        value = value.value
    name = value.attr.value if isinstance(value, cst.Attribute) else getattr(value, "value", "")
    return arg.keyword is None and name == "Handler"


def _bases(rel: str, cls: cst.ClassDef, ideal: cst.ClassDef, spans: Spans) -> list[cst.Arg]:
    """The class's bases with gen's ``Handler[In, Out]`` in place of the old one."""
    new = ideal.bases[0].value
    bases = list(cls.bases)
    for i, arg in enumerate(bases):
        if _is_handler_base(arg):
            if has_comment(arg.value):
                raise MergeConflict(
                    f"{rel}:{spans.line(arg)}: your comment is inside the Handler[...] base, "
                    "which gen rewrites: move it and run khorsyio gen again"
                )
            bases[i] = arg.with_changes(value=new)
            return bases
    raise MergeConflict(
        f"{rel}:{spans.line(cls)}: class {cls.name.value} has no Handler[...] base for gen to "
        "follow the contracts with; put Handler[In, Out] back among its bases"
    )


def _merge_process(
    user: cst.FunctionDef, ideal: cst.FunctionDef, old_stub: str | None, owned: Owned
) -> cst.FunctionDef:
    params = list(user.params.params)
    ideal_params = ideal.params.params
    for i in (1, 2):
        if i < len(params) and i < len(ideal_params):
            params[i] = params[i].with_changes(annotation=ideal_params[i].annotation)
    new = user.with_changes(params=user.params.with_changes(params=params), returns=ideal.returns)
    owned.header(user)
    if old_stub is not None and code_hash(body_code(user)) == old_stub:
        new = new.with_changes(body=ideal.body)
        owned.node(user.body)
    return new


def _wiring(
    rel: str,
    body: list[cst.BaseStatement],
    ideal_body: Sequence[cst.BaseStatement],
    prev: Previous,
    owned: Owned,
) -> tuple[list[cst.BaseStatement], list[str], list[cst.EmptyLine]]:
    """The class body with gen's wiring attributes following the spec (and the comments of a
    removed last statement, for the class's footer)."""
    ideal_attrs = {n: s for s in ideal_body if (n := attr_name(s)) in WIRING}
    written: list[str] = []
    footer: list[cst.EmptyLine] = []
    seen: set[str] = set()
    last = 0 if body and docstring(body[0]) is not None else -1
    i = 0
    while i < len(body):
        stmt = body[i]
        name = attr_name(stmt)
        if name not in WIRING or name in seen:
            i += 1
            continue
        seen.add(name)
        want = ideal_attrs.get(name)
        gens = prev.attrs is None or name in prev.attrs  # gen wrote it last time
        if want is not None and same_code(stmt, want):
            written.append(name)  # already what gen writes
        elif not gens:
            if want is not None:
                code = EMPTY.code_for_node(stmt).strip()
                raise MergeConflict(
                    f"{rel}:{owned.spans.line(stmt)}: {code!r} is yours (gen did not "
                    f"write it), and khorsyio.yaml now sets {name}: remove your line or the "
                    "key in khorsyio.yaml, then run khorsyio gen again"
                )
            i += 1  # a person's attribute: theirs
            continue
        elif want is not None:
            assert isinstance(stmt, cst.SimpleStatementLine)
            assert isinstance(want, cst.SimpleStatementLine)
            body[i] = stmt.with_changes(body=want.body)  # comments on and above it stay
            written.append(name)
        else:  # gen's attribute the spec no longer sets: it goes, its comments stay
            owned.node(stmt)
            footer += remove_stmt(body, i)
            continue
        owned.node(stmt)
        last = i
        i += 1
    missing = [without_wiring_marker(s) for n, s in ideal_attrs.items() if n not in seen]
    body[last + 1 : last + 1] = missing
    written += [n for n in ideal_attrs if n not in seen]
    return body, sorted(written), footer


def merge_handler(
    path: str,
    source: str,
    ideal_mod: cst.Module,
    *,
    class_names: Sequence[str],
    prev: Previous,
) -> MergeResult:
    """``source`` with its owned members taken from ``ideal_mod`` (a fresh rendering).

    ``class_names``: names the handler class may have in ``source`` (its current name first,
    then its previous one). ``prev``: what gen wrote last time.
    """
    module = parse(path, source)
    spans = Spans(module)
    ideal = find_class(ideal_mod, class_names[:1])
    assert ideal is not None
    assert isinstance(ideal.body, cst.IndentedBlock)
    cls = find_class(module, class_names)
    if cls is None:
        raise HandlerParseError(
            f"{path}: no class {' or '.join(class_names)} found; the file is left untouched"
        )
    if not isinstance(cls.body, cst.IndentedBlock):
        raise HandlerParseError(f"{path}:{spans.line(cls)}: the class body is on one line")
    owned = Owned(spans)
    owned.header(cls)
    ideal_body = ideal.body.body
    body = list(cls.body.body)
    if body and (doc := docstring(body[0])) is not None:
        ideal_doc = docstring(ideal_body[0])
        if prev.doc is not None and ideal_doc is not None and code_hash(doc) == prev.doc:
            assert isinstance(body[0], cst.SimpleStatementLine)
            new_doc = ideal_body[0]
            assert isinstance(new_doc, cst.SimpleStatementLine)
            owned.node(body[0])
            body[0] = body[0].with_changes(body=new_doc.body)
    body, attrs, footer = _wiring(path, body, ideal_body, prev, owned)
    if not prev.marked and not has_wiring_marker(cls):
        mark_wiring(body, attrs, [attr_name(s) for s in body])
    # __init__
    user_init, ideal_init = find_method(body, "__init__"), find_method(ideal_body, "__init__")
    old_deps = prev.deps
    if old_deps is None and not prev.adopt and user_init is not None:  # an older manifest
        old_deps = [p.name.value for p in user_init.params.params[1:] if p.default is None]
    init = merge_init(path, user_init, ideal_init, old_deps, owned)
    if user_init is not None:
        i = body.index(user_init)
        if init.fn is None:
            body.pop(i)
            if i < len(body):  # the method's blank lines and comments stay
                body[i] = prepend(body[i], init.carried)
            else:
                footer += init.carried
        else:
            body[i] = init.fn
    elif init.fn is not None:
        proc = find_method(body, "process")
        at = body.index(proc) if proc is not None else len(body)
        body.insert(at, init.fn)
    # process
    user_proc, ideal_proc = find_method(body, "process"), find_method(ideal_body, "process")
    assert ideal_proc is not None
    if user_proc is None:
        body.append(ideal_proc)
    else:
        body[body.index(user_proc)] = _merge_process(user_proc, ideal_proc, prev.stub, owned)
    new_cls = cls.with_changes(
        name=ideal.name,
        bases=_bases(path, cls, ideal, spans),
        body=cls.body.with_changes(body=body, footer=[*footer, *cls.body.footer]),
        leading_lines=class_note(module, cls, merged_before=prev.deps is not None),
    )
    module = module.with_changes(body=[new_cls if s is cls else s for s in module.body])
    needed = imported(ideal_mod)
    before = imported(module)
    stale = prev.imports - needed
    for stmt in module.body:
        node = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) else None
        if isinstance(node, cst.ImportFrom | cst.Import):
            owned.node(stmt)
    if stale:
        module = remove_unused(module, stale, {n for _, n in needed})
    module = add_imports(module, needed - before)
    ours = (prev.imports & needed) | (needed - before)
    if prev.adopt:  # what gen would write is gen's from now on
        ours |= needed & before
    return MergeResult(
        module.code,
        is_stub(find_method(body, "process")),
        owned,
        attrs,
        init.deps,
        ours,
    )
