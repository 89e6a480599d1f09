"""The last phase: package ``__init__`` files, AGENTS.md's block and the new manifest."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from khorsyio_gen.errors import GenError
from khorsyio_gen.manifest import MANIFEST, Manifest, dump_manifest
from khorsyio_gen.phases.outcome import Outcome
from khorsyio_gen.plan import Plan
from khorsyio_gen.render.agents import render_block, splice_block

__all__ = ["finish"]


def finish(plan: Plan, owned: Iterable[str], old: Manifest, new: Manifest, out: Outcome) -> None:
    """Add the missing packages, AGENTS.md and ``new`` (listing ``owned``) to ``out``; drop
    the generated files ``old`` listed that are gone."""
    for rel in _packages(plan):
        if not (out.root / rel).exists():
            out.writes[rel] = ""
    stubs = [h for h in plan.handlers if h.name in out.stubs]
    out.writes["AGENTS.md"] = splice_block(_read(out.root, "AGENTS.md"), render_block(stubs))
    new.files = sorted([*owned, MANIFEST])
    for rel in old.files:
        if rel not in new.files and rel.startswith("app/_generated/"):
            out.deletes.append(rel)
    out.writes[MANIFEST] = dump_manifest(new)
    out.deletes = sorted(set(out.deletes) - set(out.writes))


def _read(root: Path, rel: str) -> str | None:
    path = root / rel
    if not path.is_file():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise GenError(f"{rel}: not UTF-8 ({e.reason}); the file is left untouched") from None


def _packages(plan: Plan) -> list[str]:
    rels = ["app/__init__.py", "app/domains/__init__.py", "tests/__init__.py"]
    for d in plan.domains:
        rels += [
            f"app/domains/{d}/__init__.py",
            f"app/domains/{d}/handlers/__init__.py",
            f"tests/{d}/__init__.py",
        ]
    return rels
