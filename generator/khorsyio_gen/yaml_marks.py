"""YAML syntax errors told at the place the user wrote, as ``file:line:column``.

The parser counts lines its own way: YAML also breaks lines at NEL, LINE SEPARATOR and
PARAGRAPH SEPARATOR (an editor does not), and without a byte-order mark. A problem found at
the end of the text (an unclosed quote or bracket) is told where the unclosed thing starts,
not past the last line.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.error import MarkedYAMLError

from khorsyio_gen.errors import SpecError

__all__ = ["editor_position", "syntax_error"]

_YAML_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_EDITOR_BREAK = re.compile(r"\r\n|[\r\n]")


def _offset(text: str, line: int, column: int) -> int:
    """The index in ``text`` (without its BOM) of the parser's 0-based ``line``/``column``."""
    starts = [0] + [m.end() for m in _YAML_BREAK.finditer(text)]
    if line >= len(starts):
        return len(text)
    return min(starts[line] + column, len(text))


def _editor(text: str, offset: int) -> tuple[int, int]:
    breaks = [m.end() for m in _EDITOR_BREAK.finditer(text, 0, offset)]
    start = breaks[-1] if breaks else 0
    return len(breaks) + 1, offset - start + 1


def editor_position(text: str, line: int, column: int) -> tuple[int, int]:
    """The 1-based line and column an editor shows for the parser's ``line``/``column``."""
    text = text.removeprefix("\ufeff")
    return _editor(text, _offset(text, line, column))


def _at_end(text: str, mark: Any) -> bool:
    body = text.removeprefix("\ufeff")
    return _offset(body, mark.line, mark.column) >= len(body.rstrip())


def syntax_error(e: MarkedYAMLError, text: str, file: str) -> SpecError:
    """``e`` as a :class:`SpecError` naming the user's line and column."""
    problem = e.problem or e.context or "invalid YAML"
    mark, ctx = e.problem_mark, e.context_mark
    message = f"YAML syntax error: {problem}"
    if mark is None or _at_end(text, mark):  # something left open
        hint = "(a quote or bracket left open?)"
        if ctx is not None and e.context and not _at_end(text, ctx):
            line, column = editor_position(text, ctx.line, ctx.column)
            return SpecError(
                file, "", f"{message} {e.context} that starts here {hint}", line, column
            )
        body = text.removeprefix("\ufeff")
        line, column = _editor(body, max(len(body.rstrip()) - 1, 0))
        return SpecError(file, "", f"{message} at the end of the text {hint}", line, column)
    if ctx is not None and e.context and ctx.line != mark.line:
        line, column = editor_position(text, ctx.line, ctx.column)
        message += f" ({e.context} at line {line}, column {column})"
    line, column = editor_position(text, mark.line, mark.column)
    return SpecError(file, "", message, line, column)
