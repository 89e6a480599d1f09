"""Merging each handler module with its fresh rendering, and the manifest entry it leaves.

A handler without a module gets the fresh stub; one with a module gets gen's members
rewritten (:func:`khorsyio_gen.cst.merge.merge_handler`), a :class:`MergedModule` that the
format phase (:mod:`khorsyio_gen.phases.format`) formats, checks and encodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import libcst as cst

from khorsyio_gen.cst.guard import MergeConflict
from khorsyio_gen.cst.imports import imported
from khorsyio_gen.cst.merge import (
    HandlerParseError,
    Previous,
    attr_name,
    body_code,
    code_hash,
    find_class,
    find_method,
    merge_handler,
)
from khorsyio_gen.cst.source import Source
from khorsyio_gen.cst.stmts import Owned, docstring
from khorsyio_gen.manifest import HandlerEntry, Manifest
from khorsyio_gen.phases.outcome import Outcome
from khorsyio_gen.phases.render import Fresh
from khorsyio_gen.plan import HandlerPlan
from khorsyio_gen.render.handler import GEN_ATTRS

__all__ = ["Merged", "MergedModule", "merge_handlers"]


@dataclass(frozen=True)
class MergedModule:
    """A person's handler module and what the merge made of it (not formatted yet)."""

    before: str
    """The module's text as gen found it."""
    after: str
    """The merged text."""
    owned: Owned
    """What of ``before`` gen owned (every other line must still be in ``after``)."""


Merged = dict[str, MergedModule]
"""The merged modules, by target path."""


def merge_handlers(
    handlers: list[HandlerPlan],
    fresh: Fresh,
    sources: Mapping[str, tuple[str, Source]],
    old: Manifest,
    new: Manifest,
    out: Outcome,
    conflicts: list[str],
) -> Merged:
    """Record each handler in ``new`` and merge its module with its rendering in ``fresh``
    (a new module is that rendering). Refusals go to ``conflicts``."""
    merged: Merged = {}
    for h in handlers:
        entry = old.handlers.get(h.id)
        ideal = fresh.modules[h.id]
        ideal_mod = cst.parse_module(ideal)
        record = _record(h, ideal, ideal_mod, fresh.tests[h.id])
        new.handlers[h.id] = record
        src = sources.get(h.id)
        if src is None:
            if h.id not in out.unreadable:
                out.writes[h.path] = ideal
                out.stubs.append(h.name)
            elif entry is not None:
                new.handlers[h.id] = entry
            continue
        rel, source = src
        names = [h.name] + ([entry.name] if entry and entry.name != h.name else [])
        try:
            result = merge_handler(
                rel, source.text, ideal_mod, class_names=names, prev=_previous(entry)
            )
        except HandlerParseError as e:
            out.errors.append(str(e))
            if entry is not None:
                new.handlers[h.id] = entry
            continue
        except MergeConflict as e:
            conflicts.append(str(e))
            continue
        record.imports = sorted(_gen_imports(result.imports))
        record.attrs, record.deps = result.attrs, result.deps
        if result.is_stub:
            out.stubs.append(h.name)
        merged[h.path] = MergedModule(source.text, result.code, result.owned)
        if not source.plain:
            out.sources[h.path] = source
        if rel != h.path:
            out.deletes.append(rel)
            out.notes.append(f"moved {rel} -> {h.path}")
    return merged


def _record(h: HandlerPlan, ideal: str, ideal_mod: cst.Module, ideal_test: str) -> HandlerEntry:
    """The manifest entry of a handler whose module is the fresh rendering ``ideal``."""
    body = _class_body(ideal_mod, h.name)
    proc = find_method(body, "process")
    assert proc is not None
    return HandlerEntry(
        name=h.name,
        domain=h.domain,
        module=h.path,
        test=h.test,
        imports=sorted(_gen_imports(imported(ideal_mod))),
        attrs=sorted(n for s in body if (n := attr_name(s)) in GEN_ATTRS),
        deps=[d.name for d in h.deps],
        doc=code_hash(docstring(body[0]) or ""),
        stub=code_hash(body_code(proc)),
        wiring_marker=True,
        fresh=code_hash(ideal),
        test_fresh=code_hash(ideal_test),
    )


def _class_body(module: cst.Module, name: str) -> list[cst.BaseStatement]:
    cls = find_class(module, [name])
    assert cls is not None
    assert isinstance(cls.body, cst.IndentedBlock)
    return list(cls.body.body)


def _gen_imports(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {p for p in pairs if p[0] != "__future__"}


def _previous(entry: HandlerEntry | None) -> Previous:
    if entry is None:
        return Previous(attrs=[], adopt=True)
    return Previous(
        imports={(m, n) for m, n in entry.imports},
        doc=entry.doc or None,
        stub=entry.stub or None,
        attrs=entry.attrs if entry.deps is not None else None,
        deps=entry.deps,
        marked=entry.wiring_marker,
    )
