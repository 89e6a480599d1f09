"""``khorsyio gen``: compute every file the generator owns, then apply, check or diff it.

:func:`generate` runs the phases of :mod:`khorsyio_gen.phases` in order: read the project
and the previous manifest; locate each handler's module (``locate``); render everything
fresh, in one ruff batch (``render``); merge the modules (``merge``); plan the tests (``tests``);
format and check the merged modules, refusing if a person's line would go (``format``);
report orphans (``orphans``); finish with the packages, AGENTS.md and the manifest
(``finish``). Nothing is written until :func:`apply`.
"""

from __future__ import annotations

from pathlib import Path

from khorsyio_gen.check import STRUCTURAL, Problem, check_project, errors
from khorsyio_gen.contracts import Project, load_project
from khorsyio_gen.cst.guard import MergeConflict
from khorsyio_gen.errors import GenError
from khorsyio_gen.load import load_spec, load_spec_text
from khorsyio_gen.manifest import Manifest, read_manifest
from khorsyio_gen.phases.finish import finish
from khorsyio_gen.phases.format import format_merged
from khorsyio_gen.phases.locate import adopt_ids, find_sources
from khorsyio_gen.phases.merge import merge_handlers
from khorsyio_gen.phases.orphans import keep_orphans
from khorsyio_gen.phases.outcome import Outcome
from khorsyio_gen.phases.render import render_fresh
from khorsyio_gen.phases.tests import plan_conftest, plan_test
from khorsyio_gen.phases.write import apply, atomic_write
from khorsyio_gen.plan import build_plan
from khorsyio_gen.testsync import follow_test

__all__ = ["Outcome", "apply", "atomic_write", "generate", "load", "validate_spec_text"]


def load(root: Path) -> tuple[Project, list[Problem]]:
    spec, doc = load_spec(root)
    project = load_project(root, spec, doc)
    return project, check_project(project)


def _refuse(problems: list[Problem]) -> None:
    """Raise :class:`GenError` on the errors gen does not write through (the others are
    reported, as ``khorsyio check`` does)."""
    fatal = [p for p in errors(problems) if p.code in STRUCTURAL or p.code == "contract_mismatch"]
    if fatal:
        raise GenError("\n".join(str(p) for p in fatal))


def validate_spec_text(root: Path, text: str) -> None:
    """Raise :class:`GenError` when ``text`` (a new khorsyio.yaml) has errors gen refuses."""
    spec, doc = load_spec_text(text)
    _refuse(check_project(load_project(root.resolve(), spec, doc)))


def generate(root: Path, *, prune: bool = False) -> Outcome:
    root = root.resolve()
    project, problems = load(root)
    _refuse(problems)
    plan = build_plan(project)
    out = Outcome(root, plan, warnings=list(problems))
    old = read_manifest(root)
    adopt_ids(old, plan)
    new = Manifest()

    sources, conflicts = find_sources(root, plan, old, out)
    fresh = render_fresh(project, plan)
    out.writes.update(fresh.owned)
    merged = merge_handlers(plan.handlers, fresh, sources, old, new, out, conflicts)
    for h in plan.handlers:
        entry = old.handlers.get(h.id)
        plan_test(root, h, entry, fresh.tests[h.id], out)
        follow_test(root, project, h, fresh.examples[h.id], entry, new.handlers[h.id], out)
    plan_conftest(fresh.conftest, old, new, out)
    conflicts += format_merged(merged, out)
    if conflicts:
        raise MergeConflict(
            "nothing was written: gen would have to change lines it did not write\n"
            + "\n".join(f"error: {c}" for c in conflicts)
        )
    keep_orphans(old, new, out, prune=prune)
    finish(plan, fresh.owned, old, new, out)
    return out
