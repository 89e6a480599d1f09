"""A new handler module: wiring from the spec, a ``process`` stub and a docstring that tells
an LLM everything it needs to fill it."""

from __future__ import annotations

from khorsyio.wiring import HANDLER_WIRING, SET_BY_TYPE_ARGUMENTS

from khorsyio_gen.builtins import BUILTIN_USE
from khorsyio_gen.contracts import Contract, Provider
from khorsyio_gen.examples import describe, resolve_examples
from khorsyio_gen.plan import HandlerPlan, Plan, neighbours
from khorsyio_gen.render.imports import Imports, render_imports
from khorsyio_gen.render.text import doc_lines, wrap
from khorsyio_gen.typefmt import fields_of, methods_of

__all__ = [
    "GEN_ATTRS",
    "MARKER",
    "WIRING_MARKER",
    "handler_docstring",
    "handler_imports",
    "render_handler",
    "stub_message",
]

GEN_ATTRS = tuple(a for a in HANDLER_WIRING if a not in SET_BY_TYPE_ARGUMENTS)
"""The class attributes gen writes: the runtime Handler's wiring attributes but those its
``Handler[In, Out]`` base sets (``input_type`` / ``output_type``)."""
MARKER = (
    "# khorsyio gen owns only: the class name and its Handler[In, Out] base, the attributes",
    "# it wrote from khorsyio.yaml (subscribes_to, publishes, timeout, retry...), the __init__",
    "# parameters named after the deps and their self._dep = dep lines, the annotations of",
    "# process, the docstring and the process stub until you edit them, and the imports it",
    "# added. Everything else, comments and blank lines included, is yours and stays.",
)
"""The comment above each handler class (docs/generator.md says the same, in full)."""
WIRING_MARKER = (
    "# wiring: owned by khorsyio gen (regenerated from the spec); edit the spec, not these lines"
)
"""The comment right above the wiring attributes (``subscribes_to``, ``publishes``...)."""
_WIDTH = 92  # docstring lines stay under the line length once indented


def stub_message(h: HandlerPlan) -> str:
    return f"{h.name}.process is not implemented yet: run `khorsyio task {h.name}`"


def _out_type(h: HandlerPlan) -> str:
    out = h.output.name if h.output else "None"
    if h.routes:
        return f"{out} | Envelope" if h.output else "Envelope | None"
    return out


def handler_imports(h: HandlerPlan) -> Imports:
    needed: Imports = {("khorsyio", "Context"), ("khorsyio", "Handler")}
    if h.spec.retry is not None:
        needed.add(("khorsyio", "RetryPolicy"))
    if h.routes:
        needed.add(("khorsyio", "Envelope"))
    for c in (h.input, h.output, *(rc for _, rc in h.routed)):
        if c is not None:
            needed.add((c.module, c.name))
    for d in h.deps:
        needed.add((d.type_module, d.type_name))
    return needed


def _wrap(text: str, indent: str = "", sub: str = "    ") -> list[str]:
    return wrap(text, _WIDTH, indent, sub)


def _contract_lines(title: str, c: Contract) -> list[str]:
    lines = _wrap(f"{title} ``{c.name}`` ({c.module}):")
    fields = fields_of(c.cls)
    if not fields:
        lines += _wrap("(no fields)", "    ")
    for name, tp, default in fields:
        lines += _wrap(f"{name}: {tp}" + (f" = {default}" if default else ""), "    ")
    return lines


def _dep_lines(d: Provider) -> list[str]:
    if d.builtin:  # what to call: the task card has the signatures of this khorsyio version
        use = BUILTIN_USE[d.name]
        lines = _wrap(
            f"self._{d.name}: {d.type_name} (from khorsyio; signatures in the task card)", "    "
        )
        calls = ", ".join(f"{m}()" for m in use.calls) or "none of its methods"
        lines += _wrap(f"call: {calls}", "        ")
        if use.hint:
            lines += _wrap(f"how: {use.hint}", "        ")
        lines += _wrap(
            "never call (the app's lifecycle and set-up): "
            + ", ".join(f"{m}()" for m in use.app_only),
            "        ",
        )
        return lines
    lines = _wrap(f"self._{d.name}: {d.type_name} (from {d.type_module})", "    ")
    for m in methods_of(d.cls):
        lines += _wrap(m, "        ")
    return lines


def handler_docstring(plan: Plan, h: HandlerPlan) -> list[str]:
    """The class docstring's lines, escaped (source text, without quotes or indentation)."""
    out = f"``{h.output.name}``" if h.output else "nothing"
    first = f"Answer ``{h.spec.on}``"
    first += f" with {out}, published as ``{h.spec.emits}``." if h.spec.emits else "."
    lines = _wrap(first, "", "")
    description = doc_lines(h.spec.description, _WIDTH)
    if description:
        lines += ["", *description]
    lines += ["", *_contract_lines("Input", h.input)]
    if h.output is not None:
        lines += _contract_lines("Output", h.output)
    elif not h.routes:
        lines += _wrap("Output: nothing (return None).")
    if h.routes:
        also = " (or return the output)" if h.output else " (or None to publish nothing)"
        lines += _wrap(f"Routes: return ctx.forward(event, data) with one of{also}:")
        for event, c in h.routed:
            lines += _wrap(
                f"{event}: data is a ``{c.name}``" if c else f"{event}: no contract declared",
                "    ",
            )
    if h.deps:
        lines += _wrap("Dependencies:")
        for d in h.deps:
            lines += _dep_lines(d)
    else:
        lines += _wrap("Dependencies: none.")
    before, after = neighbours(plan, h)
    lines += _wrap("Comes from:")
    lines += [
        x for b in before or ["nothing yet (no producer in the graph)"] for x in _wrap(b, "    ")
    ]
    lines += _wrap("Goes to:")
    lines += [x for a in after or ["nothing"] for x in _wrap(a, "    ")]
    examples = resolve_examples(plan.project, h.name, h.spec)
    if examples:
        lines += _wrap("Examples (khorsyio.yaml; the test checks each):")
        lines += [x for ex in examples for x in _wrap(describe(ex), "    ")]
    lines += _wrap(f"Test: python -m pytest {h.test}")
    lines += _wrap(f"Task card: khorsyio task {h.name}")
    return lines


def render_docstring(lines: list[str], indent: str = "    ") -> str:
    """Escaped ``lines`` (see :mod:`khorsyio_gen.render.text`) as a docstring."""
    body = "\n".join((indent + line) if line else "" for line in lines[1:])
    return (
        f'{indent}"""{lines[0]}\n{body}\n{indent}"""\n'
        if len(lines) > 1
        else (f'{indent}"""{lines[0]}"""\n')
    )


def wiring_lines(h: HandlerPlan) -> list[str]:
    s = h.spec
    lines = [f"subscribes_to = {s.on!r}"]
    if s.emits:
        lines.append(f"publishes = {s.emits!r}")
    if any(c for _, c in h.routed):  # each routed event with its contract
        items = ", ".join(f"{e!r}: {c.name if c else 'None'}" for e, c in h.routed)
        lines.append(f"also_publishes = {{{items}}}")
    elif h.routed:
        items = ", ".join(repr(e) for e, _ in h.routed)
        lines.append(f"also_publishes = ({items}{',' if len(h.routed) == 1 else ''})")
    if s.timeout is not None:
        lines.append(f"timeout = {float(s.timeout)!r}")
    if s.execution_mode != "main":
        lines.append(f"execution_mode = {s.execution_mode!r}")
    if s.concurrency is not None:
        lines.append(f"concurrency = {s.concurrency!r}")
    if s.queue_size is not None:
        lines.append(f"queue_size = {s.queue_size!r}")
    if s.retry is not None:
        r = s.retry
        args = [f"attempts={r.attempts}", f"backoff={float(r.backoff)!r}"]
        if r.multiplier != 2.0:
            args.append(f"multiplier={float(r.multiplier)!r}")
        if r.max_backoff != 10.0:
            args.append(f"max_backoff={float(r.max_backoff)!r}")
        lines.append(f"retry = RetryPolicy({', '.join(args)})")
    return [line.replace("'", '"') for line in lines]


def render_handler(plan: Plan, h: HandlerPlan) -> str:
    """A whole new handler module (before ruff formatting)."""
    parts = [render_imports(handler_imports(h), ()), "", ""]
    base = f"Handler[{h.input.name}, {h.output.name if h.output else 'None'}]"
    parts += [f"{line}\n" for line in MARKER]
    parts.append(f"class {h.name}({base}):\n")
    parts.append(render_docstring(handler_docstring(plan, h)))
    parts.append(f"\n    {WIRING_MARKER}\n")
    parts += [f"    {line}\n" for line in wiring_lines(h)]
    if h.deps:
        params = ", ".join(f"{d.name}: {d.type_name}" for d in h.deps)
        parts.append(f"\n    def __init__(self, {params}) -> None:\n")
        parts += [f"        self._{d.name} = {d.name}\n" for d in h.deps]
    parts.append(
        f"\n    async def process(self, data: {h.input.name}, ctx: Context) -> {_out_type(h)}:\n"
    )
    parts.append(f"        raise NotImplementedError({stub_message(h)!r})\n")
    return "from __future__ import annotations\n\n" + "".join(parts)
