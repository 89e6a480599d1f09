"""The error tree is drawn twice (errors.py's docstring, docs/errors.md): both must be true."""

from __future__ import annotations

import re
from pathlib import Path

import khorsyio.errors as errors

DOCS = Path(__file__).resolve().parents[3] / "docs" / "errors.md"


def _tree(text: str) -> list[str]:
    start = text.index("KhorsyioError\n")
    lines = []
    for line in text[start:].splitlines():
        if not line.strip() or line.strip().startswith("```"):
            break
        lines.append(line.strip().replace("``", ""))
    return lines


def _parents(tree: list[str]) -> dict[str, str]:
    """Each class of the drawing with the class it hangs under."""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in tree:
        m = re.match(r"^([│ ]*)(?:├── |└── )?(\w+)", line)
        assert m is not None, line
        depth = len(m.group(1)) // 4 + (1 if "── " in line else 0)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[m.group(2)] = stack[-1][1]
        stack.append((depth, m.group(2)))
    return parents


def test_the_page_draws_the_same_tree_as_the_module() -> None:
    assert errors.__doc__ is not None
    assert _tree(DOCS.read_text(encoding="utf-8")) == _tree(errors.__doc__)


def test_the_tree_names_every_class_under_its_real_base() -> None:
    assert errors.__doc__ is not None
    parents = _parents(_tree(errors.__doc__))
    assert sorted(parents) == sorted(n for n in errors.__all__ if n != "KhorsyioError")
    for name, parent in parents.items():
        cls = getattr(errors, name)
        assert cls.__bases__[0] is getattr(errors, parent), name
        assert issubclass(cls, errors.KhorsyioError), name
