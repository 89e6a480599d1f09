"""gen's two comments in a handler module: the note above the class (who owns which line)
and the marker above the wiring attributes.

Both are written by gen and never rewritten: a comment is the person's to edit, and gen
never removes one. The note is written the first time gen merges a module (see
:func:`class_note`). The marker (:data:`~khorsyio_gen.render.handler.WIRING_MARKER`) is gen's
while it is exactly what gen wrote: a module without it that gen has not marked yet (new to
this gen, or written by an older one) gets it once, above the first wiring attribute gen
wrote; once gen has marked a module (the manifest's ``wiring_marker``), an edited or deleted
marker is the person's choice, like an edited docstring, and gen does not add it again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import libcst as cst

from khorsyio_gen.cst.stmts import EMPTY
from khorsyio_gen.render.handler import MARKER, WIRING_MARKER

__all__ = ["class_note", "has_wiring_marker", "mark_wiring", "without_wiring_marker"]


def class_note(
    module: cst.Module, cls: cst.ClassDef, *, merged_before: bool
) -> list[cst.EmptyLine]:
    """The class's leading lines, with gen's note the first time this gen merges the module
    (one it adopts, or one an older gen wrote: not ``merged_before``); never again."""
    lines = list(cls.leading_lines)
    if merged_before or MARKER[0] in module.code:
        return lines
    return [*lines, *(cst.EmptyLine(comment=cst.Comment(c)) for c in MARKER)]


def _is_marker(line: cst.EmptyLine) -> bool:
    return line.comment is not None and line.comment.value.strip() == WIRING_MARKER


def without_wiring_marker(stmt: cst.BaseStatement) -> cst.BaseStatement:
    """``stmt`` of a fresh rendering without the marker above it (a wiring attribute gen
    inserts into a person's module, where :func:`mark_wiring` decides on the marker)."""
    leading: Sequence[cst.EmptyLine] = getattr(stmt, "leading_lines", ())
    if not any(_is_marker(line) for line in leading):
        return stmt
    return stmt.with_changes(leading_lines=[x for x in leading if not _is_marker(x)])


def has_wiring_marker(node: cst.CSTNode) -> bool:
    """The marker is somewhere in ``node`` (a class), exactly as gen writes it."""
    return any(line.strip() == WIRING_MARKER for line in EMPTY.code_for_node(node).splitlines())


def mark_wiring(
    body: list[cst.BaseStatement], written: Collection[str], names: Sequence[str | None]
) -> None:
    """Put the marker above the first statement of ``body`` that is one of the wiring
    attributes gen ``written`` (``names``: each statement's attribute name, or None)."""
    for i, (stmt, name) in enumerate(zip(body, names, strict=True)):
        if name in written:
            leading: Sequence[cst.EmptyLine] = getattr(stmt, "leading_lines", ())
            marker = cst.EmptyLine(comment=cst.Comment(WIRING_MARKER))
            body[i] = stmt.with_changes(leading_lines=[*leading, marker])
            return
