"""The last check before a handler module is written: nothing of the person's went missing.

The merge reports which lines of the original it owned (lines gen wrote and may rewrite or
remove). Every other non-blank line must still be in the result (compared without its
indentation, as many times as before), every comment anywhere must still be there, and the
result must parse. Otherwise gen refuses, naming the file and the first line it would lose.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable, Set

from khorsyio_gen.cst.stmts import comments
from khorsyio_gen.errors import GenError

__all__ = ["MergeConflict", "check_kept"]


class MergeConflict(GenError):
    """A change gen cannot make without removing or overwriting a person's line."""


def check_kept(rel: str, before: str, after: str, owned: Callable[[], Set[int]]) -> None:
    """Raise :class:`MergeConflict` when ``after`` lost anything of ``before`` but the
    ``owned()`` lines (1-based line numbers of ``before``)."""
    if before == after:
        return
    try:
        ast.parse(after)
    except SyntaxError as e:
        raise MergeConflict(
            f"{rel}:{e.lineno}: the regenerated module would not parse ({e.msg}); nothing "
            "was written: please report this with the file"
        ) from None
    lost = comments(before) - comments(after)
    lines = before.splitlines()
    if lost:
        text = next(iter(lost))
        at = next((i for i, line in enumerate(lines, 1) if text in line), 0)
        raise MergeConflict(
            f"{rel}:{at}: the change would lose the comment {text!r}; nothing was written: "
            "move the comment out of the generated lines and run khorsyio gen again"
        )
    have = Counter(line.strip() for line in after.splitlines())
    ours = owned()
    for i, line in enumerate(lines, 1):
        key = line.strip()
        if i in ours or not key or key.startswith("#"):
            continue
        if have[key] <= 0:
            raise MergeConflict(
                f"{rel}:{i}: the change would remove or rewrite your line {key!r}; nothing "
                "was written: move it out of the generated lines and run khorsyio gen again"
            )
        have[key] -= 1
