"""What one ``khorsyio gen`` run would do: the result every phase adds to."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from khorsyio_gen.check import Problem
from khorsyio_gen.cst.source import Source
from khorsyio_gen.plan import Plan

__all__ = ["Outcome"]


@dataclass
class Outcome:
    """What ``gen`` would do: new contents, deletions, reports."""

    root: Path
    plan: Plan
    writes: dict[str, str] = field(default_factory=dict)
    deletes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stubs: list[str] = field(default_factory=list)
    raw: dict[str, bytes] = field(default_factory=dict)
    """The bytes of writes in another encoding or with CRLF line endings (their own)."""
    sources: dict[str, Source] = field(default_factory=dict)
    """Handler modules kept in their own encoding or line endings, by target path."""
    unreadable: set[str] = field(default_factory=set)
    """Ids of handlers whose module could not be read (reported, left untouched)."""

    def changed(self) -> list[str]:
        out = []
        for rel, text in sorted(self.writes.items()):
            path = self.root / rel
            if not path.is_file():
                out.append(rel)
            elif rel in self.raw:
                if path.read_bytes() != self.raw[rel]:
                    out.append(rel)
            elif _decoded(path) != text:
                out.append(rel)
        return sorted(out + [d for d in self.deletes if (self.root / d).exists()])


def _decoded(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None
