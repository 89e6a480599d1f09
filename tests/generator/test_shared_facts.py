"""The facts gen shares with the runtime (khorsyio.wiring, the HTTP methods) are the
runtime's, and docs/generator.md states them as the runtime does."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from khorsyio.http.methods import METHODS
from khorsyio.wiring import (
    BUILTIN_PROVIDERS,
    HANDLER_WIRING,
    SET_BY_TYPE_ARGUMENTS,
    provider_type,
)
from khorsyio_gen.builtins import BUILTIN_USE
from khorsyio_gen.check import check_project
from khorsyio_gen.gen import load
from khorsyio_gen.plan import build_plan
from khorsyio_gen.render.handler import GEN_ATTRS, handler_docstring, wiring_lines
from khorsyio_gen.spec import HttpMethod
from khorsyio_gen.typefmt import methods_of

from .conftest import SPEC, write_project

DOC = Path(__file__).resolve().parents[2] / "docs" / "generator.md"

EVERYTHING = """\
      Everything:
        on: all.in
        emits: all.out
        also_emits: {all.vip: UserOut}
        input: UserIn
        output: UserOut
        timeout: 2
        execution_mode: process
        concurrency: 2
        queue_size: 10
        retry: {attempts: 2, backoff: 0.5}
    routes:"""


def test_gen_writes_every_wiring_attribute_but_those_of_the_type_arguments() -> None:
    assert tuple(a for a in HANDLER_WIRING if a not in SET_BY_TYPE_ARGUMENTS) == GEN_ATTRS
    assert set(SET_BY_TYPE_ARGUMENTS) < set(HANDLER_WIRING)


def test_a_spec_setting_everything_makes_gen_write_each_of_its_attributes(tmp_path: Path) -> None:
    root = write_project(tmp_path, SPEC.replace("    routes:", EVERYTHING, 1))
    project, _ = load(root)
    h = build_plan(project).by_name("Everything")
    assert h is not None
    written = [line.split(" = ")[0] for line in wiring_lines(h)]
    assert written == list(GEN_ATTRS)  # a new Handler attribute needs a spec key and a line


def test_the_builtin_providers_are_the_apps(tmp_path: Path) -> None:
    project, problems = load(write_project(tmp_path))
    builtin = {n: p for n, p in project.providers.items() if p.builtin}
    assert set(builtin) == set(BUILTIN_PROVIDERS)
    for name, p in builtin.items():
        assert f"{p.type_module}:{p.type_name}" == BUILTIN_PROVIDERS[name]
        assert p.expr == ("app" if name == "app" else f"app.{name}")
    assert check_project(project) == problems


def test_the_spec_accepts_only_methods_the_runtime_routes() -> None:
    assert set(typing.get_args(HttpMethod)) <= set(METHODS)


def _bullet(text: str, start: str) -> str:
    at = text.index(start)
    end = text.find("\n- ", at)
    return text[at:end]


def test_the_doc_lists_every_wiring_attribute_in_the_runtimes_order() -> None:
    bullet = _bullet(DOC.read_text(encoding="utf-8"), "- the wiring attributes **it wrote**")
    names = re.findall(r"`(\w+)`", bullet)
    assert names == [*GEN_ATTRS, *SET_BY_TYPE_ARGUMENTS]
    assert set(names) == set(HANDLER_WIRING)
    base = "`" + "` and `".join(SET_BY_TYPE_ARGUMENTS) + "` are never gen's (the base sets them)"
    assert base in " ".join(bullet.split())


def test_each_builtin_method_is_either_for_handlers_or_the_apps() -> None:
    assert set(BUILTIN_USE) == set(BUILTIN_PROVIDERS)
    for name, use in BUILTIN_USE.items():
        methods = [m.removeprefix("async ").split("(")[0] for m in methods_of(provider_type(name))]
        listed = [*use.calls, *use.app_only]
        assert len(listed) == len(set(listed)), name
        assert sorted(listed) == sorted(methods), name


def test_the_docstring_says_what_a_handler_calls_on_the_database(tmp_path: Path) -> None:
    project, _ = load(write_project(tmp_path))
    plan = build_plan(project)
    h = plan.by_name("CreateUser")
    assert h is not None
    doc = " ".join(" ".join(handler_docstring(plan, h)).split())
    call = doc.index("call: session(), transaction(), fetch(), fetchrow(), fetchval(), execute()")
    never = doc.index("never call (the app's lifecycle and set-up): connect(), close(),")
    assert call < never
    for lifecycle in ("connect()", "close()", "create_all()", "drop_all()"):
        assert lifecycle not in doc[call:never], lifecycle
        assert lifecycle in doc[never:], lifecycle
