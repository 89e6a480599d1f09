"""The test created once per handler: it calls ``process`` with a contract sample, so a stub
fails with its "not implemented" message and never passes."""

from __future__ import annotations

from khorsyio_gen.names import snake
from khorsyio_gen.plan import HandlerPlan
from khorsyio_gen.render.imports import Imports, render_imports

__all__ = ["render_test"]


def render_test(h: HandlerPlan) -> str:
    imports: Imports = {
        ("khorsyio", "App"),
        ("khorsyio", "Context"),
        ("app._generated", "handlers"),
        ("app._generated", "samples"),
        ("app._generated.services", "build_services"),
    }
    body = [f"    handler = handlers.{snake(h.name)}(App(), build_services())\n"]
    body.append(
        f"    result = asyncio.run(handler.process(samples.{snake(h.name)}_input(), Context()))\n"
    )
    if h.output is not None and len(h.emits) <= 1:
        imports.add((h.output.module, h.output.name))
        body.append(f"    assert isinstance(result, {h.output.name})\n")
    elif h.output is None and len(h.emits) <= 1:
        body.append("    assert result is None\n")
    else:
        body.append("    assert result is not None\n")
    arrow = f"{h.spec.on} -> {h.spec.emits}" if h.spec.emits else h.spec.on
    head = (
        f'"""Test of {h.name} ({arrow}).\n\n'
        "Created once by `khorsyio gen`; it is yours now: assert what the handler must do.\n"
        '"""\n\nfrom __future__ import annotations\n\n'
    )
    name = f"test_{snake(h.name)}_answers_{h.spec.on.replace('.', '_')}"
    return (
        head + render_imports(imports, ["asyncio"]) + f"\n\ndef {name}() -> None:\n" + "".join(body)
    )
