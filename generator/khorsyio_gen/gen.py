"""``khorsyio gen``: compute every file the generator owns, then apply, check or diff it."""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from khorsyio_gen.check import STRUCTURAL, Problem, check_project, errors
from khorsyio_gen.contracts import Project, load_project
from khorsyio_gen.cst.imports import imported
from khorsyio_gen.cst.merge import (
    HandlerParseError,
    body_code,
    code_hash,
    find_class,
    merge_handler,
)
from khorsyio_gen.cst.rename import rename_in_test
from khorsyio_gen.errors import GenError
from khorsyio_gen.fmt import format_texts
from khorsyio_gen.load import load_spec, load_spec_text
from khorsyio_gen.manifest import MANIFEST, HandlerEntry, Manifest, dump_manifest, read_manifest
from khorsyio_gen.names import snake
from khorsyio_gen.plan import HandlerPlan, Plan, build_plan
from khorsyio_gen.render.agents import render_block, splice_block
from khorsyio_gen.render.handler import render_handler
from khorsyio_gen.render.samples import render_samples
from khorsyio_gen.render.testfile import render_test
from khorsyio_gen.render.wiring import (
    render_domain,
    render_factories,
    render_package,
    render_registry,
    render_routes,
    render_services,
)

__all__ = ["Outcome", "apply", "atomic_write", "generate", "load", "validate_spec_text"]


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

    def changed(self) -> list[str]:
        out = []
        for rel, text in sorted(self.writes.items()):
            path = self.root / rel
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                out.append(rel)
        return sorted(out + [d for d in self.deletes if (self.root / d).exists()])


def load(root: Path) -> tuple[Project, list[Problem]]:
    spec, doc = load_spec(root)
    project = load_project(root, spec, doc)
    return project, check_project(project)


def validate_spec_text(root: Path, text: str) -> None:
    """Raise :class:`GenError` when ``text`` (a new khorsyio.yaml) has errors gen refuses."""
    spec, doc = load_spec_text(text)
    problems = check_project(load_project(root.resolve(), spec, doc))
    fatal = [p for p in errors(problems) if p.code in STRUCTURAL or p.code == "contract_mismatch"]
    if fatal:
        raise GenError("\n".join(str(p) for p in fatal))


def _read(root: Path, rel: str) -> str | None:
    path = root / rel
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _hashes(module: cst.Module, name: str) -> tuple[str, str]:
    """Hashes of the docstring and process body of class ``name`` in ``module``."""
    cls = find_class(module, [name])
    assert cls is not None
    assert isinstance(cls.body, cst.IndentedBlock)
    first = cls.body.body[0]
    doc = (
        cst.Module([]).code_for_node(first.body[0])
        if isinstance(first, cst.SimpleStatementLine)
        else ""
    )
    proc = next(
        s for s in cls.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "process"
    )
    return code_hash(doc), code_hash(body_code(proc))


def generate(root: Path, *, prune: bool = False) -> Outcome:
    root = root.resolve()
    project, problems = load(root)
    fatal = [p for p in errors(problems) if p.code in STRUCTURAL or p.code == "contract_mismatch"]
    if fatal:
        raise GenError("\n".join(str(p) for p in fatal))
    plan = build_plan(project)
    out = Outcome(root, plan, warnings=[p for p in problems if p not in fatal])
    old = read_manifest(root)
    _adopt(old, plan)
    new = Manifest()

    owned: dict[str, str] = {
        "app/_generated/__init__.py": render_package("Wiring of khorsyio.yaml."),
        "app/_generated/services.py": render_services(plan),
        "app/_generated/registry.py": render_registry(plan),
        "app/_generated/samples.py": render_samples(
            plan.used_contracts(), [(h.name, h.input) for h in plan.handlers]
        ),
        "app/_generated/handlers.py": render_factories(plan),
        "app/_generated/domains/__init__.py": render_package("Domain modules."),
    }
    for d in plan.domains:
        owned[f"app/_generated/domains/{d}.py"] = render_domain(plan, d)
        if any(r.domain == d for r in plan.routes):
            owned["app/_generated/routes/__init__.py"] = render_package("Route modules.")
            owned[f"app/_generated/routes/{d}.py"] = render_routes(plan, d)
    batch = dict(owned)
    for h in plan.handlers:
        batch[f"ideal/{h.path}"] = render_handler(plan, h)
        batch[f"ideal/{h.test}"] = render_test(h)
    sources: dict[str, tuple[str, str]] = {}  # handler id -> (path read, text)
    owners = {e.module: hid for hid, e in old.handlers.items()}
    new_paths = {h.id: h.path for h in plan.handlers}
    for h in plan.handlers:
        entry = old.handlers.get(h.id)
        holder = owners.get(h.path)
        if (
            holder is not None
            and holder != h.id
            and new_paths.get(holder) in (None, h.path)
            and _read(root, h.path) is not None
        ):
            other = old.handlers[holder]
            gone = " (removed from the spec)" if holder not in new_paths else ""
            raise GenError(
                f"{h.name} (id {h.id}) would be written to {h.path}, which holds handler "
                f"{other.name} (id {holder}){gone}: move or delete that file first, so that "
                "no process body is wired to another handler"
            )
        # the handler's own module first (a rename), then whatever is at its path
        for rel in (entry.module if entry else None, h.path):
            text = _read(root, rel) if rel else None
            if rel and text is not None:
                sources[h.id] = (rel, text)
                break
    formatted = format_texts(batch)
    for rel in owned:
        out.writes[rel] = formatted[rel]

    merged: dict[str, tuple[str, str]] = {}  # target -> (original text, merged text)
    for h in plan.handlers:
        entry = old.handlers.get(h.id)
        ideal = formatted[f"ideal/{h.path}"]
        ideal_test = formatted[f"ideal/{h.test}"]
        ideal_mod = cst.parse_module(ideal)
        doc_hash, stub_hash = _hashes(ideal_mod, h.name)
        new.handlers[h.id] = HandlerEntry(
            name=h.name,
            domain=h.domain,
            module=h.path,
            test=h.test,
            imports=sorted(_imports_of(ideal_mod)),
            doc=doc_hash,
            stub=stub_hash,
            fresh=code_hash(ideal),
            test_fresh=code_hash(ideal_test),
        )
        src = sources.get(h.id)
        if src is None:
            out.writes[h.path] = ideal
            out.stubs.append(h.name)
        else:
            rel, text = src
            names = [h.name] + ([entry.name] if entry and entry.name != h.name else [])
            try:
                result = merge_handler(
                    rel,
                    text,
                    ideal_mod,
                    class_names=names,
                    old_imports={tuple(i) for i in entry.imports} if entry else set(),  # type: ignore[misc]
                    old_doc=entry.doc if entry else None,
                    old_stub=entry.stub if entry else None,
                )
            except HandlerParseError as e:
                out.errors.append(str(e))
                if entry is not None:
                    new.handlers[h.id] = entry
                continue
            if result.is_stub:
                out.stubs.append(h.name)
            if result.code != text:
                merged[h.path] = (text, result.code)
            else:
                out.writes[h.path] = text
            if rel != h.path:
                out.deletes.append(rel)
                out.notes.append(f"moved {rel} -> {h.path}")
        _plan_test(root, h, entry, ideal_test, out)
    if merged:  # format a changed module only when it was ruff-clean before the change
        pairs = {f"o/{rel}": text for rel, (text, _) in merged.items()}
        pairs.update({f"m/{rel}": code for rel, (_, code) in merged.items()})
        done = format_texts(pairs)
        for rel, (text, code) in merged.items():
            out.writes[rel] = done[f"m/{rel}"] if done[f"o/{rel}"] == text else code

    for hid, entry in sorted(old.handlers.items()):
        if hid in new.handlers:
            continue
        _orphan(root, hid, entry, new, out, prune)

    for rel in _packages(plan):
        if not (root / rel).exists():
            out.writes[rel] = ""
    agents = splice_block(
        _read(root, "AGENTS.md"), render_block([h for h in plan.handlers if h.name in out.stubs])
    )
    out.writes["AGENTS.md"] = agents
    new.files = sorted([*owned, MANIFEST])
    for rel in old.files:
        if rel not in new.files and rel.startswith("app/_generated/"):
            out.deletes.append(rel)
    out.writes[MANIFEST] = dump_manifest(new)
    out.deletes = sorted(set(out.deletes) - set(out.writes))
    return out


def _adopt(old: Manifest, plan: Plan) -> None:
    """A handler whose id changed (or was added) keeps the entry of its module."""
    ids = {h.id for h in plan.handlers}
    for h in plan.handlers:
        if h.id in old.handlers:
            continue
        for hid, entry in list(old.handlers.items()):
            if hid not in ids and entry.module == h.path:
                old.handlers[h.id] = old.handlers.pop(hid)
                break


def _imports_of(module: cst.Module) -> set[tuple[str, str]]:
    return {p for p in imported(module) if p[0] != "__future__"}


def _plan_test(
    root: Path, h: HandlerPlan, entry: HandlerEntry | None, fresh: str, out: Outcome
) -> None:
    if (root / h.test).exists():
        return
    if entry is None:
        out.writes[h.test] = fresh
        return
    old_text = _read(root, entry.test)
    if old_text is not None and entry.test != h.test:
        out.writes[h.test] = rename_in_test(
            old_text,
            entry.module.removesuffix(".py").replace("/", "."),
            h.module,
            {
                entry.name: h.name,
                snake(entry.name): snake(h.name),
                f"{snake(entry.name)}_input": f"{snake(h.name)}_input",
            },
        )
        out.deletes.append(entry.test)
        out.notes.append(f"moved {entry.test} -> {h.test}")


def _orphan(
    root: Path, hid: str, entry: HandlerEntry, new: Manifest, out: Outcome, prune: bool
) -> None:
    kept = []
    for rel, fresh in ((entry.module, entry.fresh), (entry.test, entry.test_fresh)):
        text = _read(root, rel)
        if text is None:
            continue
        if prune and code_hash(text) == fresh:
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
        new.handlers[hid] = HandlerEntry(
            name=entry.name,
            domain=entry.domain,
            module=entry.module,
            test=entry.test,
            fresh=entry.fresh,
            test_fresh=entry.test_fresh,
            orphan=True,
        )


def _packages(plan: Plan) -> list[str]:
    rels = ["app/__init__.py", "app/domains/__init__.py", "tests/__init__.py"]
    for d in plan.domains:
        rels += [
            f"app/domains/{d}/__init__.py",
            f"app/domains/{d}/handlers/__init__.py",
            f"tests/{d}/__init__.py",
        ]
    return rels


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        # mkstemp makes 0600 files: keep the file's mode, or give a new one the umask's
        os.chmod(tmp, stat.S_IMODE(path.stat().st_mode) if path.exists() else _new_file_mode())
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never half
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def apply(out: Outcome) -> list[str]:
    """Write what changed (atomically, file by file) and delete what went; the paths."""
    changed = out.changed()
    for rel in changed:  # writes first: a move never loses the file
        if rel in out.writes:
            atomic_write(out.root / rel, out.writes[rel])
    for rel in changed:
        path = out.root / rel
        if rel not in out.writes and path.exists():
            path.unlink()
    return changed
