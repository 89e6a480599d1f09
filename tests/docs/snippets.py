"""Find the fenced ```python and ```yaml blocks of a Markdown file, with their doctest directives.

A directive is an HTML comment on the line(s) right before the opening fence (blank lines
between are allowed), e.g. ``<!-- doctest: continue; db -->``. See README.md for the list.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+-]*)")
COMMENT = re.compile(r"^\s*<!--(?P<body>.*?)-->\s*$")
LANGS = {"python": "python", "py": "python", "yaml": "yaml", "yml": "yaml", "json": "json"}
KEYS = {"continue", "name", "skip", "db", "file", "raises"}


class DirectiveError(ValueError):
    """A ``<!-- doctest: ... -->`` comment that the collector does not understand."""


@dataclass
class Block:
    path: Path  # the Markdown file
    line: int  # 1-based line of the first line of code (after the opening fence)
    lang: str  # "python", "yaml" or "json"
    source: str  # dedented code
    directives: dict[str, str] = field(default_factory=dict)

    @property
    def first_line(self) -> str:
        return next((ln.strip() for ln in self.source.splitlines() if ln.strip()), "")


def parse_directives(text: str) -> dict[str, str]:
    """``continue; skip: why`` -> ``{"continue": "", "skip": "why"}``."""
    out: dict[str, str] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        key, _, value = part.partition(":")
        key = key.strip()
        if key not in KEYS:
            raise DirectiveError(f"unknown doctest directive {key!r} (known: {sorted(KEYS)})")
        out[key] = value.strip()
    if "skip" in out and not out["skip"]:
        raise DirectiveError("'skip' needs a reason: <!-- doctest: skip: why -->")
    return out


def blocks(path: Path) -> list[Block]:
    """Every python, yaml and json block of ``path``, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m["indent"], m["fence"], m["lang"].lower()
        start = i + 1
        end = start
        while end < len(lines):
            close = lines[end].strip()
            if close.startswith(fence) and not close.strip(fence[0]):
                break
            end += 1
        if lang in LANGS:
            body = "\n".join(lines[start:end])
            source = textwrap.dedent(body) if indent else body
            found.append(
                Block(path, start + 1, LANGS[lang], source + "\n", directives_before(lines, i))
            )
        i = end + 1
    return found


def directives_before(lines: list[str], fence_index: int) -> dict[str, str]:
    out: dict[str, str] = {}
    j = fence_index - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    while j >= 0 and (m := COMMENT.match(lines[j])):
        body = m["body"].strip()
        if body.startswith("doctest:"):
            out.update(parse_directives(body.removeprefix("doctest:")))
        j -= 1
    return out
