"""A handler's test after its creation: new examples added, a change of contracts reported.

The test file is the person's once created. Gen only appends the test function of an
example that is new (never rewriting a function), and records in the manifest which
contracts and examples the test was written for. When the handler's contracts (or an
example already in the test) change, the test no longer says what the handler does: gen
and ``khorsyio status`` report it until the file is edited.
"""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst

from khorsyio_gen.contracts import Project
from khorsyio_gen.cst.imports import add_imports, imported
from khorsyio_gen.cst.merge import code_hash
from khorsyio_gen.examples import Example, contracts_of
from khorsyio_gen.fmt import format_if_clean
from khorsyio_gen.manifest import HandlerEntry
from khorsyio_gen.phases.outcome import Outcome
from khorsyio_gen.plan import HandlerPlan
from khorsyio_gen.render.testfile import example_tests

__all__ = ["STALE_TEST", "follow_test"]

STALE_TEST = "no longer matches its handler"
"""In the note gen writes (``khorsyio status`` lists those notes)."""


def _defined(text: str) -> set[str] | None:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def _plain_imports(module: cst.Module, names: set[str]) -> cst.Module:
    """``import x`` for each name not imported yet, before the first top-level import."""
    have = {
        cst.Module([]).code_for_node(a.name)
        for s in module.body
        if isinstance(s, cst.SimpleStatementLine)
        for i in s.body
        if isinstance(i, cst.Import)
        for a in i.names
    }
    missing = sorted(names - have)
    if not missing:
        return module
    body = list(module.body)
    at = next(
        (
            k
            for k, s in enumerate(body)
            if isinstance(s, cst.SimpleStatementLine)
            and any(isinstance(i, cst.Import | cst.ImportFrom) for i in s.body)
            and not (
                isinstance(s.body[0], cst.ImportFrom)
                and cst.Module([]).code_for_node(s.body[0].module or cst.Name("")) == "__future__"
            )
        ),
        len(body),
    )
    body[at:at] = [cst.parse_statement(f"import {m}\n") for m in missing]
    return module.with_changes(body=body)


def _append(text: str, fns: list[str], imports: set[tuple[str, str]], plain: set[str]) -> str:
    module = cst.parse_module(text)
    module = add_imports(module, imports - imported(module))
    module = _plain_imports(module, plain)
    code = module.code.rstrip("\n") + "\n\n\n" + "\n\n".join(fns)
    return format_if_clean({"test": (text, code)})["test"]  # only what was ruff-clean


def follow_test(
    root: Path,
    project: Project,
    h: HandlerPlan,
    examples: list[Example],
    old: HandlerEntry | None,
    new: HandlerEntry,
    out: Outcome,
) -> None:
    """Add the tests of new examples to ``h``'s test and fill the test fields of ``new``."""
    current = contracts_of(project, h.spec)
    digests = {ex.name: ex.digest for ex in examples}
    rel = h.test
    disk = root / rel
    text = out.writes.get(rel)
    if text is None and disk.is_file():
        text = disk.read_text(encoding="utf-8")
    if (not disk.is_file() and old is None) or text is None:  # created now, or deleted
        new.test_for, new.test_examples = current, digests
        if text is None and old is not None:
            new.test_for, new.test_examples = old.test_for, old.test_examples
        return
    recorded = dict(old.test_examples) if old else {}
    written_for = (old.test_for if old else "") or current
    defined = _defined(text)
    if defined is None:
        out.notes.append(f"{rel} does not parse: the tests of new examples are not added")
        defined = set()
    else:
        add = [
            ex
            for ex in examples
            if ex.fn not in defined and recorded.get(ex.name) not in (ex.digest, "-")
        ]
        if add:
            fns, imports, plain = example_tests(h, add)
            text = _append(text, fns, imports, plain)
            out.writes[rel] = text
            out.notes.append(
                f"{rel}: added the test of example {', '.join(repr(e.name) for e in add)}"
            )
            recorded.update({ex.name: ex.digest for ex in add})
            defined |= {ex.fn for ex in add}
    for ex in examples:  # a function of that name already there: the person's, taken as is
        if ex.fn in defined:
            recorded.setdefault(ex.name, ex.digest)
        elif ex.name in recorded and recorded[ex.name] == ex.digest:
            recorded[ex.name] = "-"  # its function was deleted: not added again
    fn_of = {ex.name: ex.fn for ex in examples}
    why = []
    if written_for != current:
        why.append(f"it was written for {written_for}, {h.name} is now {current}")
    for name, digest in sorted(recorded.items()):
        if digest == "-":
            continue
        if name not in digests:
            why.append(f"example {name!r} left khorsyio.yaml")
        elif digests[name] != digest and fn_of[name] in defined:
            why.append(f"example {name!r} changed since its test was written")
    new.test_for, new.test_examples = written_for, recorded
    if not why:
        return
    on_disk = code_hash(disk.read_text(encoding="utf-8")) if disk.is_file() else ""
    if old is not None and old.test_seen and on_disk != old.test_seen:
        # edited since the report: the person made it follow the handler
        new.test_for = current
        new.test_examples = {
            n: d if d == "-" else digests[n] for n, d in recorded.items() if n in digests
        }
        return
    new.test_seen = code_hash(text)
    out.notes.append(
        f"{rel} {STALE_TEST}: {'; '.join(why)}. Update its assertions (the report clears "
        "at the next `khorsyio gen` after the file changes)"
    )
