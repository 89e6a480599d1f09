"""The test files gen creates: each new handler's test, a test moved with its handler, and
``tests/conftest.py`` (the ``app`` fixture) in a project that has none."""

from __future__ import annotations

from pathlib import Path

from khorsyio_gen.cst.merge import code_hash
from khorsyio_gen.cst.rename import rename_in_test
from khorsyio_gen.manifest import HandlerEntry, Manifest
from khorsyio_gen.names import snake
from khorsyio_gen.phases.locate import text_or_none
from khorsyio_gen.phases.outcome import Outcome
from khorsyio_gen.plan import HandlerPlan
from khorsyio_gen.render.conftest import CONFTEST

__all__ = ["plan_conftest", "plan_test"]


def plan_test(
    root: Path, h: HandlerPlan, entry: HandlerEntry | None, fresh: str, out: Outcome
) -> None:
    """Write ``fresh`` as the test of a new handler, or move the test of a renamed one."""
    if (root / h.test).exists():
        return
    if entry is None:
        out.writes[h.test] = fresh
        return
    old_text = text_or_none(root, entry.test)
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


def plan_conftest(fresh: str, old: Manifest, new: Manifest, out: Outcome) -> None:
    """Write ``fresh`` as ``tests/conftest.py`` when the project has none and gen did not
    create one before (a conftest the person deleted stays deleted); record it in ``new``."""
    if CONFTEST in old.created:
        new.created[CONFTEST] = old.created[CONFTEST]
    elif not (out.root / CONFTEST).exists():
        out.writes[CONFTEST] = fresh
        new.created[CONFTEST] = code_hash(fresh)
