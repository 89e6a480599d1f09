"""Property: whatever text a description (or a route summary, a schedule payload string)
holds, the generated files pass ``ruff check`` and ``ruff format --check`` as they are, and
the docstring Python reads still says what was written.

Each example is a batch of texts rendered into one set of files and checked by one ruff run
(one process per example, not per text)."""

from __future__ import annotations

import ast
import dataclasses
import subprocess
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from khorsyio_gen.contracts import load_project
from khorsyio_gen.fmt import RUFF_CONFIG, format_texts, ruff_bin
from khorsyio_gen.load import load_spec
from khorsyio_gen.plan import Plan, build_plan
from khorsyio_gen.render.confusables import CONFUSABLES, scan
from khorsyio_gen.render.handler import render_handler
from khorsyio_gen.render.text import str_expr, wrap
from khorsyio_gen.render.wiring import render_routes

from .conftest import write_project

# confusables written as escapes here, since this file passes ruff too
TIMES, ROMAN_ONE, EN_DASH, ESTIMATED = "\u00d7", "\u2160", "\u2013", "\u212e"
QUOTES = "\u2018quoted\u2019"
RUSSIAN = (  # one-letter Russian words are confusables, "привет" is not
    "\u0420\u0443\u0441\u0441\u043a\u0438\u0439: \u0441, \u0430, \u0435\u0440\u0441\u0430, "
    "\u043f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440."
)
NASTY = [
    f"Multiplies 2{TIMES}3 items; {ROMAN_ONE}, {QUOTES}, “double”, {EN_DASH} and — dashes",
    f"{ESTIMATED}stimate and a lone {TIMES} and {ROMAN_ONE}",
    'Fails with ValueError("unknown sku X") when the sku is not in the catalogue at all, '
    "and with `KeyError('the missing key')` otherwise",
    'ends with a quote"',
    'three """ quotes and four """" and a backslash \\ and \\n and \\N{BULLET}',
    "x" * 300 + " and " + f"y{TIMES}" * 80,
    RUSSIAN,
    "日本語の説明文はとても長いのでこの行は折り返されなければならない。" * 4,
    "tab\there, nbsp\u00a0here, zero\u200bwidth, bidi\u202eoverride, nul\x00, bell\x07",
    "lines\nsplit\r\nhere\u2028and\u2029there\x0cand\x1cmore\x85end",
    "   \n\n  indented\n\n\n    more indented\n\n",
    "😀👍🏽 emoji ❤️ and 👨‍👩‍👧 families " * 6,
    *["'", '"', "\\", "`", "``", "```unclosed", "\"'\"'", "a\u0301e\u0308"],
    "\ud800 lone surrogate \udfff",
    # a word cut into two literals that ruff format joins back: found by this test
    '"\nя."\u2018\u0441日x\u00d7”' * 3,
    "\u0441日" * 40 + "x",
    # after a cut at its space, a part of long escapes was still too wide (E501)
    ")\ue000 \u2019(_\u212e'\U0001d7ce\u0300\u0430-N\t",
]
TRICKY = [
    *"aN1x {}()._-\"'`\\жя“”—日😀",
    *"\u0431\u0430\u0435\u0441\u0440\u00d7\u2160\u2018\u2019\u2013\u212e\U0001d7ce\u0663",
    *"\u0301\u0903\u0300\u24b6\ue000\u00a0\t\n\ufe0f\u200d",
]
texts = st.one_of(st.text(max_size=300), st.text(alphabet=st.sampled_from(TRICKY), max_size=200))


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    root = write_project(tmp_path_factory.mktemp("text") / "proj")
    spec, doc = load_spec(root)
    return build_plan(load_project(root, spec, doc))


def _ruff(root: Path) -> None:
    ruff = ruff_bin()
    for args in (["check"], ["format", "--check"]):
        proc = subprocess.run(
            [ruff, *args, "--config", str(RUFF_CONFIG), "--no-cache", str(root)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr


def _render(plan: Plan, texts: list[str]) -> dict[str, str]:
    h = plan.handlers[0]
    route = plan.routes[0]
    files: dict[str, str] = {}
    for i, text in enumerate(texts):
        spec = msgspec.structs.replace(h.spec, description=text)
        files[f"h{i}.py"] = render_handler(plan, dataclasses.replace(h, spec=spec))
        routes = [
            dataclasses.replace(route, spec=msgspec.structs.replace(route.spec, summary=text))
        ]
        files[f"r{i}.py"] = render_routes(dataclasses.replace(plan, routes=routes), route.domain)
        deep = "\n".join("            " + line for line in wrap(text, 84, "", "    "))
        files[f"w{i}.py"] = (
            f'def f() -> str:\n    """Nested.\n\n    Text:\n{deep}\n    """\n'
            f"    return {str_expr(text)}\n"
        )
    return files


@settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a shrink is a ruff run per step
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(texts=st.lists(texts, min_size=20, max_size=30))
@example(texts=NASTY)
def test_any_text_renders_ruff_clean(
    plan: Plan, tmp_path_factory: pytest.TempPathFactory, texts: list[str]
) -> None:
    files = format_texts(_render(plan, texts))
    out = tmp_path_factory.mktemp("batch")
    for rel, text in files.items():
        (out / rel).write_text(text, encoding="utf-8", errors="surrogatepass")
    _ruff(out)
    for i, text in enumerate(texts):  # the docstring says what was written
        tree = ast.parse(files[f"h{i}.py"])
        cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
        doc = ast.get_docstring(cls) or ""
        words = text.split()
        assert " ".join(words) in " ".join(doc.split()), (text, doc)
        func = ast.parse(files[f"w{i}.py"]).body[0]
        assert isinstance(func, ast.FunctionDef)
        ret = func.body[-1]
        assert isinstance(ret, ast.Return)
        assert ast.literal_eval(ret.value) == text  # type: ignore[arg-type]


def test_the_confusables_are_those_of_the_installed_ruff() -> None:
    assert scan(ruff_bin()) == CONFUSABLES, (
        "ruff's table of ambiguous characters changed: regenerate "
        "khorsyio_gen/render/confusables.py (python -m khorsyio_gen.render.confusables)"
    )


def test_wrapping_keeps_quoted_strings_and_code_spans_whole() -> None:
    text = (
        'When the sku is unknown it raises ValueError("unknown sku X") and logs '
        "``catalogue.lookup(sku, strict=True)`` then `retries once` and says 'no luck here'"
    )
    for width in range(30, 100):
        lines = " ".join(wrap(text, width, "", ""))
        for whole in (
            'ValueError("unknown sku X")',
            "``catalogue.lookup(sku, strict=True)``",
            "`retries once`",
            "'no luck here'",
        ):
            assert whole in lines, (width, lines)
