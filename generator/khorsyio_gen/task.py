"""``khorsyio task HANDLER``: a self-contained task card for an LLM to fill one handler."""

from __future__ import annotations

import inspect
from pathlib import Path

from khorsyio_gen.builtins import BUILTIN_USE
from khorsyio_gen.check import STRUCTURAL, check_project, errors
from khorsyio_gen.contracts import Provider
from khorsyio_gen.cst.source import read_source
from khorsyio_gen.errors import GenError
from khorsyio_gen.examples import describe, resolve_examples
from khorsyio_gen.gen import load
from khorsyio_gen.plan import build_plan, neighbours
from khorsyio_gen.typefmt import fields_of, methods_of

__all__ = ["task_card"]


def _source(obj: object) -> str:
    try:
        return inspect.getsource(obj)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return ""


def task_card(root: Path, name: str) -> str:
    root = root.resolve()
    project, _ = load(root)
    fatal = [p for p in errors(check_project(project)) if p.code in STRUCTURAL]
    if fatal:  # the plan needs a consistent spec: say what is wrong, as `check` does
        raise GenError("\n".join(str(p) for p in fatal))
    plan = build_plan(project)
    h = plan.by_name(name)
    if h is None:
        known = ", ".join(sorted(x.name for x in plan.handlers)) or "none"
        raise GenError(f"no handler {name!r} in khorsyio.yaml (handlers: {known})")
    source = read_source(root, h.path)  # its own encoding and line endings
    code = source.text if source is not None else "(not generated yet: run khorsyio gen)"
    test = root / h.test
    test_code = test.read_text(encoding="utf-8") if test.is_file() else "(no test file)"
    out = [f"# Task: implement {h.name}.process", ""]
    out += [
        f"`{h.name}` answers the event `{h.spec.on}`"
        + (f" and publishes `{h.spec.emits}`." if h.spec.emits else "."),
    ]
    if h.spec.description:
        out += ["", h.spec.description]
    out += [
        "",
        "Change only the body of `process` (and add helpers, methods or imports if needed).",
        "The class base, wiring attributes, `__init__` and the `process` signature come from",
        "khorsyio.yaml: change the spec and run `khorsyio gen` instead of editing them.",
        "",
        f"## The module: {h.path}",
        "",
        "```python",
        code.rstrip(),
        "```",
        "",
        "## Contracts",
    ]
    for title, c in (("input", h.input), ("output", h.output)):
        if c is None:
            out += ["", f"{title}: none (`process` returns None)"]
            continue
        out += ["", f"{title}: `{c.name}` from `{c.module}`", ""]
        out += [f"- `{n}: {t}`" + (f" (default {d})" if d else "") for n, t, d in fields_of(c.cls)]
        src = _source(c.cls)
        if src:
            out += ["", "```python", src.rstrip(), "```"]
    examples = resolve_examples(project, h.name, h.spec)
    out += ["", "## Examples (the tests check them)", ""]
    out += [f"- {describe(ex)}" for ex in examples] or [
        f"none yet: add some under {h.key}.examples in khorsyio.yaml (input, then output or "
        "error); `khorsyio gen` writes their tests"
    ]
    out += ["", "## Dependencies", ""]
    if not h.deps:
        out.append("none")
    for d in h.deps:
        out.append(f"- `self._{d.name}`: `{d.type_name}` from `{d.type_module}`")
        out += _dep_methods(d)
    before, after = neighbours(plan, h)
    out += ["", "## In the graph", "", "Before:"]
    out += [f"- {b}" for b in before] or ["- nothing yet"]
    out += ["", "After:"]
    out += [f"- {a}" for a in after] or ["- nothing"]
    out += [
        "",
        f"## The test to make pass: {h.test}",
        "",
        "```python",
        test_code.rstrip(),
        "```",
        "",
        "## Check your work",
        "",
        "```sh",
        f"python -m pytest {h.test}",
        "khorsyio check",
        "khorsyio gen --check",
        "ruff check . && ruff format --check .",
        "khorsyio status",
        "```",
    ]
    return "\n".join(out) + "\n"


def _dep_methods(d: Provider) -> list[str]:
    """The signatures of what a handler calls on ``d`` (a built-in: and what it must not)."""
    sigs = methods_of(d.cls)
    use = BUILTIN_USE.get(d.name) if d.builtin else None
    if use is None:
        return [f"    - `{m}`" for m in sigs]
    by_name = {m.removeprefix("async ").split("(")[0]: m for m in sigs}
    out = [f"    - `{by_name[m]}`" for m in use.calls if m in by_name]
    if use.hint:
        out.append(f"    - {use.hint}")
    never = ", ".join(f"`{m}`" for m in use.app_only)
    return [*out, f"    - never call (the app's lifecycle and set-up): {never}"]
