"""``khorsyio gen``: compute every file the generator owns, then apply, check or diff it."""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
import msgspec

from khorsyio_gen.check import STRUCTURAL, Problem, check_project, errors
from khorsyio_gen.contracts import Project, load_project
from khorsyio_gen.cst.guard import MergeConflict, check_kept
from khorsyio_gen.cst.imports import imported
from khorsyio_gen.cst.merge import (
    HandlerParseError,
    Previous,
    attr_name,
    body_code,
    code_hash,
    find_class,
    merge_handler,
)
from khorsyio_gen.cst.rename import rename_in_test
from khorsyio_gen.cst.source import Source, SourceError, decode_source, encode_source, read_source
from khorsyio_gen.cst.stmts import Owned
from khorsyio_gen.errors import GenError
from khorsyio_gen.examples import resolve_examples
from khorsyio_gen.fmt import format_texts
from khorsyio_gen.load import load_spec, load_spec_text
from khorsyio_gen.manifest import MANIFEST, HandlerEntry, Manifest, dump_manifest, read_manifest
from khorsyio_gen.names import snake
from khorsyio_gen.plan import HandlerPlan, Plan, build_plan
from khorsyio_gen.render.agents import render_block, splice_block
from khorsyio_gen.render.handler import GEN_ATTRS, render_handler
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
from khorsyio_gen.testsync import follow_test

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
    raw: dict[str, bytes] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    """Handler modules kept in their own encoding or line endings, by target path."""
    unreadable: set[str] = field(default_factory=set)
    """Ids of handlers whose module could not be read (reported, left untouched)."""
    """The bytes of writes in another encoding or with CRLF line endings (their own)."""

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
    if not path.is_file():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise GenError(f"{rel}: not UTF-8 ({e.reason}); the file is left untouched") from None


def _text_or_none(root: Path, rel: str) -> str | None:
    """A person's module as text, None when missing or unreadable (then it counts as edited)."""
    path = root / rel
    if not path.is_file():
        return None
    try:
        return decode_source(rel, path.read_bytes()).text
    except SourceError:
        return None


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
    examples = {h.id: resolve_examples(project, h.name, h.spec) for h in plan.handlers}
    for h in plan.handlers:
        batch[f"ideal/{h.path}"] = render_handler(plan, h)
        batch[f"ideal/{h.test}"] = render_test(h, examples[h.id])
    sources, conflicts = _sources(root, plan, old, out)
    formatted = format_texts(batch)
    for rel in owned:
        out.writes[rel] = formatted[rel]

    merged: dict[str, tuple[str, str, Owned]] = {}  # target -> (old, new, gen's nodes)
    for h in plan.handlers:
        entry = old.handlers.get(h.id)
        ideal = formatted[f"ideal/{h.path}"]
        ideal_test = formatted[f"ideal/{h.test}"]
        ideal_mod = cst.parse_module(ideal)
        doc_hash, stub_hash = _hashes(ideal_mod, h.name)
        record = HandlerEntry(
            name=h.name,
            domain=h.domain,
            module=h.path,
            test=h.test,
            imports=sorted(_imports_of(ideal_mod)),
            attrs=_attrs_of(ideal_mod, h.name),
            deps=[d.name for d in h.deps],
            doc=doc_hash,
            stub=stub_hash,
            fresh=code_hash(ideal),
            test_fresh=code_hash(ideal_test),
        )
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
        record.imports = sorted(p for p in result.imports if p[0] != "__future__")
        record.attrs, record.deps = result.attrs, result.deps
        if result.is_stub:
            out.stubs.append(h.name)
        merged[h.path] = (source.text, result.code, result.owned)
        if not source.plain:
            out.sources[h.path] = source
        if rel != h.path:
            out.deletes.append(rel)
            out.notes.append(f"moved {rel} -> {h.path}")
    for h in plan.handlers:
        _plan_test(root, h, old.handlers.get(h.id), formatted[f"ideal/{h.test}"], out)
        follow_test(
            root, project, h, examples[h.id], old.handlers.get(h.id), new.handlers[h.id], out
        )
    conflicts += _finish(merged, out)
    if conflicts:
        raise MergeConflict(
            "nothing was written: gen would have to change lines it did not write\n"
            + "\n".join(f"error: {c}" for c in conflicts)
        )
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


def _sources(
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


def _previous(entry: HandlerEntry | None) -> Previous:
    if entry is None:
        return Previous(attrs=[], adopt=True)
    return Previous(
        imports={(m, n) for m, n in entry.imports},
        doc=entry.doc or None,
        stub=entry.stub or None,
        attrs=entry.attrs if entry.deps is not None else None,
        deps=entry.deps,
    )


def _attrs_of(module: cst.Module, name: str) -> list[str]:
    cls = find_class(module, [name])
    assert cls is not None
    assert isinstance(cls.body, cst.IndentedBlock)
    return sorted(n for s in cls.body.body if (n := attr_name(s)) in GEN_ATTRS)


def _finish(merged: dict[str, tuple[str, str, Owned]], out: Outcome) -> list[str]:
    """Format merged modules that were ruff-clean before the change, check that nothing of
    the person's went missing, and encode each in its own encoding; the refusals."""
    conflicts: list[str] = []
    changed = {rel: v for rel, v in merged.items() if v[0] != v[1]}
    pairs = {f"o/{rel}": text for rel, (text, _, _) in changed.items()}
    pairs.update({f"m/{rel}": code for rel, (_, code, _) in changed.items()})
    done = format_texts(pairs) if pairs else {}
    for rel, (text, code, owned) in merged.items():
        if rel in changed and done[f"o/{rel}"] == text:
            code = done[f"m/{rel}"]
        try:
            check_kept(rel, text, code, owned.lines)
            if rel in out.sources:
                out.raw[rel] = encode_source(rel, code, out.sources[rel])
        except (MergeConflict, SourceError) as e:
            conflicts.append(str(e))
        out.writes[rel] = code
    return conflicts


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
    old_text = _text_or_none(root, entry.test)
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
        if not (root / rel).is_file():
            continue
        text = _text_or_none(root, rel)
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


def atomic_write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
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
            atomic_write(out.root / rel, out.raw.get(rel, out.writes[rel]))
    for rel in changed:
        path = out.root / rel
        if rel not in out.writes and path.exists():
            path.unlink()
    return changed
