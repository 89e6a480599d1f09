"""The project as gen finds it: each handler's current module and the previous manifest."""

from __future__ import annotations

from pathlib import Path

from khorsyio_gen.cst.source import Source, SourceError, read_source
from khorsyio_gen.errors import GenError
from khorsyio_gen.manifest import Manifest
from khorsyio_gen.phases.outcome import Outcome
from khorsyio_gen.plan import Plan

__all__ = ["adopt_ids", "find_sources", "text_or_none"]


def text_or_none(root: Path, rel: str) -> str | None:
    """A person's module as text, None when missing or unreadable (then it counts as edited)."""
    try:
        source = read_source(root, rel)
    except SourceError:
        return None
    return source.text if source is not None else None


def adopt_ids(old: Manifest, plan: Plan) -> None:
    """A handler whose id changed (or was added) keeps the entry of its module."""
    ids = {h.id for h in plan.handlers}
    for h in plan.handlers:
        if h.id in old.handlers:
            continue
        for hid, entry in list(old.handlers.items()):
            if hid not in ids and entry.module == h.path:
                old.handlers[h.id] = old.handlers.pop(hid)
                break


def find_sources(
    root: Path, plan: Plan, old: Manifest, out: Outcome
) -> tuple[dict[str, tuple[str, Source]], list[str]]:
    """Each handler's current module (its own first: a rename; then whatever is at its
    path), and the moves that would overwrite a file that is not the handler's."""
    sources: dict[str, tuple[str, Source]] = {}
    conflicts: list[str] = []
    owners = {e.module: hid for hid, e in old.handlers.items()}
    new_paths = {h.id: h.path for h in plan.handlers}
    for h in plan.handlers:
        entry = old.handlers.get(h.id)
        holder = owners.get(h.path)
        if (
            holder is not None
            and holder != h.id
            and new_paths.get(holder) in (None, h.path)
            and (root / h.path).is_file()
        ):
            other = old.handlers[holder]
            gone = " (removed from the spec)" if holder not in new_paths else ""
            raise GenError(
                f"{h.name} (id {h.id}) would be written to {h.path}, which holds handler "
                f"{other.name} (id {holder}){gone}: move or delete that file first, so that "
                "no process body is wired to another handler"
            )
        for rel in (entry.module if entry else None, h.path):
            if not rel:
                continue
            try:
                src = read_source(root, rel)
            except SourceError as e:
                out.errors.append(str(e))
                out.unreadable.add(h.id)
                break
            if src is not None:
                sources[h.id] = (rel, src)
                break
    leaving = {rel for rel, _ in sources.values()}
    for h in plan.handlers:
        got = sources.get(h.id)
        if got is None or got[0] == h.path or not (root / h.path).exists():
            continue
        if h.path in leaving:
            continue  # another handler's module moving away in this run (a swap)
        conflicts.append(
            f"{h.path}: {h.name} (id {h.id}) moves from {got[0]} to {h.path}, but "
            f"{h.path} already exists and is not a handler module gen wrote: it would be "
            "overwritten. Rename or remove it (or give the handler another name), then run "
            "khorsyio gen again"
        )
    return sources, conflicts
