"""Statement-level helpers of the merge: removing a statement without losing a comment,
line spans of nodes, comparing statements by meaning."""

from __future__ import annotations

import ast
import io
import tokenize
from collections import Counter
from collections.abc import Mapping, Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

__all__ = [
    "EMPTY",
    "Owned",
    "Spans",
    "carried_lines",
    "comments",
    "docstring",
    "has_comment",
    "prepend",
    "remove_stmt",
    "same_code",
]

EMPTY = cst.Module([])


def docstring(stmt: cst.BaseStatement) -> str | None:
    """The code of ``stmt`` when it is a docstring (a lone string expression), else None."""
    if (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    ):
        return EMPTY.code_for_node(stmt.body[0])
    return None


def comments(code: str) -> Counter[str]:
    """The comments of ``code`` (stripped), counted."""
    out: Counter[str] = Counter()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.string.strip()] += 1
    except (tokenize.TokenError, SyntaxError):  # a fragment: fall back to a plain scan
        for line in code.splitlines():
            if line.strip().startswith("#"):
                out[line.strip()] += 1
    return out


def has_comment(node: cst.CSTNode) -> bool:
    class _Find(cst.CSTVisitor):
        found = False

        def visit_Comment(self, node: cst.Comment) -> None:
            self.found = True

    finder = _Find()
    node.visit(finder)
    return finder.found


def same_code(a: cst.CSTNode, b: cst.CSTNode) -> bool:
    """``a`` and ``b`` mean the same Python (formatting and comments aside)."""

    def norm(node: cst.CSTNode) -> str:
        code = EMPTY.code_for_node(node).strip()
        try:
            return ast.dump(ast.parse(code))
        except SyntaxError:
            return code

    return norm(a) == norm(b)


def carried_lines(node: cst.CSTNode) -> list[cst.EmptyLine]:
    """What must stay when ``node`` goes: its leading blank lines and comments as they are,
    then every other comment inside it, each on its own line."""
    leading: Sequence[cst.EmptyLine] = getattr(node, "leading_lines", ())
    own = {id(line.comment) for line in leading if line.comment is not None}
    found: list[cst.Comment] = []

    class _Collect(cst.CSTVisitor):
        def visit_Comment(self, c: cst.Comment) -> None:
            if id(c) not in own:
                found.append(c)

    node.visit(_Collect())
    return [*leading, *(cst.EmptyLine(comment=cst.Comment(c.value)) for c in found)]


def prepend(stmt: cst.BaseStatement, lines: Sequence[cst.EmptyLine]) -> cst.BaseStatement:
    """``stmt`` with ``lines`` (of a removed statement) above its own leading lines."""
    if not lines:
        return stmt
    own: Sequence[cst.EmptyLine] = getattr(stmt, "leading_lines", ())
    if all(line.comment is None for line in lines) and own:
        return stmt  # blank lines only, and the next statement has its own
    return stmt.with_changes(leading_lines=[*lines, *own])


def remove_stmt(body: list[cst.BaseStatement], i: int) -> list[cst.EmptyLine]:
    """Remove ``body[i]``; its comments go to the next statement. Returns the lines left over
    when it was the last one (for the block's footer)."""
    gone = body.pop(i)
    lines = carried_lines(gone)
    if i < len(body):
        body[i] = prepend(body[i], lines)
        return []
    return lines


class Spans:
    """Line numbers of the nodes of one parsed module (computed when first asked: most
    merges change nothing and never need them)."""

    def __init__(self, module: cst.Module) -> None:
        self._module = module
        self._positions: Mapping[cst.CSTNode, CodeRange] | None = None

    @property
    def _pos(self) -> Mapping[cst.CSTNode, CodeRange]:
        if self._positions is None:
            wrapper = MetadataWrapper(self._module, unsafe_skip_copy=True)
            self._positions = wrapper.resolve(PositionProvider)
        return self._positions

    def range(self, node: cst.CSTNode) -> CodeRange:
        """Where ``node`` is; a statement the merge gave other leading lines is found by
        its parts, which are the original's."""
        if node in self._pos:
            return self._pos[node]
        if isinstance(node, cst.SimpleStatementLine):
            first, last = self.range(node.body[0]), self.range(node.body[-1])
        elif isinstance(node, cst.FunctionDef | cst.ClassDef):
            first, last = self.range(node.name), self.range(node.body)
        else:
            raise KeyError(node)
        return CodeRange(first.start, last.end)

    def line(self, node: cst.CSTNode) -> int:
        return self.range(node).start.line

    def lines(self, node: cst.CSTNode) -> set[int]:
        r = self.range(node)
        return set(range(r.start.line, r.end.line + 1))

    def header(self, node: cst.FunctionDef | cst.ClassDef) -> set[int]:
        """The lines from ``def``/``class`` to its colon (by its name and body, which a
        merge that only moved comments onto the statement leaves as they were)."""
        start = self.line(node.name)
        body = node.body
        if isinstance(body, cst.IndentedBlock) and body.body:
            first = body.body[0]
            leading: Sequence[cst.EmptyLine] = getattr(first, "leading_lines", ())
            end = self.line(first) - len(leading) - 1
        else:
            end = self.range(body).start.line
        return set(range(start, max(start, end) + 1))


class Owned:
    """The nodes of the original module that gen owns; their lines, when asked."""

    def __init__(self, spans: Spans) -> None:
        self.spans = spans
        self._nodes: list[tuple[bool, cst.CSTNode]] = []

    def node(self, node: cst.CSTNode) -> None:
        self._nodes.append((False, node))

    def header(self, node: cst.FunctionDef | cst.ClassDef) -> None:
        self._nodes.append((True, node))

    def lines(self) -> frozenset[int]:
        out: set[int] = set()
        for header, node in self._nodes:
            if header:
                assert isinstance(node, cst.FunctionDef | cst.ClassDef)
                out |= self.spans.header(node)
            else:
                out |= self.spans.lines(node)
        return frozenset(out)
