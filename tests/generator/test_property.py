"""Property: random edits inside ``process`` bodies and helpers, then random graph changes,
then regeneration: no user line is lost, and the result parses, checks and formats."""

from __future__ import annotations

import ast
import itertools
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st

from khorsyio_gen import fmt, gen
from khorsyio_gen.cli import main
from khorsyio_gen.errors import GenError
from khorsyio_gen.manifest import read_manifest

from .conftest import edit, snapshot, write_project
from .regen_helpers import (
    KINDS,
    STUB,
    SpecModel,
    apply_change,
    insert_person_line,
    module_path,
)
from .test_gen import ruff_clean

GROUPS = [
    ["rename_event"],
    ["change_input"],
    ["change_output"],
    ["add_dep", "remove_dep"],
    ["change_timeout"],
    ["change_retry", "remove_retry"],
    ["move_domain", "rename_handler"],
]
MODULES = ["json", "math", "textwrap"]
USE = {
    "json": "json.dumps(v)",
    "math": "str(math.floor(v))",
    "textwrap": "textwrap.shorten(str(v), 10)",
}

statements = st.lists(
    st.one_of(
        st.builds(
            lambda i, n: f'ctx.extra["value_{i}"] = {n} + {i}',
            st.integers(0, 99),
            st.integers(0, 9),
        ),
        st.builds(lambda w: f"# a person's note: {w}", st.sampled_from(["why", "todo", "ok"])),
        st.builds(lambda i: f'ctx.extra["items"] = [x * 2 for x in range({i})]', st.integers(0, 9)),
    ),
    min_size=1,
    max_size=6,
)
helpers = st.lists(st.sampled_from(MODULES), max_size=3, unique=True)
changes = st.tuples(*[st.sampled_from([None, *g]) for g in GROUPS]).map(
    lambda picks: [p for p in picks if p is not None]
)


def _personalize(path: Path, body: list[str], mods: list[str]) -> list[str]:
    block = "".join(f"        {s}\n" for s in body) + "        return UserOut(id=1, name=data.name)"
    edit(path, STUB, block.removeprefix("        "))
    imports = "".join(f"import {m}\n" for m in sorted(mods))
    if imports:
        edit(
            path,
            "from __future__ import annotations\n",
            f"from __future__ import annotations\n\n{imports}",
        )
    funcs = "".join(
        f'\n\ndef helper_{m}(v: int) -> str:\n    """Uses {m}."""\n    return {USE[m]}\n'
        for m in sorted(mods)
    )
    path.write_text(path.read_text() + funcs)
    return [block, *(f"import {m}\n" for m in mods), funcs]


@settings(
    max_examples=10,  # the ruff-formatting path; the test below covers many more cases
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking takes minutes here
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=statements,
    mods=helpers,
    picked=changes,
    split=st.integers(0, len(GROUPS)),
    later=st.lists(st.sampled_from(["# later note", 'ctx.extra["later"] = True']), max_size=2),
)
def test_no_user_line_is_lost(
    tmp_path_factory: pytest.TempPathFactory,
    body: list[str],
    mods: list[str],
    picked: list[str],
    split: int,
    later: list[str],
) -> None:
    root = write_project(tmp_path_factory.mktemp("prop") / "proj")
    assert main(["--root", str(root), "gen"]) == 0
    keep = _personalize(root / "app/domains/user/handlers/create_user.py", body, mods)
    ruff_clean(root)
    target = module_path("rename_event")
    for round_ in (picked[:split], picked[split:]):  # two rounds of graph changes
        for change in round_:
            apply_change(root / "khorsyio.yaml", change)
            if change in ("move_domain", "rename_handler"):
                target = module_path(change)
        assert main(["--root", str(root), "gen"]) == 0
        if later and round_ is not picked[split:]:  # a person edits again between rounds
            path = root / target
            lines = path.read_text().splitlines(keepends=True)
            at = next(i for i, line in enumerate(lines) if "async def process" in line)
            added = "".join(f"        {x}\n" for x in later)
            path.write_text("".join(lines[: at + 1]) + added + "".join(lines[at + 1 :]))
            keep.append(added)
    text = (root / target).read_text()
    ast.parse(text)
    for snippet in keep:
        assert snippet in text, f"lost {snippet!r} after {picked}:\n{text}"
    user_lines = [line for s in keep for line in s.splitlines() if line.strip()]
    for line, count in ((k, len(list(g))) for k, g in itertools.groupby(sorted(user_lines))):
        assert text.splitlines().count(line) >= count, line
    assert main(["--root", str(root), "check"]) == 0
    ruff_clean(root)
    before = snapshot(root)
    assert main(["--root", str(root), "gen"]) == 0
    assert snapshot(root) == before


# --- person lines anywhere, random graph changes, in-process gen -----------------------------
#
# A person's lines (comments, blank lines, statements, decorators, methods, class attributes,
# __init__ parameters with defaults) inserted at every line of the module where they still
# compile, gen-owned regions included (between wiring attributes, inside __init__, inside the
# docstring or the stub), then random graph changes, each followed by gen: every inserted
# line is still there. gen may refuse only when keeping a line is impossible, and then it
# writes nothing; none of these lines clashes with one gen writes, so here it never refuses.

OPS = ("rename", "move", "input", "output", "add_dep", "remove_dep", "timeout", "retry")
OPS += ("routing", "remove_readd")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference project after a first (real, ruff-formatting) gen, copied per example."""
    root = tmp_path_factory.mktemp("base") / "proj"
    write_project(root, SpecModel().text())
    gen.apply(gen.generate(root))
    return root


def _module(root: Path) -> Path:
    return root / read_manifest(root).handlers["create-user"].module


def _stamps(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*.*")}


def _gen(root: Path) -> str | None:
    """One in-process gen; its refusal, if it refused (then it must have written nothing)."""
    before = _stamps(root)
    try:
        out = gen.generate(root)
    except GenError as e:
        assert _stamps(root) == before
        return str(e)
    gen.apply(out)
    return None


@settings(
    max_examples=int(os.environ.get("KHORSYIO_PROPERTY_EXAMPLES", "250")),
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking takes minutes here
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    inserts=st.lists(
        st.tuples(st.sampled_from(KINDS), st.integers(0, 99), st.integers(0, 9), st.booleans()),
        min_size=1,
        max_size=12,
    ),
    ops=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 11)), min_size=1, max_size=4),
)
# the cases of issue 11 (positions: the n-th of gen's lines, x2, +1 for after it)
@example(inserts=[("comment", 14, 0, True)], ops=[("timeout", 0)])  # above timeout, removed
@example(inserts=[("comment", 16, 0, True)], ops=[("retry", 0)])  # above retry, removed
@example(inserts=[("comment", 20, 1, True), ("param", 0, 0, False)], ops=[("add_dep", 2)])
@example(inserts=[("comment", 22, 2, True)], ops=[("remove_dep", 1), ("rename", 0)])
@example(inserts=[("method", 16, 0, True), ("decorator", 18, 0, True)], ops=[("remove_readd", 0)])
def test_person_lines_anywhere_survive_any_graph_change(
    generated: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    inserts: list[tuple[str, int, int, bool]],
    ops: list[tuple[str, int]],
) -> None:
    # no ruff per example: the texts stay as rendered, as for a module that is not ruff-clean
    monkeypatch.setattr(fmt, "format_batch", list)  # the fresh renderings, the merged modules
    root = tmp_path_factory.mktemp("p") / "proj"
    shutil.copytree(generated, root)
    path = _module(root)
    text, keep = path.read_text(), []
    for tag, (kind, at, pick, near) in enumerate(inserts):
        text, lines = insert_person_line(text, kind, tag, at, pick, near)
        keep += lines
    path.write_text(text)
    model, refused = SpecModel(), []
    for op, n in ops:
        spec = root / "khorsyio.yaml"
        changed = model.copy()
        if op == "remove_readd":
            changed.present = False
            spec.write_text(changed.text())
            if error := _gen(root):
                refused.append(error)
                spec.write_text(model.text())
                continue
            changed.present = True
        else:
            changed.apply(op, n)
        spec.write_text(changed.text())
        if error := _gen(root):
            refused.append(error)
            spec.write_text(model.text())
        else:
            model = changed
    # none of these lines clashes with one gen writes: a refusal here is a needless one
    assert not refused, refused
    event(f"lines kept: {len(keep)}")
    final = _module(root).read_text()
    compile(final, str(path), "exec", dont_inherit=True)
    have = [line.strip() for line in final.splitlines()]
    for line in keep:
        assert line in have, f"lost {line!r} after {ops}:\n{final}"
    out = gen.generate(root)
    assert out.changed() == [], "a second gen is not a no-op"
