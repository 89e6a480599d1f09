"""Handlers that left the spec: their files are kept and reported, or pruned if unedited."""

from __future__ import annotations

import msgspec

from khorsyio_gen.cst.merge import code_hash
from khorsyio_gen.manifest import HandlerEntry, Manifest
from khorsyio_gen.phases.locate import text_or_none
from khorsyio_gen.phases.outcome import Outcome

__all__ = ["keep_orphans"]


def keep_orphans(old: Manifest, new: Manifest, out: Outcome, *, prune: bool) -> None:
    """Report each handler of ``old`` that ``new`` does not have (``prune``: delete its files
    still equal to what gen created)."""
    for hid, entry in sorted(old.handlers.items()):
        if hid not in new.handlers:
            _orphan(hid, entry, new, out, prune)


def _orphan(hid: str, entry: HandlerEntry, new: Manifest, out: Outcome, prune: bool) -> None:
    kept = []
    for rel, fresh in ((entry.module, entry.fresh), (entry.test, entry.test_fresh)):
        if not (out.root / rel).is_file():
            continue
        text = text_or_none(out.root, rel)
        if prune and text is not None and code_hash(text) == fresh:
            out.deletes.append(rel)
            out.notes.append(f"pruned {rel} (handler {entry.name} left the spec, file unedited)")
        else:
            kept.append(rel)
    if kept:
        hint = "" if prune else " (khorsyio gen --prune deletes unedited ones)"
        out.notes.append(
            f"handler {entry.name} (id {hid}) is no longer in khorsyio.yaml; kept "
            f"{', '.join(kept)}{hint if not prune else ' (edited: delete by hand)'}"
        )
        # what gen wrote stays recorded: a handler put back in the spec finds its lines
        new.handlers[hid] = msgspec.structs.replace(entry, orphan=True)
