"""Merging ``__init__``: gen owns the parameters named after the handler's dependencies and
their ``self._dep = dep`` lines; every other parameter, statement, decorator and comment is
the person's and stays where it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from khorsyio_gen.cst.guard import MergeConflict
from khorsyio_gen.cst.stmts import (
    EMPTY,
    Owned,
    carried_lines,
    docstring,
    has_comment,
    remove_stmt,
)

__all__ = ["InitMerge", "dep_assign", "merge_init"]


@dataclass
class InitMerge:
    fn: cst.FunctionDef | None
    """The new ``__init__`` (None: there is none any more)."""
    carried: list[cst.EmptyLine] = field(default_factory=list)
    """Comments of a removed ``__init__``, for the next member."""
    deps: list[str] = field(default_factory=list)


def dep_assign(stmt: cst.BaseStatement, names: Sequence[str] | set[str]) -> str | None:
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


def _ann(p: cst.Param) -> str:
    return EMPTY.code_for_node(p.annotation.annotation) if p.annotation else ""


def merge_init(
    rel: str,
    user: cst.FunctionDef | None,
    ideal: cst.FunctionDef | None,
    old_deps: Sequence[str] | None,
    gen_lines: Owned,
) -> InitMerge:
    """``old_deps``: the parameters gen wrote last time (None: a module gen has not merged
    before, whose parameters are gen's only where they are exactly what gen writes now)."""
    new_params = list(ideal.params.params[1:]) if ideal is not None else []
    wanted = {p.name.value: p for p in new_params}
    if user is None:
        return InitMerge(ideal, deps=list(wanted))
    assert isinstance(user.body, cst.IndentedBlock)
    params = list(user.params.params)
    spans = gen_lines.spans
    if not params:
        raise MergeConflict(f"{rel}:{spans.line(user.name)}: __init__ has no self parameter")
    self_param, rest = params[0], params[1:]
    owned: list[int] = []  # indices in rest
    for i, p in enumerate(rest):
        name = p.name.value
        exact = name in wanted and p.default is None and _ann(p) == _ann(wanted[name])
        if old_deps is not None and name in old_deps:
            if has_comment(p) and name not in wanted:
                raise MergeConflict(
                    f"{rel}:{spans.line(p)}: the spec removes dependency {name!r}, and its "
                    "parameter carries your comment; move the comment and run gen again"
                )
            owned.append(i)
        elif exact:
            owned.append(i)  # what gen writes: gen's from now on
        elif name in wanted:
            raise MergeConflict(
                f"{rel}:{spans.line(p)}: __init__ parameter {name!r} is yours (gen did not "
                f"write it), and khorsyio.yaml now gives the handler a dependency {name!r}: "
                "rename your parameter (or remove it) and run khorsyio gen again"
            )
    owned_names = {rest[i].name.value for i in owned}
    mine = [p for i, p in enumerate(rest) if i not in owned]
    if owned:
        at = sum(1 for i in range(owned[0]) if i not in owned)
    else:  # required dependencies go before the person's parameters with defaults
        at = next((k for k, p in enumerate(mine) if p.default is not None), len(mine))
    existing = {rest[i].name.value: rest[i] for i in owned}
    gen_params = [
        existing[n].with_changes(annotation=p.annotation) if n in existing else p
        for n, p in wanted.items()
    ]
    last_comma = rest[-1].comma if rest else cst.MaybeSentinel.DEFAULT
    new_rest = [*mine[:at], *gen_params, *mine[at:]]
    if new_rest:  # the last parameter keeps the original last one's (trailing) comma
        new_rest[-1] = new_rest[-1].with_changes(comma=last_comma)
    else:
        self_param = self_param.with_changes(comma=cst.MaybeSentinel.DEFAULT)
    result = InitMerge(None, deps=list(wanted))
    gen_lines.header(user)
    # the body: gen's assignments of dependencies that stay, go, or come
    body = list(user.body.body)
    footer = list(user.body.footer)
    gen_names = owned_names | set(wanted)
    first_gone: int | None = None
    last_kept: int | None = None
    i = 0
    while i < len(body):
        dep = dep_assign(body[i], gen_names)
        if dep is None:
            i += 1
            continue
        gen_lines.node(body[i])
        if dep in wanted:
            wanted.pop(dep)
            last_kept = i
            i += 1
        else:
            first_gone = i if first_gone is None else first_gone
            footer[:0] = remove_stmt(body, i)
    if wanted:
        assigns = [cst.parse_statement(f"self._{n} = {n}\n") for n in wanted]
        if last_kept is not None:
            at_stmt = last_kept + 1
        elif first_gone is not None:
            at_stmt = first_gone
        else:
            at_stmt = 1 if body and docstring(body[0]) is not None else 0
        body[at_stmt:at_stmt] = assigns
    has_mine = bool(mine) or bool(user.decorators) or bool(body)
    if not gen_params and not has_mine:  # only gen's lines were left: the method goes
        result.carried = carried_lines(user)
        gen_lines.node(user.body)
        return result
    if not body:
        body = [cst.SimpleStatementLine([cst.Pass()])]  # your parameters, comments stay
    result.fn = user.with_changes(
        params=user.params.with_changes(params=[self_param, *new_rest]),
        returns=user.returns or (ideal.returns if ideal is not None else None),
        body=user.body.with_changes(body=body, footer=footer),
    )
    return result
