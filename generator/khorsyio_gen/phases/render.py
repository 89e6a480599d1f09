"""The first phase: everything rendered fresh from the spec, formatted in one ruff batch.

:class:`Fresh` keeps each kind of text apart: the files under ``app/_generated/`` (written as
they are), each handler's new module and new test (by handler id: what the merge follows and
what a new handler gets) and ``tests/conftest.py`` (written only to a project without one).
"""

from __future__ import annotations

from dataclasses import dataclass

from khorsyio_gen import fmt
from khorsyio_gen.contracts import Project
from khorsyio_gen.examples import Example, resolve_examples
from khorsyio_gen.plan import Plan
from khorsyio_gen.render.conftest import render_conftest
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

__all__ = ["Fresh", "render_fresh"]


@dataclass(frozen=True)
class Fresh:
    """The fresh renderings of one run, formatted."""

    owned: dict[str, str]
    """The files under ``app/_generated/`` (but the manifest), by path."""
    modules: dict[str, str]
    """Each handler's module as a new file, by handler id."""
    tests: dict[str, str]
    """Each handler's test as a new file, by handler id."""
    conftest: str
    """``tests/conftest.py`` for a project that has none."""
    examples: dict[str, list[Example]]
    """Each handler's examples from the spec, by handler id."""


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


def render_fresh(project: Project, plan: Plan) -> Fresh:
    """Render every text gen derives from the spec and format them all in one ruff run."""
    examples = {h.id: resolve_examples(project, h.name, h.spec) for h in plan.handlers}
    owned = _owned(plan)
    modules = {h.id: render_handler(plan, h) for h in plan.handlers}
    tests = {h.id: render_test(h, examples[h.id]) for h in plan.handlers}
    groups = [list(owned.values()), list(modules.values()), list(tests.values())]
    done = iter(fmt.format_batch([t for g in groups for t in g] + [render_conftest()]))
    return Fresh(
        owned={rel: next(done) for rel in owned},
        modules={hid: next(done) for hid in modules},
        tests={hid: next(done) for hid in tests},
        conftest=next(done),
        examples=examples,
    )
