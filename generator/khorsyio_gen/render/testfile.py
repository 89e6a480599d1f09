"""The test created once per handler, and the test functions of its examples.

Each test runs the handler of the started app (the project's ``app`` fixture: a fresh test
database with the project's tables) through its subscription, with ``run_handler``. An
example's test asserts its output or its error; without examples the test fails while
``process`` is a stub (and on a crash), and its message says which example to write.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from khorsyio_gen.examples import Example
from khorsyio_gen.names import snake
from khorsyio_gen.plan import HandlerPlan
from khorsyio_gen.render.imports import Imports, render_imports
from khorsyio_gen.render.text import json_literal, str_expr, str_literal, wrap

__all__ = ["example_tests", "render_test"]


def _hint(h: HandlerPlan) -> str:
    """The assertion message, as a parenthesised string of short lines."""
    text = (
        f"{h.name} has no example: write one under {h.key}.examples in khorsyio.yaml "
        "(input, then output or error), and `khorsyio gen` adds its test"
    )
    parts = textwrap.wrap(text, 72, drop_whitespace=False, break_long_words=False)
    return "(\n" + "".join(f"        {p!r}\n" for p in parts) + "    )"


def _stub_test(h: HandlerPlan, imports: Imports) -> str:
    imports.update({("app._generated", "samples"), ("khorsyio", "HandlerError")})
    name = f"test_{snake(h.name)}_answers_{h.spec.on.replace('.', '_')}"
    if h.routes:
        return _stub_routing_test(h, imports, name)
    if h.output is not None:
        imports.add((h.output.module, h.output.name))
        check = f"isinstance(result, {h.output.name})"
    else:
        check = "result is None"
    return (
        f"async def {name}(app: App) -> None:\n"
        f'    """{h.name} answers a sample input: fails while its process is a stub.\n\n'
        "    A deliberate answer (a HandlerError such as not_found) passes; a crash does not.\n"
        f"    Write examples under {h.key}.examples in khorsyio.yaml.\n"
        '    """\n'
        "    try:\n"
        f"        result = await run_handler(app, {h.name}, samples.{snake(h.name)}_input())\n"
        "    except HandlerError as e:\n"
        "        if e.dead_letter:  # the stub's NotImplementedError, a crash, a timeout\n"
        "            raise\n"
        "        return\n"
        f"    assert {check}, {_hint(h)}\n"
    )


def _stub_routing_test(h: HandlerPlan, imports: Imports, name: str) -> str:
    """A routing handler's stub test: it forwards to one of its events, with its contract."""
    imports.add(("khorsyio", "Envelope"))
    events = tuple(e for e, _ in h.routed)
    typed = [(e, c) for e, c in h.routed if c is not None]
    for _, c in typed:
        imports.add((c.module, c.name))
    lines = [
        f"async def {name}(app: App) -> None:\n",
        f'    """{h.name} answers a sample input: fails while its process is a stub.\n\n',
        "    It routes: a sample must come back as ctx.forward(event, data) to one of its\n",
        "    events, with that event's contract.\n",
        f"    Write examples under {h.key}.examples in khorsyio.yaml.\n",
        '    """\n',
        "    try:\n",
        f"        result = await run_handler(app, {h.name}, samples.{snake(h.name)}_input())\n",
        "    except HandlerError as e:\n",
        "        if e.dead_letter:  # the stub's NotImplementedError, a crash, a timeout\n",
        "            raise\n",
        "        return\n",
    ]
    if h.output is not None:
        imports.add((h.output.module, h.output.name))
        lines += [
            f"    if isinstance(result, {h.output.name}):\n",
            f"        return  # published as {h.spec.emits}\n",
        ]
    lines += [
        f"    assert isinstance(result, Envelope), {_hint(h)}\n",
        f"    assert result.event_type in {events!r}\n",
    ]
    if len({c.name for _, c in typed}) == 1 and len(typed) == len(events):
        lines.append(f"    assert isinstance(result.payload, {typed[0][1].name})\n")
    else:
        for e, c in typed:
            lines += [
                f"    if result.event_type == {e!r}:\n",
                f"        assert isinstance(result.payload, {c.name})\n",
            ]
    return "".join(lines)


def _docstring(text: str) -> list[str]:
    """A function's docstring of free text (a description): escaped, wrapped in 100 columns."""
    parts = [p[4:] for p in wrap(text, 94, "    ", "")]
    if len(parts) == 1:
        return [f'    """{parts[0]}"""\n']
    return [f'    """{parts[0]}\n', *(f"    {p}\n" for p in parts[1:]), '    """\n']


def _example_test(h: HandlerPlan, ex: Example, imports: Imports, plain: set[str]) -> str:
    plain.add("msgspec")
    imports.add((h.input.module, h.input.name))
    doc = f"Example {ex.name!r} of khorsyio.yaml" + (
        f": {ex.description}" if ex.description else ""
    )
    lines = [
        f"async def {ex.fn}(app: App) -> None:\n",
        *_docstring(doc + "."),
        f"    data = msgspec.convert({json_literal(ex.input)}, {h.input.name})\n",
    ]
    call = f"await run_handler(app, {h.name}, data)"
    if ex.error_code is not None:
        plain.add("pytest")
        imports.add(("khorsyio", "HandlerError"))
        lines += [
            "    with pytest.raises(HandlerError) as info:\n",
            f"        {call}\n",
            f"    assert info.value.code == {str_literal(ex.error_code)}, info.value.message\n",
        ]
        if ex.error_message is not None:
            lines.append(f"    assert info.value.message == {str_expr(ex.error_message)}\n")
        return "".join(lines)
    lines.append(f"    result = {call}\n")
    if ex.output is None or ex.output_contract is None:
        lines.append("    assert result is None\n")
        return "".join(lines)
    c = ex.output_contract
    imports.add((c.module, c.name))
    expected = f"msgspec.convert({json_literal(ex.output)}, {c.name})"
    event = ex.event or h.spec.emits
    if not h.spec.also_emits:
        lines.append(f"    assert result == {expected}\n")
        return "".join(lines)
    imports.add(("khorsyio", "Envelope"))
    lines += [
        "    assert isinstance(result, Envelope), "
        f"{f'{h.name} routes: it returns ctx.forward(event, payload)'!r}\n"
        if not h.spec.emits
        else "",
        "    event, payload = (\n"
        "        (result.event_type, result.payload)\n"
        "        if isinstance(result, Envelope)\n"
        f"        else ({h.spec.emits!r}, result)\n"
        "    )\n"
        if h.spec.emits
        else "    event, payload = result.event_type, result.payload\n",
        f"    assert (event, payload) == ({event!r}, {expected})\n",
    ]
    return "".join(lines)


def example_tests(h: HandlerPlan, examples: list[Example]) -> tuple[list[str], Imports, set[str]]:
    """The test function of each example, and the imports they need."""
    imports: Imports = {("khorsyio", "App"), ("khorsyio.testing", "run_handler")}
    imports.add((h.module, h.name))
    plain: set[str] = set()
    return [_example_test(h, ex, imports, plain) for ex in examples], imports, plain


def render_test(h: HandlerPlan, examples: Sequence[Example] = ()) -> str:
    fns, imports, plain = example_tests(h, list(examples))
    if not fns:
        fns = [_stub_test(h, imports)]
    arrow = f"{h.spec.on} -> {' | '.join(h.emits)}" if h.emits else h.spec.on
    head = (
        f'"""Test of {h.name} ({arrow}).\n\n'
        "Created once by `khorsyio gen`; it is yours now: assert what the handler must do.\n"
        f"Each new example under {h.key}.examples in khorsyio.yaml\n"
        "is added as a test function of its own; `app` is the started app of tests/conftest.py.\n"
        '"""\n\nfrom __future__ import annotations\n\n'
    )
    return head + render_imports(imports, sorted(plain)) + "\n\n" + "\n\n".join(fns)
