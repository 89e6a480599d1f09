"""``khorsyio gen``: compute every file the generator owns, then apply, check or diff it.

:func:`generate` runs the phases of :mod:`khorsyio_gen.phases` in order: read the project
and the previous manifest, render everything fresh (one ruff batch), merge the handler
modules, plan the tests, refuse if a person's line would go, report orphans, finish with the
packages, AGENTS.md and the manifest. Nothing is written until :func:`apply`.
"""

from __future__ import annotations

from pathlib import Path

from khorsyio_gen.check import STRUCTURAL, Problem, check_project, errors
from khorsyio_gen.contracts import Project, load_project
from khorsyio_gen.cst.guard import MergeConflict
from khorsyio_gen.errors import GenError
from khorsyio_gen.examples import resolve_examples
from khorsyio_gen.fmt import format_texts
from khorsyio_gen.load import load_spec, load_spec_text
from khorsyio_gen.manifest import Manifest, read_manifest
from khorsyio_gen.phases.current import adopt_ids, find_sources
from khorsyio_gen.phases.finish import finish
from khorsyio_gen.phases.handlers import finish_merged, merge_handlers
from khorsyio_gen.phases.orphans import keep_orphans
from khorsyio_gen.phases.outcome import Outcome
from khorsyio_gen.phases.tests import plan_conftest, plan_test
from khorsyio_gen.phases.write import apply, atomic_write
from khorsyio_gen.plan import Plan, build_plan
from khorsyio_gen.render.conftest import CONFTEST, render_conftest
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


def _owned(plan: Plan) -> dict[str, str]:
    """The files under ``app/_generated/`` (before formatting), by path."""
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
    return owned


def generate(root: Path, *, prune: bool = False) -> Outcome:
    root = root.resolve()
    project, problems = load(root)
    _refuse(problems)
    plan = build_plan(project)
    out = Outcome(root, plan, warnings=list(problems))
    old = read_manifest(root)
    adopt_ids(old, plan)
    new = Manifest()

    owned = _owned(plan)
    batch = {**owned, f"ideal/{CONFTEST}": render_conftest()}
    examples = {h.id: resolve_examples(project, h.name, h.spec) for h in plan.handlers}
    for h in plan.handlers:
        batch[f"ideal/{h.path}"] = render_handler(plan, h)
        batch[f"ideal/{h.test}"] = render_test(h, examples[h.id])
    sources, conflicts = find_sources(root, plan, old, out)
    formatted = format_texts(batch)
    for rel in owned:
        out.writes[rel] = formatted[rel]

    merged = merge_handlers(plan.handlers, formatted, sources, old, new, out, conflicts)
    for h in plan.handlers:
        plan_test(root, h, old.handlers.get(h.id), formatted[f"ideal/{h.test}"], out)
        follow_test(
            root, project, h, examples[h.id], old.handlers.get(h.id), new.handlers[h.id], out
        )
    plan_conftest(formatted[f"ideal/{CONFTEST}"], old, new, out)
    conflicts += finish_merged(merged, out)
    if conflicts:
        raise MergeConflict(
            "nothing was written: gen would have to change lines it did not write\n"
            + "\n".join(f"error: {c}" for c in conflicts)
        )
    keep_orphans(old, new, out, prune=prune)
    finish(plan, owned, old, new, out)
    return out
